import { ChangeMessageVisibilityBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { dlqPeek } from '../../../lib/cli/dlq-peek.ts';
import { ExitCode, UnknownConsumerError } from '../../../lib/cli/errors.ts';
import { dlqHandsOut, documents, queueDepth, resetCliMocks, sqs } from '../../helpers/cli-mocks.ts';
import { NOW, OUTPUTS, OUTPUTS_WITH_TOMBSTONES, batchGetFrom, deadLetter, fakeTarget, fakeTerminal } from './cli-fixtures.ts';

const failure = {
  pk: 'inventory#e-1',
  consumer: 'inventory',
  eventId: 'e-1',
  messageId: 'm-1',
  errorType: 'UnknownSkuError',
  errorMessage: 'unknown SKU NOPE-1',
  attempts: 5,
  firstFailureAt: '2026-11-22T08:59:00.000Z',
  lastFailureAt: '2026-11-22T09:00:30.000Z',
  expiration: 1_900_000_000,
};

/** Fresh mocks and a DLQ that hands out `letters` once (then nothing), releases them and counts them. */
const dlqHolding = (letters: ReturnType<typeof deadLetter>[]): void => {
  resetCliMocks();
  dlqHandsOut(letters);
  queueDepth(letters.length);
};

describe('dlq peek', () => {
  beforeEach(() => {
    dlqHolding([deadLetter({ messageId: 'm-1', eventId: 'e-1' }), deadLetter({ messageId: 'm-2', body: 'not an envelope', receiveCount: 4 })]);
    documents.on(BatchGetCommand).resolves({ Responses: { [OUTPUTS.FailureTableName]: [failure] } });
  });

  it('joins each dead letter to its failure record by consumer and event id (message id without one)', async () => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    const code = await dlqPeek(fakeTarget(), terminal.io, { consumer: 'inventory', limit: 10, json: true });

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(documents.commandCalls(BatchGetCommand)[0]!.args[0].input).toEqual({
      RequestItems: { [OUTPUTS.FailureTableName]: { Keys: [{ pk: 'inventory#e-1' }, { pk: 'inventory#message:m-2' }] } },
    });
    expect(JSON.parse(terminal.stdout())).toEqual({
      consumer: 'inventory',
      deadLetters: [
        {
          messageId: 'm-1',
          eventId: 'e-1',
          eventType: 'order.placed',
          correlationId: 'corr-e-1',
          receiveCount: 6,
          sentAt: new Date(NOW - 3_600_000).toISOString(),
          failure: {
            errorType: 'UnknownSkuError',
            errorMessage: 'unknown SKU NOPE-1',
            attempts: 5,
            firstFailureAt: failure.firstFailureAt,
            lastFailureAt: failure.lastFailureAt,
          },
          subjectErased: null,
        },
        {
          messageId: 'm-2',
          eventId: null,
          eventType: null,
          correlationId: null,
          receiveCount: 4,
          sentAt: new Date(NOW - 3_600_000).toISOString(),
          failure: null,
          subjectErased: null,
        },
      ],
    });
  });

  it('receives with a short hold and releases every message at once', async () => {
    // Act
    await dlqPeek(fakeTarget(), fakeTerminal().io, { consumer: 'inventory', limit: 10, json: false });

    // Assess
    const receive = sqs.commandCalls(ReceiveMessageCommand)[0]!.args[0].input;
    expect(receive).toMatchObject({ QueueUrl: OUTPUTS.InventoryDlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 });
    const released = sqs.commandCalls(ChangeMessageVisibilityBatchCommand).flatMap((call) => call.args[0].input.Entries ?? []);
    expect(released.map((entry) => [entry.ReceiptHandle, entry.VisibilityTimeout])).toEqual([
      ['receipt-m-1', 0],
      ['receipt-m-2', 0],
    ]);
  });

  it('releases the peeked messages at once (visibility 0) on the local runtime as on AWS', async () => {
    // Act
    await dlqPeek(fakeTarget('local'), fakeTerminal().io, { consumer: 'inventory', limit: 10, json: false });

    // Assess
    const released = sqs.commandCalls(ChangeMessageVisibilityBatchCommand).flatMap((call) => call.args[0].input.Entries ?? []);
    expect(released.map((entry) => entry.VisibilityTimeout)).toEqual([0, 0]);
  });

  it('releases what it received even when reading the failure records fails', async () => {
    // Prepare
    documents.on(BatchGetCommand).rejects(new Error('throttled'));

    // Act
    const peeking = dlqPeek(fakeTarget(), fakeTerminal().io, { consumer: 'inventory', limit: 10, json: false });

    // Assess
    await expect(peeking).rejects.toThrow('throttled');
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand)).toHaveLength(1);
  });

  it('shows the error and counts but never the payload', async () => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    await dlqPeek(fakeTarget(), terminal.io, { consumer: 'inventory', limit: 10, json: false });

    // Assess
    const text = terminal.stdout();
    expect(text).toContain('event e-1  order.placed');
    expect(text).toContain('last error       UnknownSkuError: unknown SKU NOPE-1');
    expect(text).toContain('failed attempts  5');
    expect(text).toContain('receive count    6 (SQS, includes peeks)');
    expect(text).toContain('event (body is not an envelope)');
    expect(text).not.toContain('secret.person@example.com');
    expect(terminal.stderr()).toContain('Peeking is a receive');
  });

  it('shows the oldest dead letters first', async () => {
    // Prepare
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          deadLetter({ messageId: 'm-new', eventId: 'e-new', sentAt: NOW - 1_000 }),
          deadLetter({ messageId: 'm-old', eventId: 'e-old', sentAt: NOW - 9_000 }),
        ],
      })
      .resolves({});
    const terminal = fakeTerminal();

    // Act
    await dlqPeek(fakeTarget(), terminal.io, { consumer: 'inventory', limit: 10, json: true });

    // Assess
    expect(JSON.parse(terminal.stdout()).deadLetters.map((letter: { eventId: string }) => letter.eventId)).toEqual(['e-old', 'e-new']);
  });

  it('stops at the limit', async () => {
    // Act
    await dlqPeek(fakeTarget(), fakeTerminal().io, { consumer: 'inventory', limit: 1, json: false });

    // Assess
    expect(sqs.commandCalls(ReceiveMessageCommand)[0]!.args[0].input.MaxNumberOfMessages).toBe(1);
  });

  it('says so when the DLQ is empty, and succeeds', async () => {
    // Prepare
    sqs.on(ReceiveMessageCommand).resolves({});
    const terminal = fakeTerminal();

    // Act
    const code = await dlqPeek(fakeTarget(), terminal.io, { consumer: 'inventory', limit: 10, json: false });

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(terminal.stderr()).toBe('The inventory DLQ is empty: nothing to peek.\n');
    expect(documents.commandCalls(BatchGetCommand)).toHaveLength(0);
  });

  it('rejects an unknown consumer before touching any queue', async () => {
    // Act / Assess
    await expect(dlqPeek(fakeTarget(), fakeTerminal().io, { consumer: 'billing', limit: 10, json: false })).rejects.toBeInstanceOf(
      UnknownConsumerError,
    );
    expect(sqs.calls()).toHaveLength(0);
  });
});

