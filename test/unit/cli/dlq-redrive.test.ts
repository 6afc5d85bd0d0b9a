import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { dlqRedrive } from '../../../lib/cli/dlq-redrive.ts';
import type { DlqRedriveOptions } from '../../../lib/cli/dlq-redrive.ts';
import { ExitCode, RedriveIncompleteError } from '../../../lib/cli/errors.ts';
import { documents, queueDepth, resetCliMocks, sqs } from '../../helpers/cli-mocks.ts';
import { NOW, OUTPUTS, OUTPUTS_WITH_TOMBSTONES, arnOf, batchGetFrom, commandNames, deadLetter, fakeTarget, fakeTerminal } from './cli-fixtures.ts';

const options = (overrides: Partial<DlqRedriveOptions> = {}): DlqRedriveOptions => ({
  consumer: 'inventory',
  eventIds: [],
  yes: true,
  json: false,
  ...overrides,
});

const dlqDepth = (visible: number) =>
  queueDepth(visible, 0, { QueueUrl: OUTPUTS.InventoryDlqUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] });

beforeEach(() => {
  resetCliMocks();
  dlqDepth(3);
  for (const url of [OUTPUTS.InventoryDlqUrl, OUTPUTS.InventoryQueueUrl]) {
    sqs.on(GetQueueAttributesCommand, { QueueUrl: url, AttributeNames: ['QueueArn'] }).resolves({ Attributes: { QueueArn: arnOf(url) } });
  }
});

describe('dlq redrive on AWS (message move task)', () => {
  beforeEach(() => {
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
  });

  it('starts a move task from the DLQ to the source queue at the given rate and reports its progress', async () => {
    // Prepare
    sqs
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [{ TaskHandle: 'task-1', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 3 }] })
      .resolves({ Results: [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 3 }] });
    const terminal = fakeTerminal();

    // Act
    const code = await dlqRedrive(fakeTarget('aws'), terminal.io, options({ rate: 25, pollIntervalMs: 1_000 }));

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]!.args[0].input).toEqual({
      SourceArn: arnOf(OUTPUTS.InventoryDlqUrl),
      DestinationArn: arnOf(OUTPUTS.InventoryQueueUrl),
      MaxNumberOfMessagesPerSecond: 25,
    });
    expect(sqs.commandCalls(ListMessageMoveTasksCommand).map((call) => call.args[0].input)).toEqual([
      { SourceArn: arnOf(OUTPUTS.InventoryDlqUrl), MaxResults: 1 },
      { SourceArn: arnOf(OUTPUTS.InventoryDlqUrl), MaxResults: 1 },
    ]);
    expect(terminal.elapsedMs()).toBe(2_000);
    expect(terminal.stderr()).toContain('moved 1/3\n');
    expect(terminal.stderr()).toContain('moved 3/3\n');
    expect(terminal.stdout()).toBe('Moved 3 messages from the inventory DLQ back to its queue; 0 failed.\n');
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('lets SQS choose the rate when none is given', async () => {
    // Prepare
    sqs.on(ListMessageMoveTasksCommand).resolves({ Results: [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 3 }] });

    // Act
    await dlqRedrive(fakeTarget('aws'), fakeTerminal().io, options({ pollIntervalMs: 1 }));

    // Assess
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]!.args[0].input).not.toHaveProperty('MaxNumberOfMessagesPerSecond');
  });

  it('fails when the task fails, with its reason', async () => {
    // Prepare
    sqs.on(ListMessageMoveTasksCommand).resolves({
      Results: [{ Status: 'FAILED', FailureReason: 'AWS.SimpleQueueService.NonExistentQueue', ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 3 }],
    });
    const terminal = fakeTerminal();

    // Act
    const redriving = dlqRedrive(fakeTarget('aws'), terminal.io, options({ pollIntervalMs: 1, json: true }));

    // Assess
    await expect(redriving).rejects.toBeInstanceOf(RedriveIncompleteError);
    await expect(redriving).rejects.toThrow('the message move task ended FAILED: AWS.SimpleQueueService.NonExistentQueue');
    expect(JSON.parse(terminal.stdout())).toMatchObject({ method: 'message-move-task', moved: 1, failed: 2, taskStatus: 'FAILED' });
  });

  it('gives up when SQS never lists the task it started', async () => {
    // Prepare
    sqs.on(ListMessageMoveTasksCommand).resolves({ Results: [] });

    // Act
    const redriving = dlqRedrive(fakeTarget('aws'), fakeTerminal().io, options({ pollIntervalMs: 1 }));

    // Assess
    await expect(redriving).rejects.toThrow('SQS lists no message move task for the inventory DLQ after starting task-1');
    expect(sqs.commandCalls(ListMessageMoveTasksCommand)).toHaveLength(6);
  });

  it('moves only the selected events itself, as a move task cannot select', async () => {
    // Prepare
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [deadLetter({ messageId: 'm-1', eventId: 'e-1' }), deadLetter({ messageId: 'm-2', eventId: 'e-2' })] })
      .resolves({});
    sqs.on(SendMessageCommand).resolves({ MessageId: 'new' });
    sqs.on(DeleteMessageCommand).resolves({});
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });

    // Act
    const code = await dlqRedrive(fakeTarget('aws'), fakeTerminal().io, options({ eventIds: ['e-2'] }));

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
    expect(sqs.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input.ReceiptHandle)).toEqual(['receipt-m-2']);
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand)[0]!.args[0].input.Entries).toEqual([
      { Id: '0', ReceiptHandle: 'receipt-m-1', VisibilityTimeout: 0 },
    ]);
  });
});

