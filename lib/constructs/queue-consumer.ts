import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { SubscriptionFilter, type ITopic } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_BACKOFF } from '../../lambdas/shared/backoff.ts';
import { DEFAULT_TOMBSTONE_TTL_SECONDS } from '../../lambdas/shared/erasure.ts';
import { DEFAULT_IDEMPOTENCY_TTL_SECONDS } from '../../lambdas/shared/tables.ts';
import { QueueflowConfigError } from './errors.ts';
import { grantOwnItems } from './grants.ts';
import { assertConsumerName, assertEventTypeName } from './naming.ts';
import { orderedSettingsProblems, orderedWiringProblems, PermanentFailureModes, type PermanentFailureMode } from './ordering.ts';
import type { EventTypeSchemas } from './event-validators.ts';
import { createQueueflowFunction, DEFAULT_FUNCTION_TIMEOUT, type SdkCredentials } from './queueflow-function.ts';
import { MAX_RECEIVE_COUNT_LIMIT, RETENTION_MARGIN, planRetries, type RetryPlan } from './retry-budget.ts';

/** AWS recommends a visibility timeout of at least six times the function timeout for SQS sources. */
export const VISIBILITY_TO_TIMEOUT_RATIO = 6;
/** The longest visibility (and so the longest backoff) SQS accepts. */
const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;
/** The maximum retention, so a message that reached the DLQ stays there as long as SQS allows. */
export const DLQ_RETENTION = Duration.days(14);

/** How long a processed event id (and the producer's Idempotency-Key) is remembered. */
export const DEFAULT_IDEMPOTENCY_TTL = Duration.seconds(DEFAULT_IDEMPOTENCY_TTL_SECONDS);
/** An SNS filter policy allows at most 150 value combinations. */
const MAX_EVENT_TYPES = 150;
/** How long a failing message is retried before it may reach the DLQ, unless the consumer says otherwise. */
export const DEFAULT_RETRY_FOR = Duration.hours(1);

