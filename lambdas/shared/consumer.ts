/**
 * The consumer pipeline every queueflow consumer Lambda shares: partial batch responses,
 * idempotency on the envelope id, structured logs, a failure record and backoff on failure.
 *
 * @example
 * ```ts
 * export const handler = createConsumerHandler({
 *   handle: async (envelope, { logger }) => { logger.info('sending'); await send(envelope.data); },
 * });
 * ```
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { PartialItemFailureResponse } from '@aws-lambda-powertools/batch/types';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { recordFailure } from '#adapters/failure-store';
import { createIdempotencyStore } from '#adapters/idempotency-store';
import { changeMessageVisibility } from '#adapters/sqs-visibility';
import { backoffSeconds } from '#shared/backoff';
import { Envelope, peekEnvelopeIdentity } from '#shared/envelope';
import type { EnvelopeIdentity } from '#shared/envelope';
import { readConsumerEnv } from '#shared/env';
import { describeIssues } from '#shared/issues';

/** What a consumer's `handle` gets besides the envelope. */
export interface ConsumerContext {
  /** `CONSUMER_NAME`, e.g. `email`. */
  readonly consumerName: string;
  /** A logger that already carries the event id, correlation id and message id. */
  readonly logger: Logger;
  /** This delivery's ApproximateReceiveCount (1 on the first delivery). */
  readonly attempt: number;
}

/** Performs the consumer's effect for one event; throwing fails (and so retries) the record. */
export type EnvelopeHandler = (envelope: Envelope, context: ConsumerContext) => Promise<void>;

export interface ConsumerHandlerOptions {
  readonly handle: EnvelopeHandler;
  /** Jitter source for the retry backoff. @default Math.random */
  readonly random?: () => number;
}

/** The record's body is not a queueflow envelope; it fails on every attempt and ends in the DLQ. */
export class MalformedEnvelopeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MalformedEnvelopeError';
  }
}

const MAX_ERROR_MESSAGE_LENGTH = 1_000;

/**
 * Parses a record body as an envelope. The error message names fields only: a JSON SyntaxError
 * quotes the body, so it is kept as the cause and never shown.
 *
 * @throws {MalformedEnvelopeError}
 */
export const parseEnvelope = (body: string): Envelope => {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (error) {
    throw new MalformedEnvelopeError('Message body is not JSON', { cause: error });
  }
  const parsed = Envelope.safeParse(raw);
  if (!parsed.success) {
    throw new MalformedEnvelopeError(`Message body is not a queueflow envelope: ${describeIssues(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
};

const describeError = (error: unknown): { errorType: string; errorMessage: string } =>
  error instanceof Error
    ? { errorType: error.name, errorMessage: error.message.slice(0, MAX_ERROR_MESSAGE_LENGTH) }
    : { errorType: 'UnknownError', errorMessage: 'A non-Error value was thrown' };

const logKeys = (identity: EnvelopeIdentity, record: SQSRecord) => ({
  eventId: identity.eventId,
  eventType: identity.eventType,
  correlationId: identity.correlationId,
  messageId: record.messageId,
});

/**
 * Builds a consumer Lambda handler around `handle`. Reads and validates the consumer environment
 * (see docs/architecture.md) when called, so call it at module scope.
 *
 * Per record: parse the envelope (an unparseable record fails), run `handle` under Powertools
 * idempotency keyed on the envelope id and scoped to this consumer (a duplicate delivery has its
 * effect once), and report failures as partial batch failures (one bad record never fails its
 * batch). A failed record also gets a failure record and a backoff visibility timeout.
 *
 * @throws {ConfigurationError} when the environment is invalid.
 */
export const createConsumerHandler = ({ handle, random = Math.random }: ConsumerHandlerOptions) => {
  const env = readConsumerEnv();
  const logger = new Logger();
  const idempotencyConfig = new IdempotencyConfig({
    eventKeyJmesPath: 'id',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: env.idempotencyTtlSeconds,
  });
  const handleOnce = makeIdempotent(
    async (envelope: Envelope, context: ConsumerContext): Promise<void> => handle(envelope, context),
    {
      persistenceStore: createIdempotencyStore(env.idempotencyTableName),
      config: idempotencyConfig,
      // The consumer name, not the function name: stable across function replacements and under
      // the local runtime, and still one scope per consumer.
      keyPrefix: env.consumerName,
    },
  );
  const processor = new BatchProcessor(EventType.SQS);

  const reportFailure = async (record: SQSRecord, attempt: number, identity: EnvelopeIdentity, error: unknown) => {
    const { errorType, errorMessage } = describeError(error);
    const recordLogger = logger.createChild({ persistentKeys: logKeys(identity, record) });
    recordLogger.error('Record failed', { attempt, errorType, errorMessage });
    const delaySeconds = backoffSeconds(attempt, env.backoff, random);
    // Either step failing is logged and ignored: the record has failed regardless, and SQS
    // retries it after the queue's visibility timeout even without the backoff.
    const [stored, delayed] = await Promise.allSettled([
      recordFailure(env.failureTableName, {
        consumer: env.consumerName,
        messageId: record.messageId,
        ...identity,
        errorType,
        errorMessage,
        attempts: attempt,
        failedAt: new Date(),
        ttlSeconds: env.failureTtlSeconds,
      }),
      changeMessageVisibility(env.queueUrl, record.receiptHandle, delaySeconds),
    ]);
    if (stored.status === 'rejected') recordLogger.warn('Could not write the failure record', { error: stored.reason });
    if (delayed.status === 'rejected') recordLogger.warn('Could not set the retry backoff', { error: delayed.reason, delaySeconds });
    else recordLogger.info('Retry scheduled', { delaySeconds });
  };

  const processRecord = async (record: SQSRecord): Promise<void> => {
    const attempt = Number.parseInt(record.attributes.ApproximateReceiveCount, 10) || 1;
    let identity: EnvelopeIdentity = peekEnvelopeIdentity(record.body);
    try {
      const envelope = parseEnvelope(record.body);
      identity = { eventId: envelope.id, eventType: envelope.type, correlationId: envelope.correlationid };
      const recordLogger = logger.createChild({ persistentKeys: logKeys(identity, record) });
      await handleOnce(envelope, { consumerName: env.consumerName, logger: recordLogger, attempt });
      recordLogger.info('Record processed', { attempt });
    } catch (error) {
      await reportFailure(record, attempt, identity, error);
      throw error;
    }
  };

  return middy(async (event: SQSEvent, context: Context): Promise<PartialItemFailureResponse> => {
    idempotencyConfig.registerLambdaContext(context);
    // Not throwing when every record failed: each failed record already has its failure record
    // and backoff, and listing them all keeps one retry path instead of an invocation error.
    return processPartialResponse(event, processRecord, processor, { context, throwOnFullBatchFailure: false });
  }).use(injectLambdaContext(logger, { resetKeys: true }));
};
