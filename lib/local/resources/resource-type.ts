/**
 * The contract between the template reader and the modules that each handle one CloudFormation
 * resource type. A module declares which properties it reads, which it ignores (and why that is
 * safe), what `Ref` and `Fn::GetAtt` return locally, and how the resource becomes part of the
 * local model. The registry (`./index.ts`) lists the modules; nothing else needs to change to add
 * a type.
 */
import { createHash } from 'node:crypto';
import type {
  LocalEventSourceMapping,
  LocalFunction,
  LocalGatewayResponse,
  LocalQueue,
  LocalRoute,
  LocalSecret,
  LocalSubscription,
  LocalTable,
  LocalTopic,
} from '../model.ts';

/** Properties a type accepts. Any other property makes the reader report the resource. */
export interface PropertyUse {
  /** Read and reproduced locally. */
  readonly used: readonly string[];
  /** Accepted with no local effect (encryption, tags, logging, deploy-time settings). */
  readonly ignored: readonly string[];
}

export interface ResourceType {
  /** The CloudFormation type, e.g. `AWS::SQS::Queue`. */
  readonly type: string;
  /** What the resource becomes locally, one sentence (shown in docs/local-runtime.md). */
  readonly summary: string;
  readonly properties: PropertyUse;
  /** What `Ref` returns, in words, for the docs. */
  readonly refDescription: string;
  /** What `Ref` returns. */
  ref(resource: TemplateResource): unknown;
  /** `Fn::GetAtt` attributes by name; an attribute not listed fails to resolve. */
  readonly attributes: Readonly<Record<string, (resource: TemplateResource) => unknown>>;
  /**
   * Adds the resource to the model. Types are read in registry order, across all stacks, so a
   * reader may look up what earlier types added (an event source mapping finds its queue).
   * Omitted for types that only serve another type's reader (an API Gateway model).
   */
  read?(resource: TemplateResource, model: ModelBuilder): void;
}

/** One resource of one stack, with helpers that resolve its properties to local values. */
export interface TemplateResource {
  /** The logical id in the template. */
  readonly logicalId: string;
  /** The id in the local model: the logical id, or `Stack/LogicalId` when several stacks run. */
  readonly id: string;
  readonly type: string;
  /** The raw properties, intrinsics unresolved. */
  readonly properties: Readonly<Record<string, unknown>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly stack: StackScope;
  /** The property with every intrinsic resolved, or undefined when absent. */
  resolved(property: string): unknown;
  /** Like `resolved`, but a string (numbers and booleans are turned into one). */
  string(property: string): string | undefined;
  /** The name in `property` (e.g. QueueName), else the deterministic `<stack>-<logicalId>`. */
  physicalName(property: string): string;
  /** Records that `property` (or the whole resource) is not reproduced, and stops reading it. */
  unsupported(property: string | undefined, reason: string): never;
}

/** One stack of the assembly, as resource readers see it. */
export interface StackScope {
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  /** The folder of the (possibly nested) cloud assembly that holds the stack. */
  readonly assemblyDir: string;
  /** The public AWS endpoint, e.g. `http://127.0.0.1:4566`. */
  readonly endpoint: string;
  /** Value for an API key the template declares without one. */
  readonly apiKeyValue?: (logicalId: string) => string;
  /** The stack's resources of `type` (all of them without a type). */
  resources(type?: string): TemplateResource[];
  resource(logicalId: string): TemplateResource | undefined;
  /** Resolves every intrinsic in `value`; `path` says where it sits, for error messages. */
  resolve(value: unknown, path: string): unknown;
  ref(logicalId: string): unknown;
  getAtt(logicalId: string, attribute: string): unknown;
  arn(service: string, resource: string): string;
  queueUrl(queueName: string): string;
  /** Replaces deployed API URLs with the local gateway's. */
  localize(value: string): string;
  /** The absolute path of a file asset by its hash (from the stack's asset manifest). */
  assetPath(hash: string): string | undefined;
  /** Lists a resource (or part of one) as deliberately not emulated. */
  skip(logicalId: string, type: string, detail?: string): void;
}

/** A REST API while its parts are being read. */
export interface ApiBuilder {
  readonly logicalId: string;
  readonly name: string;
  readonly stackName: string;
  stageName?: string;
  readonly routes: LocalRoute[];
  readonly throttles: { rateLimit: number; burstLimit: number }[];
  readonly gatewayResponses: Record<string, LocalGatewayResponse>;
  readonly binaryMediaTypes: readonly string[];
}

/** The merged model of every stack while it is being read; readers append to it. */
export interface ModelBuilder {
  readonly queues: LocalQueue[];
  readonly topics: LocalTopic[];
  readonly subscriptions: LocalSubscription[];
  readonly tables: LocalTable[];
  readonly functions: LocalFunction[];
  readonly eventSourceMappings: LocalEventSourceMapping[];
  /** REST APIs by their local id (what `Ref` of the RestApi returns). */
  readonly apis: Map<string, ApiBuilder>;
  readonly apiKeys: { logicalId: string; id: string; value: string }[];
  readonly secrets: LocalSecret[];
}

/** A function is named by name, by ARN, or by a Lambda integration URI that embeds the ARN. */
export function functionByReference(reference: string, functions: readonly LocalFunction[]): LocalFunction | undefined {
  const name = /function:([^:/]+)/.exec(reference)?.[1] ?? reference;
  return functions.find((fn) => fn.name === name);
}

/** CloudFormation booleans arrive as booleans or as the strings "true" / "false". */
export function isTrue(value: unknown): boolean {
  return String(value) === 'true';
}

/** A deterministic API Gateway-style id (10 lowercase alphanumerics) for a model id. */
export function localId(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 10);
}