/** Tuning a user may set per consumer. */
export interface QueueConsumerOptions {
  /**
   * The consumer function's timeout.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * The consumer function's memory in MiB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * The queue's visibility timeout. It must be at least 6 × `timeout`, so a batch still being
   * processed never becomes visible to a second invocation; a shorter value fails at synth.
   * @default - 6 × `timeout`
   */
  readonly visibilityTimeout?: Duration;
  /**
   * How long the queue keeps a message. Must be at least twice the latest time a failing message
   * can take to reach the DLQ (see `retryFor`), or a message could expire instead of reaching it.
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;
  /**
   * The retry budget: a message that keeps failing (transiently) is retried for at least this long
   * before it may move to the dead-letter queue, so an outage of a dependency shorter than this
   * dead-letters nothing. Permanent failures (a `PermanentError`) skip it and go to the DLQ at once.
   * The receive count that guarantees it is derived from the backoff and the visibility timeout
   * (see docs/architecture.md, "Retry budget").
   * @default Duration.hours(1)
   */
  readonly retryFor?: Duration;
  /**
   * Receives after which a message moves to the dead-letter queue. Derived from `retryFor`; set it
   * only to retry longer: a value that cannot cover `retryFor` fails at synth.
   * @default - the fewest receives that cover `retryFor`
   */
  readonly maxReceiveCount?: number;
  /**
   * Records per invocation (1–10,000; above 10 needs a `maxBatchingWindow`).
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * How long the event source gathers records before invoking (at most 5 minutes).
   * @default - no batching window
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * The most concurrent invocations this queue may drive (2–1,000).
   * @default - no cap beyond the account's concurrency
   */
  readonly maxConcurrency?: number;
  /**
   * Backoff after the first failed attempt; it doubles per attempt, with equal jitter.
   * @default Duration.seconds(2)
   */
  readonly backoffBase?: Duration;
  /**
   * The longest backoff (at most 12 hours, the SQS visibility limit); with the defaults it is
   * reached from the 9th attempt on.
   * @default Duration.seconds(300)
   */
  readonly backoffCap?: Duration;
  /**
   * Ordered consumers only (event types with `orderedBy`): what a permanent failure (a
   * `PermanentError`) does to its message group, i.e. to the later events of the same key.
   * - `'dead-letter'`: the event goes to the DLQ at once and its group **moves on**: the key's
   *   later events are processed without it (the sample's charge after a failed verification is
   *   then refused, and dead-lettered in turn). Redrive the DLQ to replay them in order.
   * - `'hold-group'`: the event is retried like a transient failure, **holding its group** (and no
   *   other) for the retry budget (`retryFor`); then SQS moves it to the DLQ and the group moves
   *   on. Use it when a later event must never be processed without an earlier one and a fix
   *   within `retryFor` is likely.
   * @default 'dead-letter'
   */
  readonly permanentFailure?: PermanentFailureMode;
  /**
   * Extra environment variables for the consumer function.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * Credential sources the AWS SDK clients in the consumer's bundle can use. The default bundles
   * only the environment variables Lambda sets from the function's role; choose
   * `SdkCredentials.DEFAULT_CHAIN` when the handler's code relies on another source through the
   * SDK's default chain (a profile or ini file, `credential_process`, SSO, a web identity token
   * file, the container or instance metadata endpoint). See docs/performance.md, "Lean bundles".
   * @default SdkCredentials.ENVIRONMENT
   */
  readonly sdkCredentials?: SdkCredentials;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/** A consumer as declared on a workflow: one declaration each. */
export interface ConsumerDefinition extends QueueConsumerOptions {
  /** Lower-case name, e.g. `email`; it names the queue, the function and the outputs. */
  readonly name: string;
  /** The event types this consumer takes; the subscription's filter policy lets only these through. */
  readonly eventTypes: readonly string[];
  /** Path to the handler file exporting `handler`. */
  readonly entry: string;
}

export interface QueueConsumerProps extends ConsumerDefinition {
  /**
   * The topic the consumer's queue subscribes to. A FIFO topic makes this an ordered consumer:
   * FIFO queue and DLQ, batches of at most 10, no batching window, one message group at a time.
   */
  readonly topic: ITopic;
  /** Powertools idempotency table (partition key `id`, TTL `expiration`). */
  readonly idempotencyTable: ITable;
  /** Failure records table (partition key `pk`, TTL `expiration`). */
  readonly failureTable: ITable;
  /**
   * Erasure tombstones (partition key `pk`), when this consumer takes an erasure event type.
   * @default - the consumer keeps no tombstones
   */
  readonly tombstoneTable?: ITable;
  /**
   * The erasure event types among `eventTypes`: processing one leaves a tombstone for its data
   * subject, and older events of that subject skip their effect (docs/architecture.md, "Erasure").
   * @default - none
   */
  readonly erasureEventTypes?: readonly string[];
  /**
   * The draft-4 documents of the event data of `eventTypes`, from which the consumer's data
   * validators are generated (`parseEventData` of queueflow/lambda). QueueWorkflow sets them from
   * its event types.
   * @default - none: `parseEventData` finds no validator
   */
  readonly eventDataSchemas?: readonly EventTypeSchemas[];
  /**
   * How long a tombstone is kept: longer than any older event of the subject can still arrive.
   * @default Duration.days(90)
   */
  readonly tombstoneTtl?: Duration;
  /**
   * How long a completed event is remembered, so a redelivery has no second effect.
   * @default Duration.days(1)
   */
  readonly idempotencyTtl?: Duration;
  /**
   * `POWERTOOLS_SERVICE_NAME` prefix; the consumer's name is appended.
   * @default 'queueflow'
   */
  readonly serviceName?: string;
  /**
   * Removal policy for the queues and the log group.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

interface ResolvedSettings {
  readonly timeout: Duration;
  readonly visibilityTimeout: Duration;
  readonly retentionPeriod: Duration;
  readonly retryPlan: RetryPlan;
  readonly batchSize: number;
  readonly backoffBaseSeconds: number;
  readonly backoffCapSeconds: number;
}

/** Tombstones outlive any message: a queue and its DLQ keep one 14 days each at most. */
export const DEFAULT_TOMBSTONE_TTL = Duration.seconds(DEFAULT_TOMBSTONE_TTL_SECONDS);

/**
 * One consumer of a queueflow workflow: an SQS queue with a dead-letter queue, subscribed to the
 * workflow's topic for its event types (raw delivery), drained by a Lambda function that reports
 * partial batch failures and backs failed records off with ChangeMessageVisibility.
 */
export class QueueConsumer extends Construct {
  public readonly consumerName: string;
  public readonly eventTypes: readonly string[];
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly function: NodejsFunction;
  public readonly eventSource: SqsEventSource;
  public readonly subscription: SqsSubscription;
  /** When a message that keeps failing is retried, and when it reaches the DLQ. */
  public readonly retryPlan: RetryPlan;
  /** Whether the consumer is ordered: FIFO queues on the workflow's FIFO topic, in order per message group. */
  public readonly ordered: boolean;

