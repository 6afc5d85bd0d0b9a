import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AspectPriority, Aspects, Duration, RemovalPolicy, Validations, type IAspect } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  ApiKeySourceType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  ResponseType,
  RestApi,
  type IApiKey,
  type JsonSchema,
  type RequestValidator,
  type ThrottleSettings,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { FifoThroughputScope, Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct, type IConstruct } from 'constructs';
import { z } from 'zod';
import type { EventCatalogEntry } from '../../lambdas/shared/catalog.ts';
import { PRODUCER_IDEMPOTENCY_KEY_PREFIX } from '../../lambdas/shared/idempotent-request.ts';
import { TableAttributes } from '../../lambdas/shared/tables.ts';
import { resolveApiThrottles, type ApiThrottles } from './api-throttles.ts';
import { QueueflowConfigError } from './errors.ts';
import { grantOwnItems } from './grants.ts';
import { eventDataSchema } from './event-validators.ts';
import { assertEventTypeName, pascalCase } from './naming.ts';
import { OutputKeys, consumerOutputKeys } from './output-keys.ts';
import { DEFAULT_IDEMPOTENCY_TTL, QueueConsumer, type ConsumerDefinition, type QueueConsumerOptions } from './queue-consumer.ts';
import { createQueueflowFunction } from './queueflow-function.ts';
import { createQueueflowTable } from './queueflow-table.ts';
import { addReadableOutput } from './readable-output.ts';
import { findUnsafePatterns } from './unsafe-patterns.ts';
import { WorkflowMonitoring, type ConsumerAlarms } from './workflow-monitoring.ts';
import { DEFAULT_WEBHOOK_TIMEOUT, WebhookReceiver, type WebhookSource, type WebhookSourceDefinition } from './webhook-receiver.ts';

/** The HTTP route that publishes an event type. */
export interface RouteDefinition {
  /** A method that carries a body. */
  readonly method: 'POST' | 'PUT' | 'PATCH';
  /** API Gateway resource path, path parameters in braces: `/users/{userId}/erasure`. */
  readonly path: string;
}

/** An event type as declared on a workflow: one declaration each. */
export interface EventTypeDefinition {
  /** Dot-separated lower-case name, e.g. `order.placed`; the SNS `eventType` attribute. */
  readonly name: string;
  readonly route: RouteDefinition;
  /**
   * zod object schema of the request body. Converted once to JSON Schema draft 4, which becomes
   * both the API Gateway request model and the producer's validator. Its patterns (`.regex()`)
   * must not backtrack catastrophically: one that can (exponentially or polynomially) fails here,
   * naming the pattern and an input that shows it.
   */
  readonly schema: z.ZodType;
  /**
   * The event's data subject: a JSON pointer into the event data (the body merged with the path
   * parameters), e.g. `/customer/id` or `/userId`. The producer copies its value into the
   * envelope (`datasubject`), and consumers that take an erasure event type skip the effect of an
   * event whose subject they erased after it was published (docs/architecture.md, "Erasure").
   * @default - the event concerns no data subject
   */
  readonly subject?: string;
  /**
   * This event type erases its `subject`'s data: a consumer that processes it leaves a tombstone
   * for the subject. Requires `subject`.
   * @default false
   */
  readonly erasesSubject?: boolean;
  /**
   * Deliver the events of this type in order per key: a JSON pointer into the event data (the
   * body merged with the path parameters), e.g. `/accountId`, naming a required string or integer.
   * Ordered event types go through the workflow's SNS FIFO topic (`orderedTopic`) with
   * `MessageGroupId` = the key's value and `MessageDeduplicationId` = the event id, to FIFO
   * queues: each consumer gets the events of one key in the order SNS accepted them, across all
   * the ordered types it takes. A consumer takes only ordered or only unordered event types.
   * See docs/architecture.md, "Ordered processing", for what is and is not guaranteed.
   * @default - the workflow's `orderedBy`, else unordered
   */
  readonly orderedBy?: string;
}

/** What the producer learns at build time (see docs/architecture.md): the producer's own type. */
export type { EventCatalogEntry } from '../../lambdas/shared/catalog.ts';

