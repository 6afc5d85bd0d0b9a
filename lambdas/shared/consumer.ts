/**
 * The consumer pipeline every queueflow consumer Lambda shares: partial batch responses,
 * idempotency on the envelope id (with the payload validated), structured logs, a failure record
 * and backoff on a transient failure, the DLQ at once on a permanent one, and erasure tombstones.
 *
 * @example
 * ```ts
 * export const handler = createConsumerHandler({
 *   handle: async (envelope, { logger }) => { logger.info('sending'); await send(envelope.data); },
 * });
 * ```
 */
import { BatchProcessor, EventType, SqsFifoPartialProcessorAsync, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { PartialItemFailureResponse } from '@aws-lambda-powertools/batch/types';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { sendToDeadLetterQueue } from '../adapters/dead-letter-sender.ts';
import { recordFailure } from '../adapters/failure-store.ts';
import { createIdempotencyStore } from '../adapters/idempotency-store.ts';
import { changeMessageVisibility, releaseMessages } from '../adapters/sqs-visibility.ts';
import { createDynamoDbTombstoneStore } from '../adapters/tombstones.ts';
import type { Tombstone, TombstoneStore } from '../adapters/tombstones.ts';
import { backoffSeconds } from './backoff.ts';
import { checkEnvelope, peekEnvelopeIdentity } from './envelope.ts';
import type { Envelope, EnvelopeIdentity } from './envelope.ts';
import { readConsumerEnv } from './env.ts';
import { predatesErasure } from './erasure.ts';
import { PermanentError, isPermanentFailure } from './errors.ts';
import { describeFieldErrors } from './validation-errors.ts';
import { PermanentFailureModes } from './ordering.ts';

/** What a consumer's `handle` gets besides the envelope. */
export interface ConsumerContext {
  /** `CONSUMER_NAME`, e.g. `email`. */
  readonly consumerName: string;
  /** A logger that already carries the event id, correlation id and message id. */
  readonly logger: Logger;
  /** This delivery's ApproximateReceiveCount (1 on the first delivery). */
  readonly attempt: number;
}

/**
 * Performs the consumer's effect for one event. Throwing a {@link PermanentError} sends the record
 * to the DLQ at once; throwing anything else retries it with backoff, within the retry budget.
 */
export type EnvelopeHandler = (envelope: Envelope, context: ConsumerContext) => Promise<void>;

/** What the skip hook gets: the consumer context and the tombstone that made the event stale. */
export interface ErasedSubjectContext extends ConsumerContext {
  readonly erasure: Tombstone;
}

export interface ConsumerHandlerOptions {
  readonly handle: EnvelopeHandler;
  /**
   * Called instead of `handle` for an event whose data subject this consumer has erased since the
   * event was published (only consumers that take an erasure event type keep tombstones). Use it
   * to record that the effect was skipped; it must not perform the personal-data effect.
   * @default - the event is skipped with a log line only
   */
  readonly onErasedSubject?: (envelope: Envelope, context: ErasedSubjectContext) => Promise<void>;
  /**
   * Whether an error is permanent (goes to the DLQ at once). Errors it does not claim fall back
   * to the default rule: {@link PermanentError} and its subclasses, and a payload that differs
   * from the one already processed under the same event id.
   * @default - the default rule only
   */
  readonly isPermanent?: (error: unknown) => boolean;
  /** Jitter source for the retry backoff. @default Math.random */
  readonly random?: () => number;
}

/** The record's body is not a queueflow envelope; it can never succeed, so it goes to the DLQ at once. */
export class MalformedEnvelopeError extends PermanentError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MalformedEnvelopeError';
  }
}

const MAX_ERROR_MESSAGE_LENGTH = 1_000;

/** A record is not started with less time left in the invocation than this. */
export const MIN_REMAINING_MS = 1_000;