describe('dlq peek: how a dead letter got there', () => {
  const record = (eventId: string, fields: Record<string, unknown>) => ({ ...failure, pk: `inventory#${eventId}`, eventId, ...fields });

  beforeEach(() => {
    dlqHolding([
      deadLetter({ messageId: 'm-1', eventId: 'e-permanent', sentAt: NOW - 3_000 }),
      deadLetter({ messageId: 'm-2', eventId: 'e-transient', sentAt: NOW - 2_000 }),
      deadLetter({ messageId: 'm-3', eventId: 'e-older-record', sentAt: NOW - 1_000 }),
    ]);
    documents.on(BatchGetCommand).callsFake(
      batchGetFrom({
        [OUTPUTS.FailureTableName]: [
          record('e-permanent', { permanent: true, attempts: 1 }),
          record('e-transient', { permanent: false, attempts: 5 }),
          // Written before failures were classified: no `permanent`.
          record('e-older-record', { attempts: 5 }),
        ],
      }),
    );
  });

  it('says whether each was sent to the DLQ at once as permanent, or retried until the budget ran out', async () => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    await dlqPeek(fakeTarget(), terminal.io, { consumer: 'inventory', limit: 10, json: false });

    // Assess
    const [permanent, transient, older] = terminal.stdout().split('\n\n');
    expect(permanent).toContain('  failed attempts  1\n  dead-lettered    permanent: sent to the DLQ at once\n  first failure');
    expect(transient).toContain('  failed attempts  5\n  dead-lettered    transient: retried 4 times until the retry budget ran out\n  first failure');
    expect(older).not.toContain('dead-lettered');
  });

  it('gives the failure record\'s permanent flag in JSON', async () => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    await dlqPeek(fakeTarget(), terminal.io, { consumer: 'inventory', limit: 10, json: true });

    // Assess
    const letters = JSON.parse(terminal.stdout()).deadLetters as { failure: { permanent?: boolean } }[];
    expect(letters.map((letter) => letter.failure.permanent)).toEqual([true, false, undefined]);
  });
});