export interface QueueWorkflowProps {
  /**
   * Event types to declare up front; more can be added with `addEventType` until the producer
   * is built.
   * @default - none
   */
  readonly eventTypes?: readonly EventTypeDefinition[];
  /**
   * The CloudEvents `source` of published events (`EVENT_SOURCE`).
   * @default 'queueflow'
   */
  readonly eventSource?: string;
  /**
   * Order every event type of the workflow by this key (see `EventTypeDefinition.orderedBy`); an
   * event type's own `orderedBy` wins.
   * @default - only event types that set `orderedBy` are ordered
   */
  readonly orderedBy?: string;
  /**
   * Prefix of every function's `POWERTOOLS_SERVICE_NAME`.
   * @default 'queueflow'
   */
  readonly serviceName?: string;
  /**
   * The producer's handler file.
   * @default - queueflow's `lambdas/handlers/producer.ts`
   */
  readonly producerEntry?: string;
  /**
   * The producer's timeout; API Gateway gives up after 29 seconds anyway.
   * @default Duration.seconds(10)
   */
  readonly producerTimeout?: Duration;
  /**
   * How long an `Idempotency-Key` (producer) or a processed event id (consumers) is remembered.
   * @default Duration.days(1)
   */
  readonly idempotencyTtl?: Duration;
  /**
   * The API stage, the last part of the API URL.
   * @default 'v1'
   */
  readonly stageName?: string;
  /**
   * Require an API key (`x-api-key` header) on every route; the key's usage plan throttles it.
   * @default true
   */
  readonly apiKeyRequired?: boolean;
  /**
   * Throttle of the API key's usage plan (per key). Wins over the context values
   * `queueflow:apiKeyRateLimit` and `queueflow:apiKeyBurstLimit` (ApiThrottleContextKeys).
   * @default - those context values, else { rateLimit: 50, burstLimit: 100 }
   */
  readonly apiKeyThrottle?: ThrottleSettings;
  /**
   * Throttle of the whole stage, across callers. Wins over the context values
   * `queueflow:stageRateLimit` and `queueflow:stageBurstLimit` (ApiThrottleContextKeys).
   * @default - those context values, else { rateLimit: 100, burstLimit: 200 }
   */
  readonly stageThrottle?: ThrottleSettings;
  /**
   * Create the account-wide role API Gateway needs to write execution and access logs.
   * Turn off when the account already has one set.
   * @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;
  /**
   * KMS key encrypting the event topic. The alarm topic has a key of its own, so an imported
   * key here (whose policy cannot be edited) does not stop alarms from publishing.
   * @default - a new customer-managed key with yearly rotation
   */
  readonly topicKey?: IKey;
  /**
   * Tuning applied to every consumer unless the consumer sets its own.
   * @default - the QueueConsumer defaults
   */
  readonly consumerDefaults?: QueueConsumerOptions;
  /**
   * Alarm when a queue's oldest message is older than this.
   * @default Duration.seconds(300)
   */
  readonly oldestMessageAgeThreshold?: Duration;
  /**
   * Topic notified when an alarm fires and when it recovers, instead of the one the workflow
   * creates. Used as it is: its topic policy (if it has one) must allow the
   * `cloudwatch.amazonaws.com` service principal `sns:Publish`, and if it is KMS-encrypted its
   * key must be customer-managed with a key policy allowing `cloudwatch.amazonaws.com`
   * `kms:Decrypt` and `kms:GenerateDataKey*`; for an imported key, add that statement where the
   * key is managed (`alias/aws/sns` cannot allow it). See docs/aws-behaviour.md, "Alarm notifications to an encrypted topic".
   * @default - a KMS-encrypted, TLS-only topic whose policies let CloudWatch alarms of this account and region publish
   */
  readonly alarmTopic?: ITopic;
  /**
   * An address subscribed (protocol `email`) to the alarm topic the workflow creates; AWS first
   * sends it a confirmation message, and nothing is delivered until someone confirms. Validated
   * at synth; cannot be combined with `alarmTopic`.
   * @default - the CDK context value `queueflow:alarmEmail` (ALARM_EMAIL_CONTEXT_KEY), else no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Retention of every function's and the API access log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Removal policy of tables, queues, the event and alarm topic keys and log groups.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Linux caps one command-line argument at 128 KiB, and esbuild receives the catalog as one. */
const MAX_CATALOG_BYTES = 100_000;
const ROUTE_PATH = /^(?:\/(?:[A-Za-z0-9._-]+|\{[A-Za-z_][A-Za-z0-9_]*\}))+$/;
const ROUTE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);
// The producer's handler file beside this module: the TypeScript source in this repository, the
// compiled JavaScript (same relative place under dist/) in the installed package.
const DEFAULT_PRODUCER_ENTRY = fileURLToPath(new URL(`../../lambdas/handlers/producer${extname(import.meta.url)}`, import.meta.url));