/** The invocation has too little time left to start the record; it is returned unprocessed, with no failure record or backoff. */
class OutOfTimeError extends Error {
  constructor() {
    super(`Less than ${MIN_REMAINING_MS} ms left in the invocation: the record is returned unprocessed`);
    this.name = 'OutOfTimeError';
  }
}

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
  const checked = checkEnvelope(raw);
  if ('errors' in checked) {
    throw new MalformedEnvelopeError(`Message body is not a queueflow envelope: ${describeFieldErrors(checked.errors)}`);
  }
  return checked.envelope;
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
export const createConsumerHandler = ({ handle, onErasedSubject, isPermanent, random = Math.random }: ConsumerHandlerOptions) => {
  const env = readConsumerEnv();
  const logger = new Logger();
  const idempotencyConfig = new IdempotencyConfig({
    eventKeyJmesPath: 'id',
    // A second event under a known id (a producer bug, a forged or replayed id) must fail loudly
    // rather than be skipped as a duplicate: the hash of type and data is kept and compared.
    payloadValidationJmesPath: '[type, data]',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: env.idempotencyTtlSeconds,
  });
  // Only consumers that take an erasure event type keep tombstones.
  const erasure: { readonly eventTypes: ReadonlySet<string>; readonly tombstones: TombstoneStore } | undefined =
    env.erasure === undefined
      ? undefined
      : { eventTypes: env.erasure.eventTypes, tombstones: createDynamoDbTombstoneStore(env.erasure.tombstoneTableName, env.erasure.tombstoneTtlSeconds) };
  // An ordered consumer may hold a group on a permanent failure instead of letting it move on
  // (PERMANENT_FAILURE=hold-group): the record is then retried like a transient one.
  const holdsGroup = env.permanentFailure === PermanentFailureModes.HoldGroup;
  const permanent = (error: unknown): boolean => !holdsGroup && (isPermanent?.(error) === true || isPermanentFailure(error));

  /**
   * The erasure rule (docs/architecture.md, "Erasure"): an erasure leaves its tombstone before its
   * effect, so nothing processed after the effect can slip in between; any other event of an
   * erased subject from before the erasure is skipped.
   */
  const performOnce = async (envelope: Envelope, context: ConsumerContext): Promise<void> => {
    const subject = envelope.datasubject;
    if (erasure === undefined) return handle(envelope, context);
    const erases = erasure.eventTypes.has(envelope.type);
    if (subject === undefined) {
      // Erasing without a tombstone would not stick: say so loudly, but still erase what we can.
      if (erases) context.logger.warn('Erasure event without a datasubject: no tombstone is left');
      return handle(envelope, context);
    }
    if (erases) {
      const erasedAt = new Date(envelope.time).toISOString();
      await erasure.tombstones.write({ consumer: env.consumerName, subject, erasedAt, erasureEventId: envelope.id });
      return handle(envelope, context);
    }
    const tombstone = await erasure.tombstones.read(env.consumerName, subject);
    if (tombstone === undefined || !predatesErasure(envelope.time, tombstone.erasedAt)) return handle(envelope, context);
    context.logger.info('Skipped: the data subject was erased after this event', {
      erasureEventId: tombstone.erasureEventId,
      erasedAt: tombstone.erasedAt,
    });
    await onErasedSubject?.(envelope, { ...context, erasure: tombstone });
  };

  const handleOnce = makeIdempotent(performOnce, {
    persistenceStore: createIdempotencyStore(env.idempotencyTableName),
    config: idempotencyConfig,
    // The consumer name, not the function name: stable across function replacements and under
    // the local runtime, one scope per consumer, and the key prefix its IAM policy allows.
    keyPrefix: env.consumerName,
  });
  // A FIFO queue (an ordered consumer): a failed record holds its own message group only; the
  // later records of that group in the batch are not processed and are returned as failures.
  const fifoProcessor = env.fifo ? new SqsFifoPartialProcessorAsync() : undefined;
  const processor = new BatchProcessor(EventType.SQS);
  /** Message ids this invocation ran `processRecord` on: the other failures are skipped records of a failed group. */
  let attempted = new Set<string>();
  let invocation: Context | undefined;

  const storeFailure = (record: SQSRecord, attempt: number, identity: EnvelopeIdentity, error: unknown, sentToDlq: boolean) =>
    recordFailure(env.failureTableName, {
      consumer: env.consumerName,
      messageId: record.messageId,
      ...identity,
      ...describeError(error),
      attempts: attempt,
      permanent: sentToDlq,
      failedAt: new Date(),
      ttlSeconds: env.failureTtlSeconds,
    });

  const reportFailure = async (record: SQSRecord, attempt: number, identity: EnvelopeIdentity, error: unknown) => {
    const recordLogger = logger.createChild({ persistentKeys: logKeys(identity, record) });
    recordLogger.error('Record failed', { attempt, ...describeError(error) });
    const delaySeconds = backoffSeconds(attempt, env.backoff, random);
    // Either step failing is logged and ignored: the record has failed regardless, and SQS
    // retries it after the queue's visibility timeout even without the backoff.
    const [stored, delayed] = await Promise.allSettled([
      storeFailure(record, attempt, identity, error, false),
      changeMessageVisibility(env.queueUrl, record.receiptHandle, delaySeconds),
    ]);
    if (stored.status === 'rejected') recordLogger.warn('Could not write the failure record', { error: stored.reason });
    const retry = { delaySeconds, ...(env.maxReceiveCount === undefined ? {} : { attemptsLeft: Math.max(0, env.maxReceiveCount - attempt) }) };
    if (delayed.status === 'rejected') recordLogger.warn('Could not set the retry backoff', { error: delayed.reason, ...retry });
    else recordLogger.info('Retry scheduled', retry);
  };

  /**
   * A permanent failure skips the retry budget: the record is copied to the DLQ and then counts as
   * handled, so the event source deletes it and the batch goes on. Only a copy SQS accepted lets
   * go of the record: if the send fails, it fails like a transient error and comes back.
   */
  const deadLetterNow = async (record: SQSRecord, attempt: number, identity: EnvelopeIdentity, error: unknown) => {
    const recordLogger = logger.createChild({ persistentKeys: logKeys(identity, record) });
    const [stored, sent] = await Promise.allSettled([
      storeFailure(record, attempt, identity, error, true),
      sendToDeadLetterQueue(env.dlqUrl, record),
    ]);
    if (stored.status === 'rejected') recordLogger.warn('Could not write the failure record', { error: stored.reason });
    if (sent.status === 'rejected') {
      recordLogger.warn('Could not send the record to the DLQ; it will be retried', { error: sent.reason });
      await reportFailure(record, attempt, identity, error);
      throw error;
    }
    recordLogger.error('Record failed permanently: sent to the DLQ', { attempt, ...describeError(error) });
  };

  const processRecord = async (record: SQSRecord): Promise<void> => {
    // Never start a record the invocation cannot finish: Powertools gives an in-progress record no
    // expiry when the remaining time is 0, and a record locked that way is refused as "in progress"
    // for the whole idempotency window (a day), holding its group. Not attempted, it is released
    // below and comes back at once in a fresh invocation.
    if ((invocation?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY) < MIN_REMAINING_MS) {
      throw new OutOfTimeError();
    }
    attempted.add(record.messageId);
    const attempt = Number.parseInt(record.attributes.ApproximateReceiveCount, 10) || 1;
    let identity: EnvelopeIdentity = peekEnvelopeIdentity(record.body);
    try {
      const envelope = parseEnvelope(record.body);
      identity = { eventId: envelope.id, eventType: envelope.type, correlationId: envelope.correlationid };
      const recordLogger = logger.createChild({ persistentKeys: logKeys(identity, record) });
      await handleOnce(envelope, { consumerName: env.consumerName, logger: recordLogger, attempt });
      recordLogger.info('Record processed', { attempt });
    } catch (error) {
      if (permanent(error)) return deadLetterNow(record, attempt, identity, error);
      await reportFailure(record, attempt, identity, error);
      throw error;
    }
  };

  /**
   * The skipped records of a failed group would otherwise stay in flight for the whole visibility
   * timeout and hold the group that long. Released at once, they still cannot be received before
   * the failed record: SQS returns nothing more of a group while one of its messages is in flight,
   * so the group waits exactly the failed record's backoff. Best effort: a failure only makes the
   * group wait for the visibility timeout.
   */
  const releaseSkipped = async (event: SQSEvent, response: PartialItemFailureResponse): Promise<void> => {
    const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    const skipped = event.Records.filter((record) => failed.has(record.messageId) && !attempted.has(record.messageId));
    if (skipped.length === 0) return;
    try {
      const notReleased = await releaseMessages(env.queueUrl, skipped.map((record) => record.receiptHandle));
      logger.info('Records returned unprocessed (later records of failed message groups, or no time left)', { skipped: skipped.length, notReleased });
    } catch (error) {
      logger.warn('Could not release the skipped records; they return after the visibility timeout', { skipped: skipped.length, error });
    }
  };

  return middy(async (event: SQSEvent, context: Context): Promise<PartialItemFailureResponse> => {
    idempotencyConfig.registerLambdaContext(context);
    attempted = new Set();
    invocation = context;
    // Not throwing when every record failed: each failed record already has its failure record
    // and backoff, and listing them all keeps one retry path instead of an invocation error.
    const response =
      fifoProcessor === undefined
        ? await processPartialResponse(event, processRecord, processor, { context, throwOnFullBatchFailure: false })
        : await processPartialResponse(event, processRecord, fifoProcessor, { context, throwOnFullBatchFailure: false, skipGroupOnError: true });
    await releaseSkipped(event, response);
    return response;
  }).use(injectLambdaContext(logger, { resetKeys: true }));
};
