import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { dlqPeek } from '../../../lib/cli/dlq-peek.ts';
import { ExitCode, UnknownConsumerError } from '../../../lib/cli/errors.ts';
import { NOW, OUTPUTS, deadLetter, fakeTarget, fakeTerminal } from './cli-fixtures.ts';

const sqs = mockClient(SQSClient);
const documents = mockClient(DynamoDBDocumentClient);

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

describe('dlq peek', () => {
  beforeEach(() => {
    sqs.reset();
    documents.reset();
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          deadLetter({ messageId: 'm-1', eventId: 'e-1' }),
          deadLetter({ messageId: 'm-2', body: 'not an envelope', receiveCount: 4 }),
        ],
      })
      .resolves({});
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '2', ApproximateNumberOfMessagesNotVisible: '0' } });
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
        },
        { messageId: 'm-2', eventId: null, eventType: null, correlationId: null, receiveCount: 4, sentAt: new Date(NOW - 3_600_000).toISOString(), failure: null },
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
