/**
 * An ordered consumer (FIFO queue, docs/architecture.md "Ordered processing"): a failed record
 * holds its own message group only, the group's later records in the batch are returned
 * unprocessed and released at once (the failed record's backoff alone then holds the group), a
 * permanent failure goes to the FIFO DLQ with its group and lets the group move on, or, with
 * PERMANENT_FAILURE=hold-group, is retried like a transient one.
 */
import { ChangeMessageVisibilityBatchCommand, ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createConsumerHandler } from '../../../../lambdas/shared/consumer.ts';
import type { Envelope } from '../../../../lambdas/shared/envelope.ts';
import { PermanentError } from '../../../../lambdas/shared/errors.ts';
import { useConsumerHarness } from '../../../helpers/consumer-harness.ts';
import { baseLambdaEnv, lambdaContext, setEnv, sqsEvent, sqsRecord } from '../../../helpers/lambda.ts';
import { sqsMock } from '../../../helpers/sdk-mocks.ts';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/billing.fifo';
const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/billing-dlq.fifo';
const env = {
  ...baseLambdaEnv,
  CONSUMER_NAME: 'billing',
  QUEUE_URL,
  DLQ_URL,
  MAX_RECEIVE_COUNT: '31',
  IDEMPOTENCY_TABLE_NAME: 'queueflow-idempotency',
  FAILURE_TABLE_NAME: 'queueflow-failures',
  FIFO_QUEUE: 'true',
};
const restoreEnv = setEnv(env);
afterAll(restoreEnv);

const envelope = (id: string): Envelope => ({
  specversion: '1.0',
  id,
  source: 'queueflow/sample',
  type: 'account.charged',
  time: '2026-12-01T10:00:00.000Z',
  datacontenttype: 'application/json',
  correlationid: `corr-${id}`,
  data: { accountId: id.split('-')[0] },
});

/** A FIFO record: `a-1` is the first event of group `a`. */
const fifoRecord = (id: string): SQSRecord => {
  const record = sqsRecord({ messageId: `m-${id}`, body: JSON.stringify(envelope(id)) });
  return { ...record, attributes: { ...record.attributes, MessageGroupId: id.split('-')[0]!, MessageDeduplicationId: id, SequenceNumber: '1' } };
};

const harness = useConsumerHarness();
beforeEach(() => {
  sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'dlq-copy' });
});

const consumer = (fail: (id: string) => Error | undefined, remainingMs = 30_000) => {
  const processed: string[] = [];
  const handle = vi.fn(async (received: Envelope) => {
    const error = fail(received.id);
    if (error) throw error;
    processed.push(received.id);
  });
  const handler = createConsumerHandler({ handle, random: () => 0.5 });
  return { processed, handle, invoke: (...ids: string[]) => handler(sqsEvent(...ids.map(fifoRecord)), lambdaContext(remainingMs)) };
};

describe('ordered consumer', () => {
  it("holds only the failed record's group: its later records are returned unprocessed, other groups go on", async () => {
    // Prepare
    const { processed, invoke } = consumer((id) => (id === 'a-1' ? new Error('downstream down') : undefined));

    // Act
    const response = await invoke('a-1', 'b-1', 'a-2', 'b-2', 'a-3');

    // Assess
    expect(processed).toEqual(['b-1', 'b-2']);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['m-a-1', 'm-a-2', 'm-a-3']);
    // The failed record backs off; its group's skipped records are released at once.
    expect(sqsMock.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input.ReceiptHandle)).toEqual(['rh-m-a-1']);
    const released = sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand).flatMap((call) => call.args[0].input.Entries!);
    expect(released).toEqual([
      { Id: '0', ReceiptHandle: 'rh-m-a-2', VisibilityTimeout: 0 },
      { Id: '1', ReceiptHandle: 'rh-m-a-3', VisibilityTimeout: 0 },
    ]);
    expect(harness.logs().text()).toContain('Records returned unprocessed');
  });

  it('sends a permanent failure to the FIFO DLQ with its group and deduplication id, and lets the group move on', async () => {
    // Prepare
    const { processed, invoke } = consumer((id) => (id === 'a-1' ? new PermanentError('refused') : undefined));

    // Act
    const response = await invoke('a-1', 'a-2');

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(processed).toEqual(['a-2']);
    expect(sqsMock.commandCalls(SendMessageCommand)[0]!.args[0].input).toMatchObject({
      QueueUrl: DLQ_URL,
      MessageGroupId: 'a',
      MessageDeduplicationId: 'a-1',
    });
  });

  it('with PERMANENT_FAILURE=hold-group, retries a permanent failure and holds its group', async () => {
    // Prepare
    const restore = setEnv({ PERMANENT_FAILURE: 'hold-group' });
    const { processed, invoke } = consumer((id) => (id === 'a-1' ? new PermanentError('refused') : undefined));
    restore();

    // Act
    const response = await invoke('a-1', 'a-2', 'b-1');

    // Assess
    expect(processed).toEqual(['b-1']);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['m-a-1', 'm-a-2']);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(1);
  });

  it('starts no record with less than a second left: returns them unprocessed and released, with no failure record', async () => {
    // Prepare: an invocation at its deadline (a record started now would lock its idempotency
    // record with no expiry)
    const { handle, invoke } = consumer(() => undefined, 500);

    // Act
    const response = await invoke('a-1', 'b-1');

    // Assess
    expect(handle).not.toHaveBeenCalled();
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['m-a-1', 'm-b-1']);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand).flatMap((call) => call.args[0].input.Entries!.map((entry) => entry.ReceiptHandle))).toEqual([
      'rh-m-a-1',
      'rh-m-b-1',
    ]);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(0);
    expect(harness.dynamo().items('queueflow-failures')).toEqual([]);
  });
});
