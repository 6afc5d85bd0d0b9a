/**
 * The local runtime's view of the synthesized stacks: what `template-reader` extracts from the
 * cloud assembly (with every intrinsic resolved to its local value) and what the services, the
 * Lambda host, the event-source poller and the API gateway consume. When several stacks run, their
 * models are merged into one, and every `logicalId` in it is qualified as `Stack/LogicalId` (two
 * stacks made from one class share logical ids).
 *
 * Only behaviour-relevant properties are modelled. Resource types with no local meaning (alarms,
 * dashboards, log groups, IAM, KMS) and subscriptions that deliver to a person (email, sms) are
 * listed in `skipped`; types and properties that would change behaviour but are not supported make
 * the reader throw one `UnsupportedTemplateError` that lists all of them.
 */
import type { RecordedBundling } from '../shared/bundling-metadata.ts';
import type { WebhookSourceMetadata } from '../shared/webhook-metadata.ts';

export interface LocalModel {
  /** The stacks read, comma-separated (one name when one stack runs). */
  readonly stackName: string;
  /** The stacks read, in dependency order. */
  readonly stackNames: readonly string[];
  readonly region: string;
  readonly accountId: string;
  /** Absolute path of the cloud assembly folder (cdk.out). */
  readonly assemblyDir: string;
  readonly queues: readonly LocalQueue[];
  readonly topics: readonly LocalTopic[];
  readonly subscriptions: readonly LocalSubscription[];
  readonly tables: readonly LocalTable[];
  readonly functions: readonly LocalFunction[];
  readonly eventSourceMappings: readonly LocalEventSourceMapping[];
  readonly api?: LocalRestApi;
  /** Secrets Manager secrets, served by the endpoint's GetSecretValue from `<data-dir>/secrets.json`. */
  readonly secrets?: readonly LocalSecret[];
  /**
   * Stack outputs by key, resolved to local values (the API URL is the local gateway's). When
   * several stacks run, every output is also listed as `Stack.Key`; the bare key is kept when only
   * one stack has it.
   */
  readonly outputs: Readonly<Record<string, string>>;
  /**
   * Logical ids and types deliberately not emulated, for the start-up report; `detail` says why
   * when the type alone does not (an email subscription, where sqs subscriptions are emulated).
   */
  readonly skipped: readonly { logicalId: string; type: string; detail?: string }[];
}

export interface LocalQueue {
  readonly logicalId: string;
  /** Deterministic local name (`<stack>-<logicalId>`, or QueueName), so persisted state matches across restarts. */
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  /** SQS attributes as strings, ready for CreateQueue (VisibilityTimeout, MessageRetentionPeriod, RedrivePolicy JSON, …). */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface LocalTopic {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** CreateTopic attributes (`FifoTopic`, `ContentBasedDeduplication`), as strings. */
  readonly attributes?: Readonly<Record<string, string>>;
}

export interface LocalSubscription {
  readonly logicalId: string;
  readonly topicArn: string;
  readonly queueArn: string;
  readonly rawMessageDelivery: boolean;
  /** The filter policy as JSON text, or undefined for none. */
  readonly filterPolicy?: string;
  readonly filterPolicyScope?: 'MessageAttributes' | 'MessageBody';
}

export interface LocalTable {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** CreateTable input fields as in the template (KeySchema, AttributeDefinitions, indexes). */
  readonly keySchema: readonly { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  readonly attributeDefinitions: readonly { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
  readonly globalSecondaryIndexes?: readonly unknown[];
  /** TTL attribute name; dynalite does not expire items, so code checks expiry itself (Powertools does). */
  readonly ttlAttribute?: string;
}

export interface LocalFunction {
  readonly logicalId: string;
  /** Local function name; also AWS_LAMBDA_FUNCTION_NAME. */
  readonly name: string;
  /** Absolute path of the built asset folder in cdk.out (Metadata aws:asset:path). */
  readonly assetDir: string;
  /** `Handler` from the template, e.g. `index.handler`. */
  readonly handler: string;
  readonly runtime: string;
  readonly architecture: 'arm64' | 'x86_64';
  readonly timeoutSeconds: number;
  readonly memorySizeMb: number;
  /** The template's environment variables, resolved to local values. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * How to rebuild the bundle without a synth, when the function's Metadata records it
   * (`queueflow:bundling`, written by `recordLocalBundling`); paths made absolute.
   */
  readonly bundling?: LocalBundling;
}

/** A recorded esbuild bundle (lib/shared/bundling-metadata.ts), its paths made absolute. */
export type LocalBundling = RecordedBundling;

export interface LocalEventSourceMapping {
  readonly logicalId: string;
  readonly functionLogicalId: string;
  readonly queueArn: string;
  readonly queueUrl: string;
  /** Default 10. */
  readonly batchSize: number;
  /** Default 0. */
  readonly maximumBatchingWindowSeconds: number;
  /** ScalingConfig.MaximumConcurrency, or undefined for the default scaling. */
  readonly maximumConcurrency?: number;
  readonly reportBatchItemFailures: boolean;
  readonly enabled: boolean;
}

export interface LocalRestApi {
  readonly logicalId: string;
  readonly name: string;
  readonly stageName: string;
  readonly routes: readonly LocalRoute[];
  /** API keys with their values (generated locally and persisted when the template has none). */
  readonly apiKeys: readonly { logicalId: string; id: string; value: string }[];
  /** The tightest throttle that applies (usage plan / stage), if declared. */
  readonly throttle?: { rateLimit: number; burstLimit: number };
  /** AWS::ApiGateway::GatewayResponse by ResponseType (BAD_REQUEST_BODY, MISSING_AUTHENTICATION_TOKEN, …). */
  readonly gatewayResponses: Readonly<Record<string, LocalGatewayResponse>>;
  /** The RestApi's BinaryMediaTypes: request bodies of these types reach Lambda base64-encoded, all others as UTF-8 text. */
  readonly binaryMediaTypes?: readonly string[];
}

export interface LocalRoute {
  readonly method: string;
  /** API Gateway resource path, e.g. `/users/{userId}/erasure`. */
  readonly resourcePath: string;
  readonly functionLogicalId: string;
  readonly apiKeyRequired: boolean;
  readonly authorizationType: string;
  readonly validateRequestBody: boolean;
  readonly validateRequestParameters: boolean;
  /** Request models (JSON Schema draft 4) by content type. */
  readonly requestModels: Readonly<Record<string, object>>;
  /** RequestParameters as in the template, e.g. `{ "method.request.path.userId": true }`. */
  readonly requestParameters: Readonly<Record<string, boolean>>;
}

export interface LocalSecret {
  readonly logicalId: string;
  /** `Name`, else `<stack>-<logicalId>`; the key in `<data-dir>/secrets.json`. */
  readonly name: string;
  readonly arn: string;
  /** `SecretString` as in the template. */
  readonly secretString?: string;
  /** `GenerateSecretString` as in the template, for a first value. */
  readonly generate?: Readonly<Record<string, unknown>>;
  /** A queueflow webhook source's secret (Metadata `queueflow:webhookSource`): listed in the state file. */
  readonly webhookSource?: WebhookSourceMetadata;
}

export interface LocalGatewayResponse {
  readonly statusCode?: string;
  readonly responseParameters: Readonly<Record<string, string>>;
  /** Templates by content type (VTL with `$context.error.message` etc.). */
  readonly responseTemplates: Readonly<Record<string, string>>;
}