describe('dlq redrive locally (send, then delete)', () => {
  beforeEach(() => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [deadLetter({ messageId: 'm-1', eventId: 'e-1' }), deadLetter({ messageId: 'm-2', eventId: 'e-2' })] })
      .resolvesOnce({ Messages: [deadLetter({ messageId: 'm-3', eventId: 'e-3' })] })
      .resolves({});
    sqs.on(SendMessageCommand).resolves({ MessageId: 'new' });
    sqs.on(DeleteMessageCommand).resolves({});
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  });

  it('sends each message with its attributes to the source queue before deleting it from the DLQ', async () => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    const code = await dlqRedrive(fakeTarget('local'), terminal.io, options());

    // Assess
    expect(code).toBe(ExitCode.ok);
    const moves = sqs.calls().filter((call) => ['SendMessageCommand', 'DeleteMessageCommand'].includes(commandNames([call])[0]!));
    expect(commandNames(moves)).toEqual(['SendMessageCommand', 'DeleteMessageCommand', 'SendMessageCommand', 'DeleteMessageCommand', 'SendMessageCommand', 'DeleteMessageCommand']);
    const sent = deadLetter({ messageId: 'm-1', eventId: 'e-1' });
    expect(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input).toEqual({
      QueueUrl: OUTPUTS.InventoryQueueUrl,
      MessageBody: sent.Body,
      MessageAttributes: sent.MessageAttributes,
    });
    expect(sqs.commandCalls(DeleteMessageCommand)[0]!.args[0].input).toEqual({ QueueUrl: OUTPUTS.InventoryDlqUrl, ReceiptHandle: 'receipt-m-1' });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
    expect(terminal.stdout()).toBe('Moved 3 messages from the inventory DLQ back to its queue; 0 failed.\n');
  });

  it('deletes nothing when the send fails, releases the message and fails the command', async () => {
    // Prepare
    sqs.on(SendMessageCommand).rejects(new Error('queue unavailable'));
    const terminal = fakeTerminal();

    // Act
    const redriving = dlqRedrive(fakeTarget('local'), terminal.io, options({ json: true }));

    // Assess
    await expect(redriving).rejects.toBeInstanceOf(RedriveIncompleteError);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    expect(JSON.parse(terminal.stdout())).toMatchObject({ moved: 0, failed: 3 });
    expect(terminal.stderr()).toContain('Could not send message m-1 to the inventory queue (queue unavailable); it stays in the DLQ.');
    const released = sqs.commandCalls(ChangeMessageVisibilityBatchCommand).flatMap((call) => call.args[0].input.Entries ?? []);
    expect(released.map((entry) => [entry.ReceiptHandle, entry.VisibilityTimeout])).toEqual([
      ['receipt-m-1', 0],
      ['receipt-m-2', 0],
      ['receipt-m-3', 0],
    ]);
  });

  it('counts a message it sent but could not delete as failed, as it is now in both queues', async () => {
    // Prepare
    sqs.on(DeleteMessageCommand).rejectsOnce(new Error('receipt handle expired')).resolves({});
    const terminal = fakeTerminal();

    // Act / Assess
    await expect(dlqRedrive(fakeTarget('local'), terminal.io, options())).rejects.toBeInstanceOf(RedriveIncompleteError);
    expect(terminal.stdout()).toBe('Moved 2 messages from the inventory DLQ back to its queue; 1 failed.\n');
    expect(terminal.stderr()).toContain('it is now in both');
  });

  it('throttles to --rate messages per second', async () => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    await dlqRedrive(fakeTarget('local'), terminal.io, options({ rate: 2 }));

    // Assess: three sends at 0, 0.5 and 1.0 s
    expect(terminal.elapsedMs()).toBe(1_000);
    expect(sqs.commandCalls(ReceiveMessageCommand)[0]!.args[0].input.MaxNumberOfMessages).toBe(2);
  });

  it('moves no more than the DLQ held at the start, so messages failing again are not redriven twice', async () => {
    // Prepare
    dlqDepth(2);

    // Act
    await dlqRedrive(fakeTarget('local'), fakeTerminal().io, options());

    // Assess
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(2);
  });

  it('fails for a selected event that is not in the DLQ', async () => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    const redriving = dlqRedrive(fakeTarget('local'), terminal.io, options({ eventIds: ['e-3', 'e-9'] }));

    // Assess
    await expect(redriving).rejects.toThrow('did not move every requested message');
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
    expect(terminal.stderr()).toContain('Not in the DLQ: e-9');
  });

  it('does nothing and succeeds when the DLQ is empty', async () => {
    // Prepare
    dlqDepth(0);
    const terminal = fakeTerminal();

    // Act
    const code = await dlqRedrive(fakeTarget('local'), terminal.io, options());

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
    expect(terminal.stderr()).toContain('The inventory DLQ is empty: nothing to redrive.');
    expect(terminal.stdout()).toBe('');
  });

  it('asks on a terminal and moves nothing when the answer is no', async () => {
    // Prepare
    const terminal = fakeTerminal({ tty: true, answers: [false] });

    // Act
    const code = await dlqRedrive(fakeTarget('local'), terminal.io, options({ yes: false }));

    // Assess
    expect(code).toBe(ExitCode.failed);
    expect(terminal.questions).toEqual(['Move ~3 dead letters from the inventory DLQ back to its queue, where they will be processed again?']);
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  it('draws a progress bar on a terminal', async () => {
    // Prepare
    const terminal = fakeTerminal({ tty: true, answers: [true] });

    // Act
    await dlqRedrive(fakeTarget('local'), terminal.io, options({ yes: false }));

    // Assess
    expect(terminal.stderr()).toContain(`\r[${'#'.repeat(30)}] 100% moved 3/3`);
  });
});

