import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { dlqRedrive } from '../../../lib/cli/dlq-redrive.ts';
import type { DlqRedriveOptions } from '../../../lib/cli/dlq-redrive.ts';
import { ExitCode, RedriveIncompleteError } from '../../../lib/cli/errors.ts';
import { OUTPUTS, arnOf, commandNames, deadLetter, fakeTarget, fakeTerminal } from './cli-fixtures.ts';

const sqs = mockClient(SQSClient);

const options = (overrides: Partial<DlqRedriveOptions> = {}): DlqRedriveOptions => ({
  consumer: 'inventory',
  eventIds: [],
  yes: true,
  json: false,
  ...overrides,
});

const dlqDepth = (visible: number) =>
  sqs
    .on(GetQueueAttributesCommand, { QueueUrl: OUTPUTS.InventoryDlqUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] })
    .resolves({ Attributes: { ApproximateNumberOfMessages: String(visible), ApproximateNumberOfMessagesNotVisible: '0' } });

beforeEach(() => {
  sqs.reset();
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
