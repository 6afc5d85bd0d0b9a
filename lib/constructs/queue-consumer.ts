import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { SubscriptionFilter, type ITopic } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { QueueflowConfigError } from './errors.ts';
import { assertConsumerName, assertEventTypeName } from './naming.ts';
import { createQueueflowFunction, DEFAULT_FUNCTION_TIMEOUT } from './queueflow-function.ts';

/** AWS recommends a visibility timeout of at least six times the function timeout for SQS sources. */
export const VISIBILITY_TO_TIMEOUT_RATIO = 6;
/** The longest visibility (and so the longest backoff) SQS accepts. */
const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;
/** The maximum retention, so a message that reached the DLQ stays there as long as SQS allows. */
export const DLQ_RETENTION = Duration.days(14);
/** An SNS filter policy allows at most 150 value combinations. */
const MAX_EVENT_TYPES = 150;

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
   * How long the queue keeps a message. Must exceed the worst-case time to exhaust the retries
   * (`maxReceiveCount` × (`backoffCap` + `timeout`)), or a poison message expires instead of
   * reaching the DLQ.
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;
  /**
   * Receives after which a message moves to the dead-letter queue.
   * @default 5
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
   * The longest backoff (at most 12 hours, the SQS visibility limit).
   * @default Duration.seconds(300)
   */
  readonly backoffCap?: Duration;
  /**
   * Extra environment variables for the consumer function.
   * @default - none
   */
  readonly environment?: Record<string, string>;
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
  /** The topic the consumer's queue subscribes to. */
  readonly topic: ITopic;
  /** Powertools idempotency table (partition key `id`, TTL `expiration`). */
  readonly idempotencyTable: ITable;
  /** Failure records table (partition key `pk`, TTL `expiration`). */
  readonly failureTable: ITable;
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
  readonly maxReceiveCount: number;
  readonly batchSize: number;
  readonly backoffBaseSeconds: number;
  readonly backoffCapSeconds: number;
}

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

  public constructor(scope: Construct, id: string, props: QueueConsumerProps) {
    // Validate before joining the tree, so a rejected consumer leaves no half-built construct.
    const settings = resolveSettings(props);
    super(scope, id);
    this.consumerName = props.name;
    this.eventTypes = [...props.eventTypes];
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.deadLetterQueue = new Queue(this, 'Dlq', {
      retentionPeriod: DLQ_RETENTION,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy,
    });
    this.queue = new Queue(this, 'Queue', {
      visibilityTimeout: settings.visibilityTimeout,
      retentionPeriod: settings.retentionPeriod,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
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
      environment: {
        ...props.environment,
        CONSUMER_NAME: props.name,
        QUEUE_URL: this.queue.queueUrl,
        IDEMPOTENCY_TABLE_NAME: props.idempotencyTable.tableName,
        FAILURE_TABLE_NAME: props.failureTable.tableName,
        BACKOFF_BASE_SECONDS: String(settings.backoffBaseSeconds),
        BACKOFF_CAP_SECONDS: String(settings.backoffCapSeconds),
        FAILURE_TTL_SECONDS: String(DLQ_RETENTION.toSeconds()),
        IDEMPOTENCY_TTL_SECONDS: String((props.idempotencyTtl ?? Duration.days(1)).toSeconds()),
        POWERTOOLS_SERVICE_NAME: `${props.serviceName ?? 'queueflow'}-${props.name}`,
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
    // Powertools idempotency: lock (PutItem), complete (UpdateItem), read (GetItem), release on error (DeleteItem).
    props.idempotencyTable.grant(
      this.function,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    );
    // A failure record is one UpdateItem (first failure kept with if_not_exists).
    props.failureTable.grant(this.function, 'dynamodb:UpdateItem');
  }
}

function resolveSettings(props: ConsumerDefinition): ResolvedSettings {
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

  const maxReceiveCount = props.maxReceiveCount ?? 5;
  assertIntegerIn(maxReceiveCount, 1, 1000, `${where}: maxReceiveCount`);

  const batchSize = props.batchSize ?? 10;
  assertIntegerIn(batchSize, 1, 10_000, `${where}: batchSize`);
  const windowSeconds = props.maxBatchingWindow?.toSeconds() ?? 0;
  if (windowSeconds > 300) {
    throw new QueueflowConfigError(`${where}: maxBatchingWindow ${windowSeconds}s exceeds the Lambda maximum of 300s.`);
  }
  if (batchSize > 10 && windowSeconds < 1) {
    throw new QueueflowConfigError(`${where}: a batchSize above 10 needs a maxBatchingWindow of at least 1 second (a Lambda rule).`);
  }
  if (props.maxConcurrency !== undefined) {
    assertIntegerIn(props.maxConcurrency, 2, 1000, `${where}: maxConcurrency`);
  }

  const backoffBaseSeconds = wholeSeconds(props.backoffBase ?? Duration.seconds(2), `${where}: backoffBase`);
  const backoffCapSeconds = wholeSeconds(props.backoffCap ?? Duration.seconds(300), `${where}: backoffCap`);
  if (backoffBaseSeconds <= 0) {
    throw new QueueflowConfigError(`${where}: backoffBase must be greater than 0 seconds.`);
  }
  if (backoffCapSeconds < backoffBaseSeconds) {
    throw new QueueflowConfigError(`${where}: backoffCap ${backoffCapSeconds}s is below backoffBase ${backoffBaseSeconds}s.`);
  }
  if (backoffCapSeconds > MAX_VISIBILITY_SECONDS) {
    throw new QueueflowConfigError(`${where}: backoffCap ${backoffCapSeconds}s exceeds 12 hours, the longest visibility SQS accepts.`);
  }

  const retentionPeriod = props.retentionPeriod ?? Duration.days(4);
  const retentionSeconds = retentionPeriod.toSeconds();
  const worstCaseToDlq = maxReceiveCount * (backoffCapSeconds + timeout.toSeconds());
  if (retentionSeconds > DLQ_RETENTION.toSeconds() || retentionSeconds < 60) {
    throw new QueueflowConfigError(`${where}: retentionPeriod must be between 60 seconds and 14 days.`);
  }
  if (worstCaseToDlq >= retentionSeconds) {
    throw new QueueflowConfigError(
      `${where}: a failing message can take up to ${worstCaseToDlq}s (maxReceiveCount × (backoffCap + timeout)) to reach ` +
        `the DLQ, but the queue keeps messages only ${retentionSeconds}s; raise retentionPeriod or lower backoffCap.`,
    );
  }

  return {
    timeout,
    visibilityTimeout: Duration.seconds(visibilitySeconds),
    retentionPeriod,
    maxReceiveCount,
    batchSize,
    backoffBaseSeconds,
    backoffCapSeconds,
  };
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