interface GatewayProblem {
  readonly type: ResponseType;
  readonly status?: number;
  readonly slug: string;
  readonly title: string;
  /** A template expression that renders as a JSON string. */
  readonly detail: string;
}

/**
 * API Gateway's own errors (before the producer runs) in the same problem+json shape as the
 * producer's. Templates allow only `$context` substitution: `messageString` arrives quoted, and
 * `validationErrorString` arrives with its quotes escaped, so both stay valid JSON.
 */
const GATEWAY_PROBLEMS: readonly GatewayProblem[] = [
  {
    type: ResponseType.BAD_REQUEST_BODY,
    status: 400,
    slug: 'validation-failed',
    title: 'The request body does not match the schema',
    detail: '"$context.error.validationErrorString"',
  },
  {
    // REST APIs answer an unknown method or path with 403 "Missing Authentication Token".
    type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    status: 404,
    slug: 'not-found',
    title: 'No event type for this method and path',
    detail: '"Check the method and the path."',
  },
  { type: ResponseType.INVALID_API_KEY, status: 403, slug: 'forbidden', title: 'Forbidden', detail: '"Send a valid API key in the x-api-key header."' },
  { type: ResponseType.ACCESS_DENIED, status: 403, slug: 'forbidden', title: 'Forbidden', detail: '$context.error.messageString' },
  { type: ResponseType.THROTTLED, status: 429, slug: 'too-many-requests', title: 'Too many requests', detail: '"Slow down and retry with backoff."' },
  { type: ResponseType.QUOTA_EXCEEDED, status: 429, slug: 'quota-exceeded', title: 'Quota exceeded', detail: '$context.error.messageString' },
  { type: ResponseType.REQUEST_TOO_LARGE, status: 413, slug: 'payload-too-large', title: 'Payload too large', detail: '$context.error.messageString' },
  { type: ResponseType.DEFAULT_4XX, slug: 'client-error', title: 'The request was rejected', detail: '$context.error.messageString' },
  // Never echo an integration error: it can carry internals.
  { type: ResponseType.DEFAULT_5XX, slug: 'server-error', title: 'The service could not handle the request', detail: '"Retry later."' },
];

/**
 * The queueflow workflow: `POST` routes on a REST API publish typed events through one producer
 * function to an SNS topic, and each consumer gets its own queue, dead-letter queue and function.
 *
 * @example
 * ```ts
 * const workflow = new QueueWorkflow(stack, 'Orders', { eventSource: 'shop/orders' });
 * workflow.addEventType({ name: 'order.placed', route: { method: 'POST', path: '/orders' }, schema: OrderPlacedBody });
 * workflow.addConsumer({ name: 'email', eventTypes: ['order.placed'], entry: 'lambdas/handlers/email-consumer.ts' });
 * ```
 */
export class QueueWorkflow extends Construct {
  public readonly topic: Topic;
  public readonly topicKey: IKey;
  public readonly api: RestApi;
  public readonly apiKey?: IApiKey;
  public readonly usagePlan?: UsagePlan;
  public readonly idempotencyTable: Table;
  public readonly failureTable: Table;
  public readonly monitoring: WorkflowMonitoring;
  /** The topic every alarm notifies when it fires and when it recovers (output `AlarmTopicArn`). */
  public readonly alarmTopic: ITopic;
  /** Consumers by name, in declaration order. */
  public readonly consumers: ReadonlyMap<string, QueueConsumer>;
  public readonly requestValidator: RequestValidator;
  public readonly apiAccessLogs: LogGroup;

  private readonly props: QueueWorkflowProps;
  private readonly eventTypeDefinitions: EventTypeDefinition[] = [];
  private readonly catalogEntries: EventCatalogEntry[] = [];
  private readonly removalPolicy: RemovalPolicy;
  private readonly consumersByName = new Map<string, QueueConsumer>();
  private builtProducer?: NodejsFunction;
  private tombstones?: Table;
  private webhookReceiver?: WebhookReceiver;
  private fifoTopic?: Topic;