  public constructor(scope: Construct, id: string, props: QueueConsumerProps) {
    // Validate before joining the tree, so a rejected consumer leaves no half-built construct.
    const ordered = props.topic.fifo;
    const settings = resolveSettings(props, ordered);
    const erasureEventTypes = resolveErasureEventTypes(props);
    super(scope, id);
    this.ordered = ordered;
    this.consumerName = props.name;
    this.eventTypes = [...props.eventTypes];
    this.retryPlan = settings.retryPlan;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    // An ordered consumer's queues are FIFO (names end in .fifo), the DLQ too: SQS redrives only
    // to a queue of the same type, and a dead letter keeps its message group. High-throughput
    // mode (deduplication and throughput per message group) lifts the per-queue limit; the event
    // id, the deduplication id, is unique anyway (docs/aws-behaviour.md, "FIFO topics and queues").
    const fifo = ordered ? { fifo: true } : {};
    this.deadLetterQueue = new Queue(this, 'Dlq', {
      ...fifo,
      retentionPeriod: DLQ_RETENTION,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy,
    });
    this.queue = new Queue(this, 'Queue', {
      ...fifo,
      ...(ordered ? { deduplicationScope: DeduplicationScope.MESSAGE_GROUP, fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID } : {}),
      visibilityTimeout: settings.visibilityTimeout,
      retentionPeriod: settings.retentionPeriod,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.retryPlan.maxReceiveCount },
      removalPolicy,
    });

    this.subscription = new SqsSubscription(this.queue, {
      // The envelope carries the event id, so the SQS body must be the envelope itself.
      rawMessageDelivery: true,
      filterPolicy: { eventType: SubscriptionFilter.stringFilter({ allowlist: [...this.eventTypes] }) },
    });
    props.topic.addSubscription(this.subscription);

    this.function = createQueueflowFunction(this, 'Function', {
      entry: props.entry,
      description: `queueflow consumer '${props.name}' (${this.eventTypes.join(', ')})`,
      timeout: settings.timeout,
      memorySize: props.memorySize,
      logRetention: props.logRetention,
      removalPolicy,
      sdkCredentials: props.sdkCredentials,
      eventTypes: props.eventDataSchemas ?? [],
      environment: {
        ...props.environment,
        CONSUMER_NAME: props.name,
        QUEUE_URL: this.queue.queueUrl,
        DLQ_URL: this.deadLetterQueue.queueUrl,
        MAX_RECEIVE_COUNT: String(settings.retryPlan.maxReceiveCount),
        IDEMPOTENCY_TABLE_NAME: props.idempotencyTable.tableName,
        FAILURE_TABLE_NAME: props.failureTable.tableName,
        BACKOFF_BASE_SECONDS: String(settings.backoffBaseSeconds),
        BACKOFF_CAP_SECONDS: String(settings.backoffCapSeconds),
        FAILURE_TTL_SECONDS: String(DLQ_RETENTION.toSeconds()),
        IDEMPOTENCY_TTL_SECONDS: String((props.idempotencyTtl ?? DEFAULT_IDEMPOTENCY_TTL).toSeconds()),
        POWERTOOLS_SERVICE_NAME: `${props.serviceName ?? 'queueflow'}-${props.name}`,
        ...(ordered ? { FIFO_QUEUE: 'true', PERMANENT_FAILURE: props.permanentFailure ?? PermanentFailureModes.DeadLetter } : {}),
        ...(erasureEventTypes.length === 0
          ? {}
          : {
              ERASURE_EVENT_TYPES: erasureEventTypes.join(','),
              TOMBSTONE_TABLE_NAME: props.tombstoneTable!.tableName,
              TOMBSTONE_TTL_SECONDS: String((props.tombstoneTtl ?? DEFAULT_TOMBSTONE_TTL).toSeconds()),
            }),
      },
    });

