/**
 * Reads a synthesized stack (a cloud assembly such as cdk.out) for the bench and the chaos run:
 * its functions, its consumers and the event types each takes, and its routes with their
 * schemas. Read from the template, so a consumer or route the app adds is measured and checked
 * without anyone listing it here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pascalCase } from '../../lib/constructs/naming.ts';
import type { EventCatalogEntry } from '../../lib/constructs/queue-workflow.ts';
import { listStacks, readCloudAssembly } from '../../lib/local/template-reader.ts';
import { BUNDLING_METADATA_KEY } from '../../lib/shared/bundling-metadata.ts';

export interface TemplateFunction {
  readonly logicalId: string;
  /** The consumer name (`CONSUMER_NAME`), `producer`, or for any other function its logical id without the hash. */
  readonly label: string;
  readonly assetDir: string;
  /** The bundle file the handler names (`index.handler` → `index.mjs` or `index.js`). */
  readonly bundleFile: string;
  /**
   * The source file the bundle was built from: the entry its `queueflow:bundling` Metadata records,
   * else the last source of its source map (where esbuild puts the entry point, unless minified
   * scope hoisting leaves the entry no code of its own).
   */
  readonly entryFile: string;
  readonly memorySizeMb: number;
  readonly architecture: string;
  /** Environment variables as in the template; intrinsics (Ref, GetAtt) left as objects. */
  readonly environment: Readonly<Record<string, unknown>>;
  /**
   * The environment as the local runtime resolves the template (see {@link standInEnvironments}):
   * a stand-in good enough for the bundle's start-up checks.
   */
  readonly standInEnvironment: Readonly<Record<string, string>>;
}

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/** The assembly has no such stack, or a function without a built asset. */
export class AssemblyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AssemblyError';
  }
}

/** The stack's template; without `stackName`, the assembly's one stack (read with aws-cdk-lib/cx-api, as the runtime does). */
export const readTemplate = (assemblyDir: string, stackName?: string): { Resources: Record<string, Resource> } => {
  const stacks = listStacks(assemblyDir);
  const names = (stack: (typeof stacks)[number]) => [stack.stackName, stack.id, stack.hierarchicalId];
  if (stackName === undefined && stacks.length !== 1) {
    throw new AssemblyError(`${assemblyDir} holds ${stacks.length} stacks (${stacks.map((stack) => stack.hierarchicalId).join(', ')}); name one`);
  }
  const chosen = stackName === undefined ? stacks[0] : stacks.find((stack) => names(stack).includes(stackName));
  if (chosen === undefined) throw new AssemblyError(`${assemblyDir} holds no stack ${stackName}; run npm run synth`);
  return chosen.template as { Resources: Record<string, Resource> };
};

/** The entry a function's `queueflow:bundling` Metadata records (relative to the assembly), as an absolute path. */
const recordedEntry = (resource: Resource, assemblyDir: string): string | undefined => {
  const entry = (resource.Metadata?.[BUNDLING_METADATA_KEY] as { entry?: unknown } | undefined)?.entry;
  return typeof entry === 'string' ? resolve(assemblyDir, entry) : undefined;
};

/** An address nothing listens on: the stand-in environments' queue URLs and API URL point at it, and start-up calls nothing. */
const STAND_IN_ENDPOINT = 'http://127.0.0.1:9';

/**
 * Each function's environment (by logical id) with every intrinsic resolved as `queueflow local`
 * resolves it (lib/local's template reader): ARNs, queue URLs and names of the kind each resource
 * gives, and a `Fn::Join` around them (a JSON variable such as the webhook receiver's
 * `WEBHOOK_SOURCES`) joined, so it parses as it would on AWS.
 */
export const standInEnvironments = (assemblyDir: string, stackName?: string): Map<string, Readonly<Record<string, string>>> => {
  const model = readCloudAssembly({
    assemblyDir,
    ...(stackName === undefined ? {} : { stackNames: [stackName] }),
    endpoint: STAND_IN_ENDPOINT,
    apiUrl: `${STAND_IN_ENDPOINT}/`,
    apiKeyValue: () => 'bench-api-key',
  });
  return new Map(model.functions.map((fn) => [fn.logicalId, fn.environment]));
};