  public constructor(scope: Construct, id: string, props: QueueWorkflowProps = {}) {
    super(scope, id);
    this.props = props;
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    // A customer-managed key, not alias/aws/sns: its key policy is ours to read and narrow,
    // it rotates, CloudTrail shows its use per key, and services such as CloudWatch or
    // EventBridge can be allowed to publish, which the AWS-managed key never permits.
    this.topicKey =
      props.topicKey ??
      new Key(this, 'TopicKey', {
        description: `queueflow ${this.node.path}: encrypts the event topic`,
        enableKeyRotation: true,
        removalPolicy: this.removalPolicy,
      });
    this.topic = new Topic(this, 'Topic', { masterKey: this.topicKey, enforceSSL: true });

    this.idempotencyTable = createQueueflowTable(this, 'IdempotencyTable', {
      partitionKey: TableAttributes.idempotencyKey,
      timeToLiveAttribute: TableAttributes.expiration,
      removalPolicy: this.removalPolicy,
    });
    this.failureTable = createQueueflowTable(this, 'FailureTable', {
      partitionKey: TableAttributes.recordKey,
      timeToLiveAttribute: TableAttributes.expiration,
      removalPolicy: this.removalPolicy,
    });

    this.consumers = this.consumersByName;
    this.apiAccessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: this.removalPolicy,
    });
    const throttles = resolveApiThrottles(this, props);
    this.api = this.createApi(this.apiAccessLogs, throttles.stage);
    this.requestValidator = this.api.addRequestValidator('BodyValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    if (props.apiKeyRequired ?? true) {
      this.apiKey = this.api.addApiKey('ApiKey', { description: `queueflow ${this.node.path}` });
      this.usagePlan = this.api.addUsagePlan('UsagePlan', {
        throttle: throttles.apiKey,
        apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
      });
      this.usagePlan.addApiKey(this.apiKey);
    }
    for (const problem of GATEWAY_PROBLEMS) this.addGatewayProblem(problem);
    this.acknowledgeApiFindings();

    this.monitoring = new WorkflowMonitoring(this, 'Monitoring', {
      oldestMessageAgeThreshold: props.oldestMessageAgeThreshold,
      alarmTopic: props.alarmTopic,
      alarmEmail: props.alarmEmail,
      removalPolicy: this.removalPolicy,
    });
    this.alarmTopic = this.monitoring.alarmTopic;

    this.addOutputs();
    for (const eventType of props.eventTypes ?? []) this.addEventType(eventType);

    // The producer's bundle embeds the whole catalog (esbuild `define`), so it can only be built
    // once every event type is declared: at synth, unless someone reads `producer` earlier.
    Aspects.of(this).add(new BuildProducer(this), { priority: AspectPriority.MUTATING });
    this.node.addValidation({
      validate: () => (this.catalogEntries.length === 0 ? [`QueueWorkflow ${this.node.path} declares no event type; add one with addEventType.`] : []),
    });
  }

  /**
   * The producer function. Reading it builds it, after which the catalog is fixed and
   * `addEventType` fails; synth builds it otherwise.
   */
  public get producer(): NodejsFunction {
    this.builtProducer ??= this.buildProducer();
    return this.builtProducer;
  }

  /**
   * The SNS FIFO topic of the ordered event types (output `OrderedTopicArn`); created with the
   * first event type that is `orderedBy` a key. Encrypted with the event topic's key.
   */
  public get orderedTopic(): Topic | undefined {
    return this.fifoTopic;
  }

  /** Erasure tombstones (output `TombstoneTableName`); created with the first event type that `erasesSubject`. */
  public get tombstoneTable(): Table | undefined {
    return this.tombstones;
  }

  /** The event catalog as the producer receives it. */
  public get eventCatalog(): readonly EventCatalogEntry[] {
    return this.catalogEntries;
  }

  /** Declares an event type: its route, its request model and its entry in the catalog. */
  public addEventType(definition: EventTypeDefinition): void {
    if (this.builtProducer) {
      throw new QueueflowConfigError(
        `Cannot add event type '${definition.name}': the producer of ${this.node.path} is already built with a fixed catalog. Declare every event type before reading 'producer'.`,
      );
    }
    assertEventTypeName(definition.name);
    const { method, path } = definition.route;
    if (!ROUTE_METHODS.has(method) || !ROUTE_PATH.test(path)) {
      throw new QueueflowConfigError(
        `Event type '${definition.name}': route '${method} ${path}' is invalid; use POST, PUT or PATCH and a path like '/users/{userId}/erasure'.`,
      );
    }
    for (const known of this.catalogEntries) {
      if (known.eventType === definition.name) {
        throw new QueueflowConfigError(`Event type '${definition.name}' is declared twice.`);
      }
      if (known.method === method && known.resourcePath === path) {
        throw new QueueflowConfigError(`Event types '${known.eventType}' and '${definition.name}' share the route ${method} ${path}.`);
      }
    }
    const schema = toDraft4(definition);
    assertSubject(definition, schema);
    const orderedBy = definition.orderedBy ?? this.props.orderedBy;
    if (orderedBy !== undefined) assertDataPointer(definition, schema, orderedBy, 'orderedBy');
    this.eventTypeDefinitions.push(definition);
    this.catalogEntries.push({
      eventType: definition.name,
      method,
      resourcePath: path,
      schema,
      ...(definition.subject === undefined ? {} : { subject: definition.subject }),
      ...(orderedBy === undefined ? {} : { orderedBy }),
    });
    if (orderedBy !== undefined && this.fifoTopic === undefined) {
      // Throughput per message group, not per topic: many keys publish in parallel, each in order
      // (docs/aws-behaviour.md, "FIFO topics and queues"). The event id is the deduplication id, so
      // content-based deduplication stays off.
      this.fifoTopic = new Topic(this, 'OrderedTopic', {
        fifo: true,
        fifoThroughputScope: FifoThroughputScope.MESSAGE_GROUP,
        masterKey: this.topicKey,
        enforceSSL: true,
      });
      addReadableOutput(this, OutputKeys.OrderedTopicArn, this.fifoTopic.topicArn, 'FIFO topic of the ordered event types');
    }
    if (definition.erasesSubject === true && this.tombstones === undefined) {
      this.tombstones = createQueueflowTable(this, 'TombstoneTable', {
        partitionKey: TableAttributes.recordKey,
        timeToLiveAttribute: TableAttributes.expiration,
        removalPolicy: this.removalPolicy,
      });
      addReadableOutput(this, OutputKeys.TombstoneTableName, this.tombstones.tableName, 'Erasure tombstones: one per consumer and erased data subject');
    }
  }

  /** The declared event types that erase their subject. */
  public get erasureEventTypes(): readonly string[] {
    return this.eventTypeDefinitions.filter((definition) => definition.erasesSubject === true).map((definition) => definition.name);
  }

  /** Declares a consumer: its queue, DLQ, subscription, function, alarms and outputs. */
  public addConsumer(definition: ConsumerDefinition): QueueConsumer {
    if (this.consumers.has(definition.name)) {
      throw new QueueflowConfigError(`Consumer '${definition.name}' is declared twice.`);
    }
    const known = new Set(this.catalogEntries.map((entry) => entry.eventType));
    const unknown = definition.eventTypes.filter((name) => !known.has(name) && !this.isWebhookEventType(name));
    if (unknown.length > 0) {
      throw new QueueflowConfigError(
        `Consumer '${definition.name}' takes unknown event type(s) ${unknown.map((name) => `'${name}'`).join(', ')}; ` +
          `declare them with addEventType first (known: ${[...known].join(', ') || 'none'}).`,
      );
    }
    const orderedTypes = new Set(this.catalogEntries.filter((entry) => entry.orderedBy !== undefined).map((entry) => entry.eventType));
    const ordered = definition.eventTypes.filter((name) => orderedTypes.has(name));
    const unordered = definition.eventTypes.filter((name) => !orderedTypes.has(name));
    if (ordered.length > 0 && unordered.length > 0) {
      throw new QueueflowConfigError(
        `Consumer '${definition.name}' takes ordered event types (${ordered.join(', ')}) and unordered ones (${unordered.join(', ')}); ` +
          'an ordered consumer has a FIFO queue on the FIFO topic, which carries only the ordered types. Split it into two consumers.',
      );
    }
    const consumer = new QueueConsumer(this, `Consumer${pascalCase(definition.name)}`, {
      // A default permanentFailure is for the ordered consumers; set on an unordered one it is an error.
      ...withoutUndefined({ ...this.props.consumerDefaults, ...(ordered.length > 0 ? {} : { permanentFailure: undefined }) }),
      logRetention: this.props.logRetention,
      ...withoutUndefined(definition),
      name: definition.name,
      eventTypes: definition.eventTypes,
      entry: definition.entry,
      topic: ordered.length > 0 ? this.fifoTopic! : this.topic,
      idempotencyTable: this.idempotencyTable,
      failureTable: this.failureTable,
      tombstoneTable: this.tombstoneTable,
      erasureEventTypes: this.erasureEventTypes,
      eventDataSchemas: this.catalogEntries
        .filter((entry) => definition.eventTypes.includes(entry.eventType))
        .map((entry) => ({ eventType: entry.eventType, data: eventDataSchema(entry.schema, entry.resourcePath) })),
      idempotencyTtl: this.props.idempotencyTtl,
      serviceName: this.props.serviceName,
      removalPolicy: this.removalPolicy,
    });
    this.consumersByName.set(definition.name, consumer);
    this.monitoring.watchConsumer(consumer);

    const keys = consumerOutputKeys(definition.name);
    addReadableOutput(this, keys.queueUrl, consumer.queue.queueUrl, `Queue of consumer '${definition.name}'`);
    addReadableOutput(this, keys.dlqUrl, consumer.deadLetterQueue.queueUrl, `Dead-letter queue of consumer '${definition.name}'`);
    addReadableOutput(this, keys.functionName, consumer.function.functionName, `Function of consumer '${definition.name}'`);
    return consumer;
  }

  /**
   * Declares a webhook source: a keyless `POST` route whose deliveries the webhook receiver
   * verifies on the raw body, deduplicates by delivery id and publishes to the event topic as
   * `<name>.<provider event type>` (e.g. `stripe.payment_intent.succeeded`), which consumers take
   * like any event type. See docs/webhooks.md.
   *
   * @example
   * workflow.addWebhookSource({ name: 'stripe', path: '/webhooks/stripe', verify: 'stripe' });
   * workflow.addConsumer({ name: 'payments', eventTypes: ['stripe.payment_intent.succeeded'], entry: 'lambdas/payments.ts' });
   */
  public addWebhookSource(definition: WebhookSourceDefinition): WebhookSource {
    for (const entry of this.catalogEntries) {
      if (entry.method === 'POST' && entry.resourcePath === definition.path) {
        throw new QueueflowConfigError(`Webhook source '${definition.name}' and event type '${entry.eventType}' share the route POST ${definition.path}.`);
      }
    }
    this.webhookReceiver ??= new WebhookReceiver(this, 'Webhooks', {
      api: this.api,
      topic: this.topic,
      idempotencyTable: this.idempotencyTable,
      eventSource: this.props.eventSource ?? 'queueflow',
      serviceName: this.props.serviceName ?? 'queueflow',
      timeout: DEFAULT_WEBHOOK_TIMEOUT,
      logRetention: this.props.logRetention,
      removalPolicy: this.removalPolicy,
    });
    return this.webhookReceiver.addSource(definition);
  }

  /** The webhook receiver (its function and sources); created with the first `addWebhookSource`. */
  public get webhooks(): WebhookReceiver | undefined {
    return this.webhookReceiver;
  }

  /** `stripe.payment_intent.succeeded` when `stripe` is a declared webhook source. */
  private isWebhookEventType(name: string): boolean {
    const source = name.slice(0, name.indexOf('.'));
    if (this.webhookReceiver?.sources.has(source) !== true) return false;
    assertEventTypeName(name);
    return true;
  }

  /** The alarms watching a consumer. */
  public alarmsOf(consumerName: string): ConsumerAlarms | undefined {
    return this.monitoring.alarms.get(consumerName);
  }

  private createApi(accessLogs: LogGroup, stageThrottle: ApiThrottles['stage']): RestApi {
    return new RestApi(this, 'Api', {
      description: `queueflow ${this.node.path}: publishes events`,
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      apiKeySourceType: ApiKeySourceType.HEADER,
      cloudWatchRole: this.props.apiGatewayCloudWatchRole ?? true,
      // The role is account-wide: other APIs in the account may rely on it after this stack goes.
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      defaultMethodOptions: { apiKeyRequired: this.props.apiKeyRequired ?? true },
      deployOptions: {
        stageName: this.props.stageName ?? 'v1',
        throttlingRateLimit: stageThrottle.rateLimit,
        throttlingBurstLimit: stageThrottle.burstLimit,
        metricsEnabled: true,
        loggingLevel: MethodLoggingLevel.ERROR,
        // Request bodies hold personal data (emails, phone numbers): never log them.
        dataTraceEnabled: false,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
      },
    });
  }

  /** cdk-nag AwsSolutions findings this design accepts, each with the reason. */
  private acknowledgeApiFindings(): void {
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'The account-level role API Gateway uses to write execution and access logs; AWS documents this managed policy for exactly that role.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason: 'Callers are authenticated by API key and throttled by stage and usage plan; a WAF web ACL is an account-level choice added with a CfnWebACLAssociation on the stage.',
      },
    );
    if (this.apiKey) {
      const reason =
        'The API serves machine clients authenticated by API key (x-api-key) with a per-key usage plan throttle, as the README explains; it has no end users to authorize with IAM or Cognito.';
      Validations.of(this.api).acknowledge({ id: 'AwsSolutions-APIG4', reason }, { id: 'AwsSolutions-COG4', reason });
    }
  }

  private addGatewayProblem(problem: GatewayProblem): void {
    const status = problem.status === undefined ? '' : `"status":${problem.status},`;
    this.api.addGatewayResponse(`Problem${problem.type.responseType}`, {
      type: problem.type,
      statusCode: problem.status === undefined ? undefined : String(problem.status),
      responseHeaders: { 'Content-Type': "'application/problem+json'" },
      templates: {
        'application/json':
          `{"type":"urn:queueflow:problem:${problem.slug}","title":"${problem.title}",${status}` +
          `"detail":${problem.detail},"requestId":"$context.requestId"}`,
      },
    });
  }

  private addOutputs(): void {
    // RestApi adds its own `<id>Endpoint<hash>` output; ApiUrl replaces it under a readable key.
    this.api.node.tryRemoveChild('Endpoint');
    addReadableOutput(this, OutputKeys.ApiUrl, this.api.url, 'Base URL of the event API');
    if (this.apiKey) {
      addReadableOutput(this, OutputKeys.ApiKeyId, this.apiKey.keyId, 'API key id; read its value with aws apigateway get-api-key --include-value');
    }
    addReadableOutput(this, OutputKeys.TopicArn, this.topic.topicArn, 'Event topic');
    addReadableOutput(this, OutputKeys.AlarmTopicArn, this.alarmTopic.topicArn, 'Topic the CloudWatch alarms notify; subscribe operators to it');
    addReadableOutput(this, OutputKeys.IdempotencyTableName, this.idempotencyTable.tableName, 'Powertools idempotency records');
    addReadableOutput(this, OutputKeys.FailureTableName, this.failureTable.tableName, 'Last failure of each failed event, per consumer');
  }

  private buildProducer(): NodejsFunction {
    const catalog = JSON.stringify(this.catalogEntries);
    if (Buffer.byteLength(catalog) > MAX_CATALOG_BYTES) {
      throw new QueueflowConfigError(
        `The event catalog of ${this.node.path} is ${Buffer.byteLength(catalog)} bytes; keep the schemas under ${MAX_CATALOG_BYTES} bytes in total.`,
      );
    }
    const producer = createQueueflowFunction(this, 'Producer', {
      entry: this.props.producerEntry ?? DEFAULT_PRODUCER_ENTRY,
      description: `queueflow producer: ${this.catalogEntries.map((entry) => entry.eventType).join(', ')}`,
      timeout: this.props.producerTimeout ?? Duration.seconds(10),
      logRetention: this.props.logRetention,
      removalPolicy: this.removalPolicy,
      define: { QUEUEFLOW_EVENT_CATALOG: JSON.stringify(catalog) },
      // The body validators, generated from the same documents as the API Gateway models below.
      eventTypes: this.catalogEntries.map((entry) => ({ eventType: entry.eventType, body: entry.schema })),
      environment: {
        TOPIC_ARN: this.topic.topicArn,
        ...(this.fifoTopic === undefined ? {} : { ORDERED_TOPIC_ARN: this.fifoTopic.topicArn }),
        IDEMPOTENCY_TABLE_NAME: this.idempotencyTable.tableName,
        IDEMPOTENCY_TTL_SECONDS: String((this.props.idempotencyTtl ?? DEFAULT_IDEMPOTENCY_TTL).toSeconds()),
        EVENT_SOURCE: this.props.eventSource ?? 'queueflow',
        POWERTOOLS_SERVICE_NAME: `${this.props.serviceName ?? 'queueflow'}-producer`,
      },
    });
    // Publish only; with a customer-managed key this also grants GenerateDataKey*/Decrypt on that key.
    this.topic.grantPublish(producer);
    this.fifoTopic?.grantPublish(producer);
    // The grant lands on the role's default policy; the role is a sibling of the function.
    Validations.of(producer.role ?? producer).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'Granted by Topic.grantPublish on the topic key only: SNS needs a data key to encrypt each published message.',
    });
    // Its own records only (`producer#…`): the table holds every consumer's records too.
    grantOwnItems(this.idempotencyTable, producer, PRODUCER_IDEMPOTENCY_KEY_PREFIX, ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem']);

    const integration = new LambdaIntegration(producer, { proxy: true, allowTestInvoke: false });
    for (const [index, definition] of this.eventTypeDefinitions.entries()) {
      const entry = this.catalogEntries[index];
      const pascal = pascalCase(definition.name);
      const model = this.api.addModel(`${pascal}Model`, {
        contentType: 'application/json',
        description: `Body of ${definition.name}`,
        schema: entry.schema as JsonSchema,
      });
      const pathParameters = [...entry.resourcePath.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      this.api.root.resourceForPath(entry.resourcePath).addMethod(entry.method, integration, {
        requestValidator: this.requestValidator,
        // API Gateway validates a body only against the model of its content type, else the
        // `$default` one, else not at all (docs/aws-behaviour.md, "Request model selection":
        // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html).
        // The producer accepts `application/json` with any parameters, and how AWS matches those
        // is undocumented, so `$default` makes sure every body it would accept was validated.
        requestModels: { 'application/json': model, $default: model },
        requestParameters: Object.fromEntries(pathParameters.map((name) => [`method.request.path.${name}`, true])),
        operationName: pascal,
      });
    }
    return producer;
  }
}