describe('dlq redrive: erased data subjects', () => {
  const TOMBSTONES = OUTPUTS_WITH_TOMBSTONES.TombstoneTableName;
  /** Data subjects are personal data: none of these may appear in any output. */
  const ERASED = 'cust-0451-erased';
  const ALSO_ERASED = 'cust-0454-erased-too';
  const EXPIRED = 'cust-0452-expired';
  const erasedAt = new Date(NOW - 1_800_000).toISOString();
  const tombstone = (subject: string, expiration = Math.floor(NOW / 1000) + 86_400) => ({
    pk: `inventory#${subject}`,
    consumer: 'inventory',
    subject,
    erasedAt,
    erasureEventId: 'e-erasure',
    recordedAt: erasedAt,
    expiration,
  });
  const before = NOW - 3_600_000;
  const letters = {
    erased: deadLetter({ messageId: 'm-1', eventId: 'e-1', sentAt: before, subject: ERASED }),
    newer: deadLetter({ messageId: 'm-2', eventId: 'e-2', sentAt: NOW - 600_000, subject: ERASED }),
    expired: deadLetter({ messageId: 'm-3', eventId: 'e-3', sentAt: before, subject: EXPIRED }),
    alsoErased: deadLetter({ messageId: 'm-4', eventId: 'e-4', sentAt: before, subject: ALSO_ERASED }),
    noSubject: deadLetter({ messageId: 'm-5', eventId: 'e-5', sentAt: before }),
  };
  const target = (kind: 'aws' | 'local') => fakeTarget(kind, OUTPUTS_WITH_TOMBSTONES);
  const tombstoneReads = () => documents.commandCalls(BatchGetCommand).filter((call) => call.args[0].input.RequestItems?.[TOMBSTONES] !== undefined);
  const printed = (terminal: ReturnType<typeof fakeTerminal>) => terminal.stdout() + terminal.stderr();

  beforeEach(() => {
    documents.on(BatchGetCommand).callsFake(
      batchGetFrom({ [TOMBSTONES]: [tombstone(ERASED), tombstone(ALSO_ERASED), tombstone(EXPIRED, Math.floor(NOW / 1000) - 1)] }),
    );
    sqs.on(SendMessageCommand).resolves({ MessageId: 'new' });
    sqs.on(DeleteMessageCommand).resolves({});
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  });

  describe('moving the messages itself', () => {
    beforeEach(() => {
      dlqDepth(5);
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [letters.erased, letters.newer, letters.expired] })
        .resolvesOnce({ Messages: [letters.alsoErased, letters.noSubject] })
        .resolves({});
    });

    it('counts the moved messages from before an erasure of their subject, and still moves every one', async () => {
      // Prepare
      const terminal = fakeTerminal();

      // Act
      const code = await dlqRedrive(target('local'), terminal.io, options());

      // Assess
      expect(code).toBe(ExitCode.ok);
      expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(5);
      expect(terminal.stdout()).toBe('Moved 5 messages from the inventory DLQ back to its queue; 0 failed.\n');
      expect(terminal.stderr()).toContain(
        '2 of these messages concern data subjects erased since; the consumer will skip their personal-data effects (recorded as skipped).\n',
      );
    });

    it('looks the tombstones up once per batch, before moving it', async () => {
      // Act
      await dlqRedrive(target('local'), fakeTerminal().io, options());

      // Assess
      expect(tombstoneReads().map((call) => call.args[0].input.RequestItems?.[TOMBSTONES]?.Keys)).toEqual([
        [{ pk: `inventory#${ERASED}` }, { pk: `inventory#${EXPIRED}` }],
        [{ pk: `inventory#${ALSO_ERASED}` }],
      ]);
      const [firstBatchRead, secondBatchRead] = tombstoneReads();
      const sends = sqs.commandCalls(SendMessageCommand);
      expect(firstBatchRead!.calledBefore(sends[0]!)).toBe(true);
      expect(secondBatchRead!.calledBefore(sends[3]!)).toBe(true);
      expect(secondBatchRead!.calledAfter(sends[2]!)).toBe(true);
    });

    it('gives the count in JSON', async () => {
      // Prepare
      const terminal = fakeTerminal();

      // Act
      await dlqRedrive(target('local'), terminal.io, options({ json: true }));

      // Assess
      expect(JSON.parse(terminal.stdout())).toMatchObject({ moved: 5, erasedSubjects: { checked: 5, count: 2, sample: false } });
    });

    it('counts only the selected events on an --event-id redrive', async () => {
      // Prepare
      const terminal = fakeTerminal();

      // Act
      await dlqRedrive(target('aws'), terminal.io, options({ eventIds: ['e-1', 'e-2'], json: true }));

      // Assess
      expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
      expect(JSON.parse(terminal.stdout())).toMatchObject({ moved: 2, erasedSubjects: { checked: 2, count: 1, sample: false } });
      expect(terminal.stderr()).toContain(
        '1 of these messages concerns a data subject erased since; the consumer will skip its personal-data effect (recorded as skipped).\n',
      );
    });

    it('says nothing of erasure when no moved message concerns an erased subject', async () => {
      // Prepare
      sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [letters.newer, letters.expired, letters.noSubject] }).resolves({});
      dlqDepth(3);
      const terminal = fakeTerminal();

      // Act
      await dlqRedrive(target('local'), terminal.io, options());

      // Assess
      expect(terminal.stderr()).not.toContain('erased');
    });

    it('moves everything, and says it could not count, when the tombstones cannot be read', async () => {
      // Prepare
      documents.on(BatchGetCommand).rejects(Object.assign(new Error('not authorized to perform dynamodb:BatchGetItem'), { name: 'AccessDeniedException' }));
      const terminal = fakeTerminal();

      // Act
      const code = await dlqRedrive(target('local'), terminal.io, options({ json: true }));

      // Assess
      expect(code).toBe(ExitCode.ok);
      expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(5);
      expect(tombstoneReads()).toHaveLength(1);
      expect(JSON.parse(terminal.stdout())).toMatchObject({ moved: 5, erasedSubjects: null });
      expect(terminal.stderr()).toContain(
        "Could not check the inventory consumer's erasure tombstones (not authorized to perform dynamodb:BatchGetItem); erased data subjects are not counted.",
      );
    });

    it('reads no tombstones when the stack has no TombstoneTableName output', async () => {
      // Prepare
      const terminal = fakeTerminal();

      // Act
      await dlqRedrive(fakeTarget('local'), terminal.io, options({ json: true }));

      // Assess
      expect(documents.calls()).toHaveLength(0);
      expect(JSON.parse(terminal.stdout())).toMatchObject({ moved: 5, erasedSubjects: null });
    });

    it('never prints a data subject', async () => {
      // Prepare
      const text = fakeTerminal();
      const json = fakeTerminal();

      // Act
      await dlqRedrive(target('local'), text.io, options());
      sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: Object.values(letters) }).resolves({});
      await dlqRedrive(target('local'), json.io, options({ json: true }));

      // Assess
      for (const subject of [ERASED, ALSO_ERASED, EXPIRED]) {
        expect(printed(text)).not.toContain(subject);
        expect(printed(json)).not.toContain(subject);
      }
    });
  });

  describe('with a message move task', () => {
    beforeEach(() => {
      sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
      sqs.on(ListMessageMoveTasksCommand).resolves({ Results: [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 5, ApproximateNumberOfMessagesToMove: 5 }] });
    });

    it('samples the DLQ as peek does, releases the sample, and reports before starting the task', async () => {
      // Prepare
      dlqDepth(2);
      sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [letters.erased, letters.alsoErased] }).resolves({});
      const terminal = fakeTerminal();

      // Act
      const code = await dlqRedrive(target('aws'), terminal.io, options({ pollIntervalMs: 1, json: true }));

      // Assess
      expect(code).toBe(ExitCode.ok);
      expect(sqs.commandCalls(ReceiveMessageCommand)[0]!.args[0].input).toMatchObject({ MaxNumberOfMessages: 10, VisibilityTimeout: 30 });
      const released = sqs.commandCalls(ChangeMessageVisibilityBatchCommand).flatMap((call) => call.args[0].input.Entries ?? []);
      expect(released.map((entry) => [entry.ReceiptHandle, entry.VisibilityTimeout])).toEqual([
        ['receipt-m-1', 0],
        ['receipt-m-4', 0],
      ]);
      const note =
        '2 of these messages concern data subjects erased since; the consumer will skip their personal-data effects (recorded as skipped).\n';
      expect(terminal.stderr().indexOf(note)).toBeGreaterThanOrEqual(0);
      expect(terminal.stderr().indexOf(note)).toBeLessThan(terminal.stderr().indexOf('Started message move task'));
      expect(JSON.parse(terminal.stdout())).toMatchObject({ method: 'message-move-task', erasedSubjects: { checked: 2, count: 2, sample: false } });
    });

    it('says when the sample is only part of the DLQ', async () => {
      // Prepare
      dlqDepth(40);
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [letters.erased, letters.newer, letters.expired, letters.noSubject] })
        .resolvesOnce({ Messages: Array.from({ length: 6 }, (_, index) => deadLetter({ messageId: `m-x${index}`, eventId: `e-x${index}` })) })
        .resolves({});
      const terminal = fakeTerminal();

      // Act
      await dlqRedrive(target('aws'), terminal.io, options({ pollIntervalMs: 1, json: true }));

      // Assess
      expect(JSON.parse(terminal.stdout())).toMatchObject({ erasedSubjects: { checked: 10, count: 1, sample: true } });
      expect(terminal.stderr()).toContain(
        '1 of 10 dead letters sampled concerns a data subject erased since, and others may too (a move task cannot be inspected); ' +
          'the consumer will skip the personal-data effect of each such message (recorded as skipped).\n',
      );
    });

    it('asks after telling, on a terminal', async () => {
      // Prepare
      dlqDepth(1);
      sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [letters.erased] }).resolves({});
      const terminal = fakeTerminal({ tty: true, answers: [false] });

      // Act
      const code = await dlqRedrive(target('aws'), terminal.io, options({ yes: false }));

      // Assess
      expect(code).toBe(ExitCode.failed);
      expect(terminal.stderr()).toContain('1 of these messages concerns a data subject erased since');
      expect(terminal.questions).toHaveLength(1);
      expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
    });

    it('does not sample when the stack has no TombstoneTableName output', async () => {
      // Act
      await dlqRedrive(fakeTarget('aws'), fakeTerminal().io, options({ pollIntervalMs: 1 }));

      // Assess
      expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
      expect(documents.calls()).toHaveLength(0);
    });

    it('starts the task all the same when the sample cannot be taken', async () => {
      // Prepare
      sqs.on(ReceiveMessageCommand).rejects(new Error('not authorized to perform sqs:ReceiveMessage'));
      const terminal = fakeTerminal();

      // Act
      const code = await dlqRedrive(target('aws'), terminal.io, options({ pollIntervalMs: 1, json: true }));

      // Assess
      expect(code).toBe(ExitCode.ok);
      expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(1);
      expect(JSON.parse(terminal.stdout())).toMatchObject({ erasedSubjects: null });
      expect(terminal.stderr()).toContain('Could not sample the inventory DLQ for erased data subjects (not authorized to perform sqs:ReceiveMessage)');
    });

    it('never prints a data subject', async () => {
      // Prepare
      sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: Object.values(letters) }).resolves({});
      const terminal = fakeTerminal();

      // Act
      await dlqRedrive(target('aws'), terminal.io, options({ pollIntervalMs: 1, json: true }));

      // Assess
      for (const subject of [ERASED, ALSO_ERASED, EXPIRED]) expect(printed(terminal)).not.toContain(subject);
    });
  });
});