/** Every Lambda function of the stack with its built bundle. */
export const templateFunctions = (assemblyDir: string, stackName?: string): TemplateFunction[] => {
  const standIns = standInEnvironments(assemblyDir, stackName);
  return Object.entries(readTemplate(assemblyDir, stackName).Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([logicalId, resource]) => {
      const properties = resource.Properties ?? {};
      const assetPath = resource.Metadata?.['aws:asset:path'];
      if (typeof assetPath !== 'string') throw new AssemblyError(`${logicalId} has no aws:asset:path: was it bundled?`);
      const environment = ((properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
      const handlerFile = String(properties.Handler ?? 'index.handler').split('.')[0]!;
      const assetDir = join(assemblyDir, assetPath);
      const bundleFile = ['.mjs', '.js', '.cjs'].map((extension) => join(assetDir, `${handlerFile}${extension}`)).find(existsSync);
      if (bundleFile === undefined) throw new AssemblyError(`${logicalId}: no ${handlerFile}.mjs/.js in ${assetDir}`);
      if (!existsSync(`${bundleFile}.map`)) throw new AssemblyError(`${logicalId}: no source map ${bundleFile}.map to find its entry in`);
      const sourceMap = JSON.parse(readFileSync(`${bundleFile}.map`, 'utf8')) as { sourceRoot?: string; sources: string[] };
      return {
        logicalId,
        // A consumer by its name, the producer as such, any other function (a webhook receiver) by its logical id.
        label:
          typeof environment.CONSUMER_NAME === 'string'
            ? environment.CONSUMER_NAME
            : /Producer[0-9A-F]{8}$/.test(logicalId)
              ? 'producer'
              : logicalId.replace(/[0-9A-F]{8}$/, ''),
        assetDir,
        bundleFile,
        entryFile: recordedEntry(resource, assemblyDir) ?? resolve(dirname(bundleFile), sourceMap.sourceRoot ?? '', sourceMap.sources.at(-1)!),
        memorySizeMb: Number(properties.MemorySize ?? 128),
        architecture: ((properties.Architectures as string[] | undefined) ?? ['x86_64'])[0]!,
        environment,
        standInEnvironment: standIns.get(logicalId) ?? {},
      };
    });
};

/** A consumer as the template declares it. */
export interface AppConsumer {
  /** `CONSUMER_NAME`. */
  readonly name: string;
  /** The event types its queue's subscription lets through. */
  readonly eventTypes: readonly string[];
  /**
   * The erasure event types among them (`ERASURE_EVENT_TYPES`): a consumer that takes one skips
   * the effects of events whose data subject was erased after them.
   */
  readonly erasureEventTypes: readonly string[];
}

/** A route of the event API: what the producer's catalog holds for it, but the subject. */
export type AppRoute = Omit<EventCatalogEntry, 'subject'>;

/** What the bench and the chaos run need to know about the app under test. */
export interface AppModel {
  /** Sorted by name. */
  readonly consumers: readonly AppConsumer[];
  readonly routes: readonly AppRoute[];
}

/** The route that publishes `eventType`; throws AssemblyError when the app has none. */
export const routeFor = (app: AppModel, eventType: string): AppRoute => {
  const route = app.routes.find((candidate) => candidate.eventType === eventType);
  if (route === undefined) throw new AssemblyError(`the app has no route for ${eventType} (routes: ${app.routes.map((r) => r.eventType).join(', ')})`);
  return route;
};

/** The consumers whose subscription lets `eventType` through. */
export const consumersTaking = (app: AppModel, eventType: string): AppConsumer[] => app.consumers.filter((consumer) => consumer.eventTypes.includes(eventType));

const refOf = (value: unknown): string | undefined => (value as { Ref?: unknown } | undefined)?.Ref as string | undefined;
const getAttOf = (value: unknown): string | undefined => ((value as { 'Fn::GetAtt'?: unknown[] } | undefined)?.['Fn::GetAtt']?.[0] as string | undefined);

/**
 * The consumers (with the event types their subscriptions filter on) and the routes (with their
 * request models) of the stack. A route's event type is the one whose PascalCase form is the
 * method's operation name, as the workflow names it; the template spells event type names only in
 * the subscriptions, so a route no consumer takes keeps the operation name.
 */
export const readApp = (assemblyDir: string, stackName?: string): AppModel => {
  const resources = readTemplate(assemblyDir, stackName).Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
  const filterByQueue = new Map(
    ofType('AWS::SNS::Subscription').map(([, resource]) => {
      const properties = resource.Properties ?? {};
      const allowlist = (properties.FilterPolicy as { eventType?: unknown[] } | undefined)?.eventType;
      return [getAttOf(properties.Endpoint), allowlist?.filter((value): value is string => typeof value === 'string')] as const;
    }),
  );
  const consumers = ofType('AWS::Lambda::Function').flatMap(([logicalId, resource]) => {
    const variables = ((resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
    if (typeof variables.CONSUMER_NAME !== 'string') return [];
    const eventTypes = filterByQueue.get(refOf(variables.QUEUE_URL));
    if (eventTypes === undefined) throw new AssemblyError(`${logicalId} (consumer ${variables.CONSUMER_NAME}): no subscription with an eventType filter feeds its queue`);
    const erasing = typeof variables.ERASURE_EVENT_TYPES === 'string' ? variables.ERASURE_EVENT_TYPES.split(',').filter(Boolean) : [];
    return [{ name: variables.CONSUMER_NAME, eventTypes, erasureEventTypes: erasing }];
  });
  const eventTypeByOperation = new Map(consumers.flatMap((consumer) => consumer.eventTypes).map((type) => [pascalCase(type), type]));
  const pathOf = (resourceId: string | undefined): string => {
    const resource = resourceId === undefined ? undefined : resources[resourceId];
    if (resource?.Type !== 'AWS::ApiGateway::Resource') return '';
    return `${pathOf(refOf(resource.Properties?.ParentId))}/${String(resource.Properties?.PathPart)}`;
  };
  const routes = ofType('AWS::ApiGateway::Method').flatMap(([logicalId, resource]) => {
    const properties = resource.Properties ?? {};
    const model = resources[refOf((properties.RequestModels as Record<string, unknown> | undefined)?.['application/json']) ?? ''];
    if (model === undefined || typeof properties.OperationName !== 'string') return [];
    const schema = model.Properties?.Schema as Record<string, unknown> | undefined;
    if (schema === undefined) throw new AssemblyError(`${logicalId}: its request model has no schema`);
    const eventType = eventTypeByOperation.get(properties.OperationName) ?? properties.OperationName;
    return [{ eventType, method: String(properties.HttpMethod), resourcePath: pathOf(refOf(properties.ResourceId)) || '/', schema }];
  });
  return { consumers: consumers.sort((a, b) => a.name.localeCompare(b.name)), routes };
};

/** A throttle as the template declares it: requests per second and a burst of requests. */
export interface TemplateThrottle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** The API's throttles: each usage plan's and the stage-wide one (method settings on `/*` `*`). */
export interface TemplateThrottles {
  readonly usagePlans: readonly TemplateThrottle[];
  readonly stages: readonly TemplateThrottle[];
}

/** The usage plan and stage throttles of the stack, so a report can say what the runtime was allowed to receive. */
export const readApiThrottles = (assemblyDir: string, stackName?: string): TemplateThrottles => {
  const resources = Object.values(readTemplate(assemblyDir, stackName).Resources);
  const throttle = (rate: unknown, burst: unknown): TemplateThrottle[] =>
    rate === undefined && burst === undefined ? [] : [{ rateLimit: Number(rate ?? Infinity), burstLimit: Number(burst ?? Infinity) }];
  return {
    usagePlans: resources
      .filter((resource) => resource.Type === 'AWS::ApiGateway::UsagePlan')
      .flatMap((resource) => {
        const declared = resource.Properties?.Throttle as { RateLimit?: unknown; BurstLimit?: unknown } | undefined;
        return throttle(declared?.RateLimit, declared?.BurstLimit);
      }),
    stages: resources
      .filter((resource) => resource.Type === 'AWS::ApiGateway::Stage')
      .flatMap((resource) => (resource.Properties?.MethodSettings ?? []) as Record<string, unknown>[])
      .filter((setting) => setting.ResourcePath === '/*' && setting.HttpMethod === '*')
      .flatMap((setting) => throttle(setting.ThrottlingRateLimit, setting.ThrottlingBurstLimit)),
  };
};