/** Builds the producer at synth, after the app has declared every event type. */
class BuildProducer implements IAspect {
  private readonly workflow: QueueWorkflow;

  public constructor(workflow: QueueWorkflow) {
    this.workflow = workflow;
  }

  public visit(node: IConstruct): void {
    if (node === this.workflow && this.workflow.eventCatalog.length > 0) void this.workflow.producer;
  }
}

function toDraft4(definition: EventTypeDefinition): Record<string, unknown> {
  let schema: Record<string, unknown>;
  try {
    schema = z.toJSONSchema(definition.schema, { target: 'draft-4' }) as Record<string, unknown>;
  } catch (error) {
    throw new QueueflowConfigError(`Event type '${definition.name}': its schema cannot be expressed as JSON Schema draft 4.`, {
      cause: error,
    });
  }
  if (schema.type !== 'object') {
    throw new QueueflowConfigError(`Event type '${definition.name}': the body schema must be a zod object, not '${String(schema.type)}'.`);
  }
  const unsafe = findUnsafePatterns(schema);
  if (unsafe.length > 0) {
    const list = unsafe.map(({ at, pattern, reason, attack }) => `${at} /${pattern}/ is ${reason}${attack ? `, e.g. on ${attack}` : ''}`);
    throw new QueueflowConfigError(
      `Event type '${definition.name}': its schema has patterns whose matching time can grow faster than the input, so one ` +
        `long value could stall the producer: ${list.join('; ')}. Rewrite each so that a repeated part cannot also match what ` +
        'follows it (e.g. domain labels that exclude the dot between them), and bound the string with .max().',
    );
  }
  return schema;
}