    // The event source grants receive/delete/change-visibility on this queue only.
    this.eventSource = new SqsEventSource(this.queue, {
      batchSize: settings.batchSize,
      maxBatchingWindow: props.maxBatchingWindow,
      maxConcurrency: props.maxConcurrency,
      reportBatchItemFailures: true,
    });
    this.function.addEventSource(this.eventSource);
    const where = `consumer '${props.name}'`;
    this.node.addValidation({
      validate: () =>
        orderedWiringProblems({ where, topic: props.topic, queue: this.queue, deadLetterQueue: this.deadLetterQueue, function: this.function }),
    });
    // A permanent failure is sent to the DLQ by the consumer itself, at once (the queue's own
    // redrive only moves a message after maxReceiveCount receives).
    this.deadLetterQueue.grantSendMessages(this.function);
    // Each shared table holds every function's items side by side: this consumer may touch only
    // the items keyed under its own name (`<consumer>#…`).
    // Powertools idempotency: lock (PutItem), complete (UpdateItem), read (GetItem), release on error (DeleteItem).
    grantOwnItems(props.idempotencyTable, this.function, props.name, ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem']);
    // A failure record is one UpdateItem (first failure kept with if_not_exists).
    grantOwnItems(props.failureTable, this.function, props.name, ['UpdateItem']);
    // Tombstones: written (UpdateItem) on an erasure, read (GetItem) before each other event.
    if (props.tombstoneTable !== undefined && erasureEventTypes.length > 0) {
      grantOwnItems(props.tombstoneTable, this.function, props.name, ['GetItem', 'UpdateItem']);
    }
  }