describe('dlq peek: erased data subjects', () => {
  const TOMBSTONES = OUTPUTS_WITH_TOMBSTONES.TombstoneTableName;
  /** Data subjects are personal data: none of these may appear in any output. */
  const ERASED = 'cust-0451-erased';
  const EXPIRED = 'cust-0452-expired';
  const KEPT = 'cust-0453-never-erased';
  const erasedAt = new Date(NOW - 1_800_000).toISOString();
  const tombstone = (subject: string, fields: Record<string, unknown> = {}) => ({
    pk: `email#${subject}`,
    consumer: 'email',
    subject,
    erasedAt,
    erasureEventId: 'e-erasure',
    recordedAt: erasedAt,
    expiration: Math.floor(NOW / 1000) + 86_400,
    ...fields,
  });
  const letters = [
    // Published an hour before the erasure: the consumer will skip it.
    deadLetter({ messageId: 'm-before', eventId: 'e-before', sentAt: NOW - 3_600_000, subject: ERASED }),
    // Published after the erasure: processed as usual.
    deadLetter({ messageId: 'm-after', eventId: 'e-after', sentAt: NOW - 600_000, subject: ERASED }),
    deadLetter({ messageId: 'm-expired', eventId: 'e-expired', sentAt: NOW - 3_500_000, subject: EXPIRED }),
    deadLetter({ messageId: 'm-kept', eventId: 'e-kept', sentAt: NOW - 3_400_000, subject: KEPT }),
    deadLetter({ messageId: 'm-none', eventId: 'e-none', sentAt: NOW - 3_300_000 }),
  ];
  const tables = {
    [OUTPUTS.FailureTableName]: [],
    [TOMBSTONES]: [tombstone(ERASED), tombstone(EXPIRED, { expiration: Math.floor(NOW / 1000) - 1 })],
  };

  beforeEach(() => {
    dlqHolding(letters);
    documents.on(BatchGetCommand).callsFake(batchGetFrom(tables));
  });

  const tombstoneReads = () =>
    documents.commandCalls(BatchGetCommand).filter((call) => call.args[0].input.RequestItems?.[TOMBSTONES] !== undefined);

  it('reads the consumer\'s tombstones of the letters\' subjects in one BatchGetItem', async () => {
    // Act
    await dlqPeek(fakeTarget('aws', OUTPUTS_WITH_TOMBSTONES), fakeTerminal().io, { consumer: 'email', limit: 10, json: true });

    // Assess
    expect(tombstoneReads().map((call) => call.args[0].input)).toEqual([
      { RequestItems: { [TOMBSTONES]: { Keys: [{ pk: `email#${ERASED}` }, { pk: `email#${EXPIRED}` }, { pk: `email#${KEPT}` }] } } },
    ]);
  });

  it('marks only a letter from before a live erasure of its subject, with when and by which event', async () => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    await dlqPeek(fakeTarget('aws', OUTPUTS_WITH_TOMBSTONES), terminal.io, { consumer: 'email', limit: 10, json: true });

    // Assess
    const peeked = JSON.parse(terminal.stdout()).deadLetters as { eventId: string; subjectErased: unknown }[];
    expect(Object.fromEntries(peeked.map((letter) => [letter.eventId, letter.subjectErased]))).toEqual({
      'e-before': { erasedAt, erasureEventId: 'e-erasure' },
      'e-after': null,
      'e-expired': null,
      'e-kept': null,
      'e-none': null,
    });
  });

  it('says the subject was erased, and that a redrive skips the effect, without naming the subject', async () => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    await dlqPeek(fakeTarget('aws', OUTPUTS_WITH_TOMBSTONES), terminal.io, { consumer: 'email', limit: 10, json: false });

    // Assess
    const [before, ...others] = terminal.stdout().split('\n\n');
    expect(before).toMatch(/^event e-before {2}order\.placed\n/);
    expect(before).toContain(
      `  data subject     erased at ${erasedAt} by event e-erasure; a redrive will skip its personal-data effect (recorded as skipped)`,
    );
    for (const other of others) expect(other).not.toContain('data subject');
  });

  it.each([true, false])('never prints a data subject (json: %s)', async (json) => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    await dlqPeek(fakeTarget('aws', OUTPUTS_WITH_TOMBSTONES), terminal.io, { consumer: 'email', limit: 10, json });

    // Assess
    const output = terminal.stdout() + terminal.stderr();
    for (const subject of [ERASED, EXPIRED, KEPT]) expect(output).not.toContain(subject);
    expect(output).not.toContain('secret.person@example.com');
  });

  it('does not mark the erasure event itself, which the consumer processes again', async () => {
    // Prepare
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [deadLetter({ messageId: 'm-erasure', eventId: 'e-erasure', eventType: 'user.erasure_requested', time: Date.parse(erasedAt), subject: ERASED })],
      })
      .resolves({});
    const terminal = fakeTerminal();

    // Act
    await dlqPeek(fakeTarget('aws', OUTPUTS_WITH_TOMBSTONES), terminal.io, { consumer: 'email', limit: 10, json: true });

    // Assess
    expect(JSON.parse(terminal.stdout()).deadLetters[0].subjectErased).toBeNull();
  });

  it('counts an event from the very time of the erasure as erased', async () => {
    // Prepare
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [deadLetter({ messageId: 'm-tie', eventId: 'e-tie', time: Date.parse(erasedAt), subject: ERASED })] })
      .resolves({});
    const terminal = fakeTerminal();

    // Act
    await dlqPeek(fakeTarget('aws', OUTPUTS_WITH_TOMBSTONES), terminal.io, { consumer: 'email', limit: 10, json: true });

    // Assess
    expect(JSON.parse(terminal.stdout()).deadLetters[0].subjectErased).toEqual({ erasedAt, erasureEventId: 'e-erasure' });
  });

  it('reads no tombstones when the stack has no TombstoneTableName output', async () => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    await dlqPeek(fakeTarget('aws', OUTPUTS), terminal.io, { consumer: 'email', limit: 10, json: true });

    // Assess
    expect(tombstoneReads()).toHaveLength(0);
    expect(documents.commandCalls(BatchGetCommand)).toHaveLength(1);
    const peeked = JSON.parse(terminal.stdout()).deadLetters as { subjectErased: unknown }[];
    expect(peeked.map((letter) => letter.subjectErased)).toEqual([null, null, null, null, null]);
    expect(terminal.stderr()).not.toContain('Tombstone');
  });

  it('reads no tombstones when no letter names a data subject', async () => {
    // Prepare
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [deadLetter({ messageId: 'm-none', eventId: 'e-none' })] }).resolves({});

    // Act
    await dlqPeek(fakeTarget('aws', OUTPUTS_WITH_TOMBSTONES), fakeTerminal().io, { consumer: 'email', limit: 10, json: true });

    // Assess
    expect(tombstoneReads()).toHaveLength(0);
  });
});