/** A JSON pointer of plain property names: `/customer/id`. */
const SUBJECT_POINTER = /^(?:\/[A-Za-z_][A-Za-z0-9_-]*)+$/;

/**
 * The subject pointer must name a string or integer property the event data always has: a path
 * parameter, or a required property of the body schema at every level.
 */
function assertSubject(definition: EventTypeDefinition, schema: Record<string, unknown>): void {
  const where = `Event type '${definition.name}'`;
  if (definition.subject === undefined) {
    if (definition.erasesSubject === true) {
      throw new QueueflowConfigError(`${where} erases its subject, so it needs a subject (a JSON pointer such as '/userId').`);
    }
    return;
  }
  assertDataPointer(definition, schema, definition.subject, 'subject');
}

/**
 * A pointer into the event data (`subject`, `orderedBy`) must name a string or integer property
 * the event data always has: a path parameter, or a required property of the body schema at every level.
 */
function assertDataPointer(definition: EventTypeDefinition, schema: Record<string, unknown>, pointer: string, label: string): void {
  const where = `Event type '${definition.name}'`;
  if (!SUBJECT_POINTER.test(pointer)) {
    throw new QueueflowConfigError(`${where}: ${label} '${pointer}' must be a JSON pointer of property names, e.g. '/customer/id'.`);
  }
  const [first, ...rest] = pointer.split('/').slice(1) as [string, ...string[]];
  const pathParameters = [...definition.route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
  if (rest.length === 0 && pathParameters.includes(first)) return;
  let node: Record<string, unknown> | undefined = schema;
  for (const name of [first, ...rest]) {
    const properties = node?.properties as Record<string, Record<string, unknown>> | undefined;
    const required = (node?.required as string[] | undefined) ?? [];
    node = properties?.[name];
    if (node === undefined || !required.includes(name)) {
      throw new QueueflowConfigError(`${where}: ${label} '${pointer}' must name a required property of the body schema or a path parameter.`);
    }
  }
  if (node?.type !== 'string' && node?.type !== 'integer') {
    throw new QueueflowConfigError(`${where}: ${label} '${pointer}' must be a string or an integer, not '${String(node?.type)}'.`);
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