  /** Grants `actions` on the items of `table` keyed under this consumer's name (`<consumer>#…`). */
  public grantOwnItems(table: ITable, actions: Parameters<typeof grantOwnItems>[3]): void {
    grantOwnItems(table, this.function, this.consumerName, actions);
  }
}

function resolveSettings(props: ConsumerDefinition, ordered: boolean): ResolvedSettings {
  const where = `consumer '${props.name}'`;
  assertConsumerName(props.name);
  assertEventTypes(props.eventTypes, where);

  const timeout = props.timeout ?? DEFAULT_FUNCTION_TIMEOUT;
  const minimumVisibility = timeout.toSeconds() * VISIBILITY_TO_TIMEOUT_RATIO;
  const visibilitySeconds = props.visibilityTimeout?.toSeconds() ?? minimumVisibility;
  if (visibilitySeconds < minimumVisibility) {
    throw new QueueflowConfigError(
      `${where}: visibilityTimeout ${visibilitySeconds}s is below ${VISIBILITY_TO_TIMEOUT_RATIO} × the function timeout ` +
        `(${timeout.toSeconds()}s), so a batch still running could be delivered twice. ` +
        `Use at least ${minimumVisibility}s, or leave visibilityTimeout unset.`,
    );
  }
  if (visibilitySeconds > MAX_VISIBILITY_SECONDS) {
    throw new QueueflowConfigError(`${where}: visibilityTimeout ${visibilitySeconds}s exceeds the SQS maximum of 12 hours.`);
  }


  const batchSize = props.batchSize ?? 10;
  assertIntegerIn(batchSize, 1, 10_000, `${where}: batchSize`);
  const windowSeconds = props.maxBatchingWindow?.toSeconds() ?? 0;
  const orderedProblems = orderedSettingsProblems(where, { ordered, batchSize, batchingWindowSeconds: windowSeconds, permanentFailure: props.permanentFailure });
  if (orderedProblems.length > 0) throw new QueueflowConfigError(orderedProblems.join('\n'));
  if (windowSeconds > 300) {
    throw new QueueflowConfigError(`${where}: maxBatchingWindow ${windowSeconds}s exceeds the Lambda maximum of 300s.`);
  }
  if (batchSize > 10 && windowSeconds < 1) {
    throw new QueueflowConfigError(`${where}: a batchSize above 10 needs a maxBatchingWindow of at least 1 second (a Lambda rule).`);
  }
  if (props.maxConcurrency !== undefined) {
    assertIntegerIn(props.maxConcurrency, 2, 1000, `${where}: maxConcurrency`);
  }

  const backoffBaseSeconds = wholeSeconds(props.backoffBase ?? Duration.seconds(DEFAULT_BACKOFF.baseSeconds), `${where}: backoffBase`);
  const backoffCapSeconds = wholeSeconds(props.backoffCap ?? Duration.seconds(DEFAULT_BACKOFF.capSeconds), `${where}: backoffCap`);
  if (backoffBaseSeconds <= 0) {
    throw new QueueflowConfigError(`${where}: backoffBase must be greater than 0 seconds.`);
  }
  if (backoffCapSeconds < backoffBaseSeconds) {
    throw new QueueflowConfigError(`${where}: backoffCap ${backoffCapSeconds}s is below backoffBase ${backoffBaseSeconds}s.`);
  }
  if (backoffCapSeconds > MAX_VISIBILITY_SECONDS) {
    throw new QueueflowConfigError(`${where}: backoffCap ${backoffCapSeconds}s exceeds 12 hours, the longest visibility SQS accepts.`);
  }

  const retryForSeconds = wholeSeconds(props.retryFor ?? DEFAULT_RETRY_FOR, `${where}: retryFor`);
  if (retryForSeconds < 1) {
    throw new QueueflowConfigError(`${where}: retryFor must be at least 1 second.`);
  }
  const budget = {
    retryForSeconds,
    batchingWindowSeconds: windowSeconds,
    backoff: { baseSeconds: backoffBaseSeconds, capSeconds: backoffCapSeconds },
    visibilitySeconds,
    timeoutSeconds: timeout.toSeconds(),
  };
  const derived = planRetries(budget);
  if (derived.earliestDeadLetterSeconds < retryForSeconds) {
    throw new QueueflowConfigError(
      `${where}: retryFor ${retryForSeconds}s needs more than ${MAX_RECEIVE_COUNT_LIMIT} receives (the SQS maximum) with this backoff; ` +
        `raise backoffCap or lower retryFor.`,
    );
  }
  if (props.maxReceiveCount !== undefined) {
    assertIntegerIn(props.maxReceiveCount, 1, MAX_RECEIVE_COUNT_LIMIT, `${where}: maxReceiveCount`);
    if (props.maxReceiveCount < derived.maxReceiveCount) {
      throw new QueueflowConfigError(
        `${where}: maxReceiveCount ${props.maxReceiveCount} can dead-letter a failing message after ` +
          `${planRetries(budget, props.maxReceiveCount).earliestDeadLetterSeconds}s, before retryFor ${retryForSeconds}s; ` +
          `use at least ${derived.maxReceiveCount}, or leave maxReceiveCount unset (it is derived from retryFor).`,
      );
    }
  }
  const retryPlan = props.maxReceiveCount === undefined ? derived : planRetries(budget, props.maxReceiveCount);

  const retentionPeriod = props.retentionPeriod ?? Duration.days(4);
  const retentionSeconds = retentionPeriod.toSeconds();
  if (retentionSeconds > DLQ_RETENTION.toSeconds() || retentionSeconds < 60) {
    throw new QueueflowConfigError(`${where}: retentionPeriod must be between 60 seconds and 14 days.`);
  }
  const needed = Math.ceil(RETENTION_MARGIN * retryPlan.latestDeadLetterSeconds);
  if (retentionSeconds < needed) {
    throw new QueueflowConfigError(
      `${where}: a failing message can take up to ${retryPlan.latestDeadLetterSeconds}s to reach the DLQ ` +
        `(${retryPlan.maxReceiveCount} receives, each failure waiting its backoff or the visibility timeout), but the queue keeps ` +
        `messages only ${retentionSeconds}s; it must keep them ${RETENTION_MARGIN}× that (${needed}s): raise retentionPeriod, ` +
        `or lower retryFor or backoffCap.`,
    );
  }

  return {
    timeout,
    visibilityTimeout: Duration.seconds(visibilitySeconds),
    retentionPeriod,
    retryPlan,
    batchSize,
    backoffBaseSeconds,
    backoffCapSeconds,
  };
}

function resolveErasureEventTypes(props: QueueConsumerProps): string[] {
  const erasing = (props.erasureEventTypes ?? []).filter((name) => props.eventTypes.includes(name));
  if (erasing.length > 0 && props.tombstoneTable === undefined) {
    throw new QueueflowConfigError(`consumer '${props.name}': it takes erasure event types, so it needs a tombstoneTable.`);
  }
  return erasing;
}

function assertEventTypes(eventTypes: readonly string[], where: string): void {
  if (eventTypes.length === 0 || eventTypes.length > MAX_EVENT_TYPES) {
    throw new QueueflowConfigError(`${where}: eventTypes must list 1-${MAX_EVENT_TYPES} event types.`);
  }
  eventTypes.forEach(assertEventTypeName);
  const duplicate = eventTypes.find((name, index) => eventTypes.indexOf(name) !== index);
  if (duplicate !== undefined) {
    throw new QueueflowConfigError(`${where}: event type '${duplicate}' is listed twice.`);
  }
}

function assertIntegerIn(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new QueueflowConfigError(`${what} must be a whole number from ${min} to ${max}, got ${value}.`);
  }
}

function wholeSeconds(duration: Duration, what: string): number {
  const seconds = duration.toSeconds({ integral: false });
  if (!Number.isInteger(seconds)) {
    throw new QueueflowConfigError(`${what} must be a whole number of seconds, got ${seconds}s.`);
  }
  return seconds;
}
