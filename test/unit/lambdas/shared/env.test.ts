/** Environment configuration: read once, validated, loud on mistakes. */
import { describe, expect, it } from 'vitest';
import { ConfigurationError, readConsumerEnv, readProducerEnv } from '../../../../lambdas/shared/env.ts';

const consumerEnv = {
  CONSUMER_NAME: 'email',
  QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
  DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/q-dlq',
  IDEMPOTENCY_TABLE_NAME: 'idem',
  FAILURE_TABLE_NAME: 'failures',
};

describe('readConsumerEnv', () => {
  it('applies the documented defaults', () => {
    // Act
    const env = readConsumerEnv(consumerEnv);

    // Assess
    expect(env).toEqual({
      consumerName: 'email',
      queueUrl: consumerEnv.QUEUE_URL,
      dlqUrl: consumerEnv.DLQ_URL,
      maxReceiveCount: undefined,
      erasure: undefined,
      idempotencyTableName: 'idem',
      failureTableName: 'failures',
      backoff: { baseSeconds: 2, capSeconds: 300 },
      failureTtlSeconds: 1_209_600,
      idempotencyTtlSeconds: 86_400,
      fifo: false,
      permanentFailure: 'dead-letter',
    });
  });

  it('reads the erasure settings as a set of event types and the tombstone table', () => {
    // Act
    const env = readConsumerEnv({
      ...consumerEnv,
      MAX_RECEIVE_COUNT: '31',
      ERASURE_EVENT_TYPES: 'user.erasure_requested, account.closed',
      TOMBSTONE_TABLE_NAME: 'tombstones',
    });

    // Assess
    expect(env.maxReceiveCount).toBe(31);
    expect(env.erasure).toEqual({
      eventTypes: new Set(['user.erasure_requested', 'account.closed']),
      tombstoneTableName: 'tombstones',
      tombstoneTtlSeconds: 7_776_000,
    });
  });

  it('treats an empty variable as unset', () => {
    // Act / Assess
    expect(readConsumerEnv({ ...consumerEnv, BACKOFF_BASE_SECONDS: '' }).backoff.baseSeconds).toBe(2);
  });

  it.each([
    ['a missing queue URL', { QUEUE_URL: undefined }, /QUEUE_URL/],
    ['a queue URL that is not a URL', { QUEUE_URL: 'my-queue' }, /QUEUE_URL/],
    ['a fractional base', { BACKOFF_BASE_SECONDS: '1.5' }, /BACKOFF_BASE_SECONDS/],
    ['a cap under the base', { BACKOFF_BASE_SECONDS: '10', BACKOFF_CAP_SECONDS: '5' }, /BACKOFF_CAP_SECONDS/],
    ['a cap over the SQS visibility maximum', { BACKOFF_CAP_SECONDS: '43201' }, /BACKOFF_CAP_SECONDS/],
    ['a non-numeric TTL', { FAILURE_TTL_SECONDS: 'two weeks' }, /FAILURE_TTL_SECONDS/],
    ['a missing DLQ URL', { DLQ_URL: undefined }, /DLQ_URL/],
    ['a receive count over the SQS maximum', { MAX_RECEIVE_COUNT: '1001' }, /MAX_RECEIVE_COUNT/],
    ['erasure event types without a tombstone table', { ERASURE_EVENT_TYPES: 'user.erasure_requested' }, /TOMBSTONE_TABLE_NAME/],
  ])('rejects %s, naming the variable', (_case, change, message) => {
    // Act / Assess
    expect(() => readConsumerEnv({ ...consumerEnv, ...change })).toThrow(ConfigurationError);
    expect(() => readConsumerEnv({ ...consumerEnv, ...change })).toThrow(message);
  });
});

describe('readProducerEnv', () => {
  it('reads the topic, table, source and TTL', () => {
    // Act
    const env = readProducerEnv({ TOPIC_ARN: 'arn:t', IDEMPOTENCY_TABLE_NAME: 'idem', EVENT_SOURCE: 'queueflow/orders', IDEMPOTENCY_TTL_SECONDS: '600' });

    // Assess
    expect(env).toEqual({ topicArn: 'arn:t', idempotencyTableName: 'idem', eventSource: 'queueflow/orders', idempotencyTtlSeconds: 600 });
  });

  it('names every missing variable at once', () => {
    // Act / Assess
    expect(() => readProducerEnv({})).toThrow(/TOPIC_ARN[\s\S]*IDEMPOTENCY_TABLE_NAME[\s\S]*EVENT_SOURCE/);
  });
});
