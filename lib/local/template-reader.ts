import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { AssemblyNotFoundError, IntrinsicResolutionError, StackNotFoundError, UnsupportedTemplateError } from './errors.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, pseudoParameters, resolveIntrinsics, resolveString, type IntrinsicContext } from './intrinsics.ts';
import type {
  LocalEventSourceMapping,
  LocalFunction,
  LocalGatewayResponse,
  LocalModel,
  LocalQueue,
  LocalRestApi,
  LocalRoute,
  LocalSubscription,
  LocalTable,
  LocalTopic,
} from './model.ts';

export interface ReadCloudAssemblyOptions {
  /** The cloud assembly folder (`cdk.out`). */
  readonly assemblyDir: string;
  /** @default 'QueueflowSample' */
  readonly stackName?: string;
  /** The public AWS endpoint, e.g. `http://127.0.0.1:4566`; queue URLs are formed on it. */
  readonly endpoint: string;
  /** The local API gateway's base URL, with a trailing slash; replaces the execute-api URL. */
  readonly apiUrl: string;
  /** Value for an API key the template declares without one (generated and persisted by the caller). */
  readonly apiKeyValue?: (logicalId: string) => string;
}

export const DEFAULT_STACK_NAME = 'QueueflowSample';

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
}

interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { Value: unknown; Condition?: string }>;
  readonly Mappings?: IntrinsicContext['mappings'];
  readonly Parameters?: Record<string, { Default?: unknown }>;
}

/** Types with no local meaning: reported in `skipped`, never emulated. */
const SKIPPED_TYPE = /^AWS::(IAM|Logs|CloudWatch|KMS|SSM|CDK|XRay|Budgets|Events|ApplicationAutoScaling)::|^AWS::Lambda::(Permission|Version|Alias|EventInvokeConfig|Url)$|^AWS::SQS::QueuePolicy$|^AWS::SNS::TopicPolicy$|^AWS::ApiGateway::(Account|UsagePlanKey|Deployment|DocumentationPart|DocumentationVersion)$/;
/**
 * Subscription protocols that deliver to a person (the alarm topic's email, for one): nothing in
 * the stack reacts to the delivery, so such a subscription is reported in `skipped`; nobody gets
 * mail or texts locally. Any other protocol but sqs would change behaviour and is refused.
 */
const PERSON_PROTOCOLS: ReadonlySet<string> = new Set(['email', 'email-json', 'sms']);
/** CDK-provided custom resources whose only job is deploy-time housekeeping. */
const SKIPPED_CUSTOM = new Set(['Custom::LogRetention', 'Custom::CDKBucketDeployment', 'Custom::S3AutoDeleteObjects']);

/**
 * Properties each supported type accepts. Anything else is behaviour the runtime would not
 * reproduce, so the reader refuses it by name. `ignored` are accepted but have no local effect
 * (encryption, tags, logging, deploy-time settings).
 */
const PROPERTIES: Record<string, { used: readonly string[]; ignored: readonly string[] }> = {
  'AWS::SQS::Queue': {
    used: ['QueueName', 'VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds', 'MaximumMessageSize', 'ReceiveMessageWaitTimeSeconds', 'RedrivePolicy', 'RedriveAllowPolicy'],
    ignored: ['SqsManagedSseEnabled', 'KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds', 'Tags'],
  },
  'AWS::SNS::Topic': {
    used: ['TopicName', 'Subscription'],
    ignored: ['DisplayName', 'KmsMasterKeyId', 'Tags', 'TracingConfig', 'SignatureVersion', 'DeliveryStatusLogging'],
  },
  'AWS::SNS::Subscription': {
    // A subscription DLQ only receives deliveries SNS could not make; local SNS→SQS delivery
    // cannot fail that way, so ignoring RedrivePolicy is exact.
    used: ['TopicArn', 'Protocol', 'Endpoint', 'RawMessageDelivery', 'FilterPolicy', 'FilterPolicyScope'],
    ignored: ['Region', 'RedrivePolicy', 'DeliveryPolicy', 'SubscriptionRoleArn'],
  },
  'AWS::DynamoDB::Table': {
    used: ['TableName', 'KeySchema', 'AttributeDefinitions', 'GlobalSecondaryIndexes', 'TimeToLiveSpecification'],
    ignored: ['BillingMode', 'ProvisionedThroughput', 'PointInTimeRecoverySpecification', 'SSESpecification', 'Tags', 'DeletionProtectionEnabled', 'ContributorInsightsSpecification', 'TableClass', 'StreamSpecification', 'WarmThroughput', 'OnDemandThroughput', 'ResourcePolicy'],
  },
  'AWS::DynamoDB::GlobalTable': {
    used: ['TableName', 'KeySchema', 'AttributeDefinitions', 'GlobalSecondaryIndexes', 'TimeToLiveSpecification'],
    ignored: ['BillingMode', 'Replicas', 'SSESpecification', 'StreamSpecification', 'WriteProvisionedThroughputSettings', 'WriteOnDemandThroughputSettings', 'WarmThroughput'],
  },
  'AWS::Lambda::Function': {
    used: ['Code', 'Handler', 'Runtime', 'Architectures', 'Timeout', 'MemorySize', 'Environment', 'FunctionName'],
    ignored: ['Role', 'LoggingConfig', 'TracingConfig', 'Description', 'Tags', 'EphemeralStorage', 'VpcConfig', 'KmsKeyArn', 'RuntimeManagementConfig', 'ReservedConcurrentExecutions', 'PackageType'],
  },
  'AWS::Lambda::EventSourceMapping': {
    used: ['FunctionName', 'EventSourceArn', 'BatchSize', 'MaximumBatchingWindowInSeconds', 'ScalingConfig', 'FunctionResponseTypes', 'Enabled'],
    ignored: ['Tags', 'MetricsConfig'],
  },
  'AWS::ApiGateway::RestApi': {
    used: ['Name', 'ApiKeySourceType'],
    ignored: ['Description', 'EndpointConfiguration', 'Policy', 'DisableExecuteApiEndpoint', 'MinimumCompressionSize', 'Tags', 'CloneFrom', 'FailOnWarnings', 'Mode'],
  },
  'AWS::ApiGateway::Resource': { used: ['ParentId', 'PathPart', 'RestApiId'], ignored: [] },
  'AWS::ApiGateway::Method': {
    used: ['HttpMethod', 'ResourceId', 'RestApiId', 'AuthorizationType', 'ApiKeyRequired', 'RequestValidatorId', 'RequestModels', 'RequestParameters', 'Integration'],
    ignored: ['MethodResponses', 'OperationName'],
  },
  'AWS::ApiGateway::Model': { used: ['RestApiId', 'ContentType', 'Name', 'Schema'], ignored: ['Description'] },
  'AWS::ApiGateway::RequestValidator': { used: ['RestApiId', 'Name', 'ValidateRequestBody', 'ValidateRequestParameters'], ignored: [] },
  'AWS::ApiGateway::Stage': {
    used: ['RestApiId', 'StageName', 'DeploymentId', 'MethodSettings'],
    ignored: ['Description', 'TracingEnabled', 'AccessLogSetting', 'Tags', 'CacheClusterEnabled', 'CacheClusterSize'],
  },
  'AWS::ApiGateway::ApiKey': { used: ['Value', 'Enabled', 'Name', 'StageKeys'], ignored: ['Description', 'Tags', 'GenerateDistinctId', 'CustomerId'] },
  'AWS::ApiGateway::UsagePlan': { used: ['ApiStages', 'Throttle'], ignored: ['UsagePlanName', 'Description', 'Tags'] },
  'AWS::ApiGateway::GatewayResponse': { used: ['RestApiId', 'ResponseType', 'StatusCode', 'ResponseParameters', 'ResponseTemplates'], ignored: [] },
};

/**
 * Reads the cloud assembly `cdk synth` wrote and returns the stack as the local runtime sees it:
 * every resource it emulates, with every intrinsic resolved to its local value.
 *
 * @throws AssemblyNotFoundError, StackNotFoundError, UnsupportedTemplateError, IntrinsicResolutionError
 * @example
 * const model = readCloudAssembly({ assemblyDir: 'cdk.out', endpoint: 'http://127.0.0.1:4566', apiUrl: 'http://127.0.0.1:3000/' });
 */
export function readCloudAssembly(options: ReadCloudAssemblyOptions): LocalModel {
  const assemblyDir = resolve(options.assemblyDir);
  const stackName = options.stackName ?? DEFAULT_STACK_NAME;
  const template = readJson(findTemplate(assemblyDir, stackName)) as CfnTemplate;
  return new StackReader(template, { ...options, assemblyDir, stackName }).read();
}

/** Finds the template file of `stackName`, also inside nested assemblies (CDK stages). */
export function findTemplate(assemblyDir: string, stackName: string): string {
  const found: string[] = [];
  const search = (dir: string): string | undefined => {
    const manifestPath = join(dir, 'manifest.json');
    if (!existsSync(manifestPath)) {
      throw new AssemblyNotFoundError(`No cloud assembly at ${dir} (manifest.json missing). Run \`npx cdk synth\` or drop --no-synth.`);
    }
    const manifest = readJson(manifestPath) as { artifacts?: Record<string, { type: string; displayName?: string; properties?: Record<string, string> }> };
    for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
      if (artifact.type === 'aws:cloudformation:stack') {
        const name = artifact.properties?.stackName ?? id;
        found.push(name);
        if ([name, id, artifact.displayName].includes(stackName)) return join(dir, artifact.properties!.templateFile!);
      } else if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
        const nested = search(join(dir, artifact.properties.directoryName));
        if (nested) return nested;
      }
    }
    return undefined;
  };
  const templatePath = search(assemblyDir);
  if (!templatePath) throw new StackNotFoundError(stackName, found);
  return templatePath;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new AssemblyNotFoundError(`Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** A deterministic API Gateway-style id (10 lowercase alphanumerics) for a logical id. */
export function localId(logicalId: string): string {
  return createHash('sha256').update(logicalId).digest('hex').slice(0, 10);
}

class StackReader {
  private readonly resources: Record<string, CfnResource>;
  private readonly region = LOCAL_REGION;
  private readonly accountId = LOCAL_ACCOUNT_ID;
  private readonly context: IntrinsicContext;
  private readonly skipped: { logicalId: string; type: string; detail?: string }[] = [];

  constructor(
    private readonly template: CfnTemplate,
    private readonly options: ReadCloudAssemblyOptions & { assemblyDir: string; stackName: string },
  ) {
    this.resources = template.Resources ?? {};
    this.context = {
      pseudo: pseudoParameters({ stackName: options.stackName, region: this.region, accountId: this.accountId }),
      mappings: template.Mappings,
      ref: (logicalId) => this.refOf(logicalId),
      getAtt: (logicalId, attribute) => this.getAttOf(logicalId, attribute),
    };
  }

  read(): LocalModel {
    const byType = (type: string) => Object.keys(this.resources).filter((id) => this.resources[id]!.Type === type);
    for (const [logicalId, resource] of Object.entries(this.resources)) this.checkResource(logicalId, resource);

    const queues = byType('AWS::SQS::Queue').map((id) => this.queue(id));
    const topics = byType('AWS::SNS::Topic').map((id) => this.topic(id));
    const subscriptions = [
      ...byType('AWS::SNS::Subscription').flatMap((id) => this.subscription(id, this.props(id)) ?? []),
      ...byType('AWS::SNS::Topic').flatMap((id) => this.inlineSubscriptions(id)),
    ];
    const tables = [...byType('AWS::DynamoDB::Table'), ...byType('AWS::DynamoDB::GlobalTable')].map((id) => this.table(id));
    const functions = byType('AWS::Lambda::Function')
      .filter((id) => !this.isCustomResourceProvider(id))
      .map((id) => this.function(id));
    const eventSourceMappings = byType('AWS::Lambda::EventSourceMapping').map((id) => this.eventSourceMapping(id, queues, functions));
    const apis = byType('AWS::ApiGateway::RestApi');
    if (apis.length > 1) {
      throw new UnsupportedTemplateError(apis[1]!, 'AWS::ApiGateway::RestApi', undefined, 'the local gateway serves one REST API per stack');
    }
    const api = apis[0] === undefined ? undefined : this.restApi(apis[0], functions);
    const outputs: Record<string, string> = {};
    for (const [key, output] of Object.entries(this.template.Outputs ?? {})) {
      if (output.Condition) throw new UnsupportedTemplateError(key, 'output', 'Condition', 'conditional outputs are not evaluated locally');
      outputs[key] = this.localize(resolveString(output.Value, this.context, `Outputs.${key}`));
    }
    return {
      stackName: this.options.stackName,
      region: this.region,
      accountId: this.accountId,
      assemblyDir: this.options.assemblyDir,
      queues,
      topics,
      subscriptions,
      tables,
      functions,
      eventSourceMappings,
      ...(api ? { api } : {}),
      outputs,
      skipped: this.skipped,
    };
  }

  private checkResource(logicalId: string, resource: CfnResource): void {
    // Conditions are not evaluated; CDK puts one on its CDK::Metadata resource, which is skipped.
    if (SKIPPED_TYPE.test(resource.Type) || SKIPPED_CUSTOM.has(resource.Type) || this.isCustomResourceProvider(logicalId)) {
      this.skipped.push({ logicalId, type: resource.Type });
      return;
    }
    if (resource.Condition) {
      throw new UnsupportedTemplateError(logicalId, resource.Type, 'Condition', 'conditional resources are not evaluated locally');
    }
    const allowed = PROPERTIES[resource.Type];
    if (!allowed) throw new UnsupportedTemplateError(logicalId, resource.Type, undefined, 'this resource type is not emulated');
    for (const property of Object.keys(resource.Properties ?? {})) {
      if (!allowed.used.includes(property) && !allowed.ignored.includes(property)) {
        throw new UnsupportedTemplateError(logicalId, resource.Type, property, 'this property would change behaviour and is not emulated');
      }
    }
  }

  /** A Lambda function that only serves the skipped CDK custom resources (e.g. log retention). */
  private isCustomResourceProvider(logicalId: string): boolean {
    if (this.resources[logicalId]?.Type !== 'AWS::Lambda::Function') return false;
    return Object.values(this.resources).some(
      (resource) => SKIPPED_CUSTOM.has(resource.Type) && JSON.stringify(resource.Properties?.ServiceToken ?? '').includes(`"${logicalId}"`),
    );
  }

  private props(logicalId: string): Record<string, unknown> {
    return this.resources[logicalId]?.Properties ?? {};
  }

  private resolved(logicalId: string, property: string): unknown {
    return resolveIntrinsics(this.props(logicalId)[property], this.context, `${logicalId}.Properties.${property}`);
  }

  private resolvedString(logicalId: string, property: string): string | undefined {
    const value = this.props(logicalId)[property];
    return value === undefined ? undefined : resolveString(value, this.context, `${logicalId}.Properties.${property}`);
  }

  private unsupported(logicalId: string, property: string, reason: string): never {
    throw new UnsupportedTemplateError(logicalId, this.resources[logicalId]!.Type, property, reason);
  }

  // ---- local identities: what Ref and Fn::GetAtt return for each logical id ----

  private physicalName(logicalId: string, property: string): string {
    return this.resolvedString(logicalId, property) ?? `${this.options.stackName}-${logicalId}`;
  }

  private arn(service: string, resource: string): string {
    return `arn:aws:${service}:${this.region}:${this.accountId}:${resource}`;
  }

  private refOf(logicalId: string): unknown {
    const parameter = this.template.Parameters?.[logicalId];
    if (parameter) {
      if (parameter.Default === undefined) throw new IntrinsicResolutionError(logicalId, 'parameter has no default value');
      return parameter.Default;
    }
    const resource = this.resources[logicalId];
    if (!resource) throw new IntrinsicResolutionError(logicalId, `no resource or parameter named ${logicalId}`);
    switch (resource.Type) {
      case 'AWS::SQS::Queue':
        return this.queueUrl(this.physicalName(logicalId, 'QueueName'));
      case 'AWS::SNS::Topic':
        return this.arn('sns', this.physicalName(logicalId, 'TopicName'));
      case 'AWS::SNS::Subscription':
        return `${this.resolvedString(logicalId, 'TopicArn')}:${localId(logicalId)}`;
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable':
        return this.physicalName(logicalId, 'TableName');
      case 'AWS::Lambda::Function':
        return this.physicalName(logicalId, 'FunctionName');
      case 'AWS::ApiGateway::Stage':
        return this.resolvedString(logicalId, 'StageName') ?? logicalId;
      case 'AWS::ApiGateway::Model':
        return this.resolvedString(logicalId, 'Name') ?? logicalId;
      case 'AWS::ApiGateway::ApiKey':
        return localId(logicalId);
      default:
        // API Gateway ids, IAM role names and other skipped resources: a stable placeholder is
        // enough, since nothing local acts on them.
        return resource.Type.startsWith('AWS::ApiGateway::') ? localId(logicalId) : logicalId;
    }
  }

  private getAttOf(logicalId: string, attribute: string): unknown {
    const resource = this.resources[logicalId];
    if (!resource) throw new IntrinsicResolutionError(`${logicalId}.${attribute}`, `no resource named ${logicalId}`);
    const type = resource.Type;
    const ref = this.refOf(logicalId) as string;
    const attributes: Record<string, Record<string, () => string>> = {
      'AWS::SQS::Queue': {
        Arn: () => this.arn('sqs', this.physicalName(logicalId, 'QueueName')),
        QueueName: () => this.physicalName(logicalId, 'QueueName'),
        QueueUrl: () => ref,
      },
      'AWS::SNS::Topic': { TopicArn: () => ref, TopicName: () => this.physicalName(logicalId, 'TopicName') },
      'AWS::DynamoDB::Table': { Arn: () => this.arn('dynamodb', `table/${ref}`), StreamArn: () => this.arn('dynamodb', `table/${ref}/stream/local`) },
      'AWS::DynamoDB::GlobalTable': { Arn: () => this.arn('dynamodb', `table/${ref}`), StreamArn: () => this.arn('dynamodb', `table/${ref}/stream/local`), TableId: () => localId(logicalId) },
      'AWS::Lambda::Function': { Arn: () => this.arn('lambda', `function:${ref}`) },
      'AWS::ApiGateway::RestApi': { RootResourceId: () => `${ref}-root`, RestApiId: () => ref },
      'AWS::ApiGateway::ApiKey': { APIKeyId: () => ref },
    };
    const getter = attributes[type]?.[attribute];
    if (getter) return getter();
    if (attribute === 'Arn' && !PROPERTIES[type]) {
      const service = type.split('::')[1]!.toLowerCase();
      return this.arn(service, logicalId);
    }
    if (!PROPERTIES[type]) return `${logicalId}.${attribute}`;
    throw new IntrinsicResolutionError(`${logicalId}.${attribute}`, `attribute ${attribute} of ${type} is not available locally`);
  }

  private queueUrl(name: string): string {
    return `${this.options.endpoint.replace(/\/$/, '')}/${this.accountId}/${name}`;
  }

  /** Replaces the deployed API URL (`https://<id>.execute-api.<region>.amazonaws.com/<stage>/`) with the local one. */
  private localize(value: string): string {
    return value.replace(/https:\/\/[a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com\/[A-Za-z0-9_-]+(\/?)/g, (_match, slash: string) =>
      slash ? this.options.apiUrl : this.options.apiUrl.replace(/\/$/, ''),
    );
  }

  // ---- resources ----

  private queue(logicalId: string): LocalQueue {
    const props = this.props(logicalId);
    const name = this.physicalName(logicalId, 'QueueName');
    const attributes: Record<string, string> = {};
    for (const key of ['VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds', 'MaximumMessageSize', 'ReceiveMessageWaitTimeSeconds']) {
      const value = this.resolvedString(logicalId, key);
      if (value !== undefined) attributes[key] = value;
    }
    for (const key of ['RedrivePolicy', 'RedriveAllowPolicy']) {
      if (props[key] !== undefined) attributes[key] = JSON.stringify(this.resolved(logicalId, key));
    }
    return { logicalId, name, url: this.queueUrl(name), arn: this.arn('sqs', name), attributes };
  }

  private topic(logicalId: string): LocalTopic {
    const name = this.physicalName(logicalId, 'TopicName');
    return { logicalId, name, arn: this.arn('sns', name) };
  }

  private inlineSubscriptions(topicLogicalId: string): LocalSubscription[] {
    const list = (this.resolved(topicLogicalId, 'Subscription') ?? []) as { Protocol: string; Endpoint: string }[];
    const topicArn = this.topic(topicLogicalId).arn;
    return list.flatMap(
      (item, index) =>
        this.subscription(`${topicLogicalId}.Subscription[${index}]`, { TopicArn: topicArn, Protocol: item.Protocol, Endpoint: item.Endpoint }) ?? [],
    );
  }

  /** The SQS subscription, or undefined for a person's subscription, which is listed as skipped. */
  private subscription(logicalId: string, props: Record<string, unknown>): LocalSubscription | undefined {
    const value = (property: string) => resolveIntrinsics(props[property], this.context, `${logicalId}.Properties.${property}`);
    const protocol = value('Protocol');
    if (typeof protocol === 'string' && PERSON_PROTOCOLS.has(protocol)) {
      this.skipped.push({ logicalId, type: 'AWS::SNS::Subscription', detail: `${protocol}, not delivered locally` });
      return undefined;
    }
    if (protocol !== 'sqs') {
      throw new UnsupportedTemplateError(
        logicalId,
        'AWS::SNS::Subscription',
        'Protocol',
        `protocol ${String(protocol)} is not emulated (only sqs; ${[...PERSON_PROTOCOLS].join(', ')} are skipped as deliveries to a person)`,
      );
    }
    const filterPolicy = value('FilterPolicy');
    const scope = value('FilterPolicyScope');
    return {
      logicalId,
      topicArn: String(value('TopicArn')),
      queueArn: String(value('Endpoint')),
      rawMessageDelivery: String(value('RawMessageDelivery')) === 'true',
      ...(filterPolicy === undefined ? {} : { filterPolicy: typeof filterPolicy === 'string' ? filterPolicy : JSON.stringify(filterPolicy) }),
      ...(scope === undefined ? {} : { filterPolicyScope: scope as 'MessageAttributes' | 'MessageBody' }),
    };
  }

  private table(logicalId: string): LocalTable {
    const name = this.refOf(logicalId) as string;
    const ttl = this.resolved(logicalId, 'TimeToLiveSpecification') as { AttributeName?: string; Enabled?: boolean } | undefined;
    const indexes = this.resolved(logicalId, 'GlobalSecondaryIndexes') as Record<string, unknown>[] | undefined;
    return {
      logicalId,
      name,
      arn: this.arn('dynamodb', `table/${name}`),
      keySchema: this.resolved(logicalId, 'KeySchema') as LocalTable['keySchema'],
      attributeDefinitions: this.resolved(logicalId, 'AttributeDefinitions') as LocalTable['attributeDefinitions'],
      ...(indexes ? { globalSecondaryIndexes: indexes.map(({ ProvisionedThroughput: _t, WarmThroughput: _w, OnDemandThroughput: _o, ...index }) => index) } : {}),
      ...(ttl?.AttributeName && ttl.Enabled !== false ? { ttlAttribute: ttl.AttributeName } : {}),
    };
  }

  private function(logicalId: string): LocalFunction {
    const resource = this.resources[logicalId]!;
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string') {
      this.unsupported(logicalId, 'Code', 'only asset-based code (Metadata aws:asset:path, as cdk synth writes it) is run locally');
    }
    const runtime = this.resolvedString(logicalId, 'Runtime') ?? '';
    if (!runtime.startsWith('nodejs')) this.unsupported(logicalId, 'Runtime', `runtime ${runtime || '(none)'} is not run locally (Node.js only)`);
    const architectures = (this.resolved(logicalId, 'Architectures') ?? ['x86_64']) as string[];
    const environment = ((this.resolved(logicalId, 'Environment') ?? {}) as { Variables?: Record<string, unknown> }).Variables ?? {};
    return {
      logicalId,
      name: this.refOf(logicalId) as string,
      assetDir: isAbsolute(assetPath) ? assetPath : join(this.options.assemblyDir, assetPath),
      handler: this.resolvedString(logicalId, 'Handler') ?? 'index.handler',
      runtime,
      architecture: architectures[0] === 'arm64' ? 'arm64' : 'x86_64',
      timeoutSeconds: Number(this.resolved(logicalId, 'Timeout') ?? 3),
      memorySizeMb: Number(this.resolved(logicalId, 'MemorySize') ?? 128),
      environment: Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, this.localize(String(value))])),
    };
  }

  private functionByReference(reference: string, functions: readonly LocalFunction[]): LocalFunction | undefined {
    // A function is named by name, by ARN, or by a Lambda integration URI that embeds the ARN.
    const name = /function:([^:/]+)/.exec(reference)?.[1] ?? reference;
    return functions.find((fn) => fn.name === name);
  }

  private eventSourceMapping(logicalId: string, queues: readonly LocalQueue[], functions: readonly LocalFunction[]): LocalEventSourceMapping {
    const sourceArn = this.resolvedString(logicalId, 'EventSourceArn');
    const queue = queues.find((candidate) => candidate.arn === sourceArn);
    if (!queue) this.unsupported(logicalId, 'EventSourceArn', `event source ${String(sourceArn)} is not an SQS queue of this stack`);
    const fn = this.functionByReference(this.resolvedString(logicalId, 'FunctionName') ?? '', functions);
    if (!fn) this.unsupported(logicalId, 'FunctionName', 'the target is not a function of this stack');
    const scaling = this.resolved(logicalId, 'ScalingConfig') as { MaximumConcurrency?: number } | undefined;
    const responseTypes = (this.resolved(logicalId, 'FunctionResponseTypes') ?? []) as string[];
    return {
      logicalId,
      functionLogicalId: fn.logicalId,
      queueArn: queue.arn,
      queueUrl: queue.url,
      batchSize: Number(this.resolved(logicalId, 'BatchSize') ?? 10),
      maximumBatchingWindowSeconds: Number(this.resolved(logicalId, 'MaximumBatchingWindowInSeconds') ?? 0),
      ...(scaling?.MaximumConcurrency === undefined ? {} : { maximumConcurrency: Number(scaling.MaximumConcurrency) }),
      reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
      enabled: String(this.resolved(logicalId, 'Enabled') ?? true) !== 'false',
    };
  }

  private restApi(apiLogicalId: string, functions: readonly LocalFunction[]): LocalRestApi {
    const apiId = this.refOf(apiLogicalId) as string;
    const ofApi = (type: string) =>
      Object.keys(this.resources).filter((id) => this.resources[id]!.Type === type && this.resolved(id, 'RestApiId') === apiId);
    const sourceType = this.resolvedString(apiLogicalId, 'ApiKeySourceType');
    if (sourceType && sourceType !== 'HEADER') this.unsupported(apiLogicalId, 'ApiKeySourceType', 'only HEADER (x-api-key) is emulated');

    const pathOf = (resourceId: string): string => {
      if (resourceId === `${apiId}-root`) return '/';
      const resourceLogicalId = ofApi('AWS::ApiGateway::Resource').find((id) => this.refOf(id) === resourceId);
      if (!resourceLogicalId) throw new IntrinsicResolutionError(resourceId, 'unknown API Gateway resource');
      const parent = pathOf(this.resolvedString(resourceLogicalId, 'ParentId')!);
      return `${parent === '/' ? '' : parent}/${this.resolvedString(resourceLogicalId, 'PathPart')}`;
    };
    const models = new Map(ofApi('AWS::ApiGateway::Model').map((id) => [this.refOf(id) as string, this.resolved(id, 'Schema') as object]));

    const routes = ofApi('AWS::ApiGateway::Method').map((id): LocalRoute => {
      const integration = (this.resolved(id, 'Integration') ?? {}) as { Type?: string; Uri?: string };
      if (integration.Type !== 'AWS_PROXY') {
        this.unsupported(id, 'Integration.Type', `integration ${String(integration.Type)} is not emulated (only Lambda proxy, AWS_PROXY)`);
      }
      const fn = this.functionByReference(integration.Uri ?? '', functions);
      if (!fn) this.unsupported(id, 'Integration.Uri', 'the integration does not target a function of this stack');
      const authorizationType = this.resolvedString(id, 'AuthorizationType') ?? 'NONE';
      if (authorizationType !== 'NONE') this.unsupported(id, 'AuthorizationType', `authorization ${authorizationType} is not emulated`);
      const validatorId = this.resolvedString(id, 'RequestValidatorId');
      const validator = validatorId ? ofApi('AWS::ApiGateway::RequestValidator').find((candidate) => this.refOf(candidate) === validatorId) : undefined;
      const requestModels = Object.fromEntries(
        Object.entries((this.resolved(id, 'RequestModels') ?? {}) as Record<string, string>).map(([contentType, modelName]) => {
          const schema = models.get(modelName);
          if (!schema) throw new IntrinsicResolutionError(`${id}.Properties.RequestModels`, `unknown model ${modelName}`);
          return [contentType, schema];
        }),
      );
      return {
        method: this.resolvedString(id, 'HttpMethod')!.toUpperCase(),
        resourcePath: pathOf(this.resolvedString(id, 'ResourceId')!),
        functionLogicalId: fn.logicalId,
        apiKeyRequired: String(this.resolved(id, 'ApiKeyRequired') ?? false) === 'true',
        authorizationType,
        validateRequestBody: validator ? String(this.resolved(validator, 'ValidateRequestBody') ?? false) === 'true' : false,
        validateRequestParameters: validator ? String(this.resolved(validator, 'ValidateRequestParameters') ?? false) === 'true' : false,
        requestModels,
        requestParameters: Object.fromEntries(
          Object.entries((this.resolved(id, 'RequestParameters') ?? {}) as Record<string, unknown>).map(([key, required]) => [key, String(required) === 'true']),
        ),
      };
    });

    const stages = ofApi('AWS::ApiGateway::Stage');
    const stageName = stages.length > 0 ? (this.refOf(stages[0]!) as string) : 'prod';
    const apiKeys = Object.keys(this.resources)
      .filter((id) => this.resources[id]!.Type === 'AWS::ApiGateway::ApiKey')
      .filter((id) => String(this.resolved(id, 'Enabled') ?? false) === 'true')
      .map((id) => {
        const value = this.resolvedString(id, 'Value') ?? this.options.apiKeyValue?.(id);
        if (!value) this.unsupported(id, 'Value', 'the key has no value and no generator was given');
        return { logicalId: id, id: localId(id), value };
      });

    const throttles: { rateLimit: number; burstLimit: number }[] = [];
    const addThrottle = (source: { RateLimit?: number; BurstLimit?: number; ThrottlingRateLimit?: number; ThrottlingBurstLimit?: number } | undefined) => {
      const rate = source?.RateLimit ?? source?.ThrottlingRateLimit;
      const burst = source?.BurstLimit ?? source?.ThrottlingBurstLimit;
      if (rate !== undefined || burst !== undefined) throttles.push({ rateLimit: Number(rate ?? Infinity), burstLimit: Number(burst ?? Infinity) });
    };
    for (const stage of stages) {
      for (const setting of (this.resolved(stage, 'MethodSettings') ?? []) as Record<string, unknown>[]) {
        if (setting.ResourcePath !== '/*' || setting.HttpMethod !== '*') {
          this.unsupported(stage, 'MethodSettings', 'only stage-wide settings (ResourcePath /*, HttpMethod *) are emulated');
        }
        addThrottle(setting);
      }
    }
    for (const plan of Object.keys(this.resources).filter((id) => this.resources[id]!.Type === 'AWS::ApiGateway::UsagePlan')) {
      const apiStages = (this.resolved(plan, 'ApiStages') ?? []) as { ApiId?: string; Throttle?: unknown }[];
      if (!apiStages.some((apiStage) => apiStage.ApiId === apiId)) continue;
      addThrottle(this.resolved(plan, 'Throttle') as never);
      for (const apiStage of apiStages) {
        if (apiStage.Throttle && Object.keys(apiStage.Throttle).length > 0) this.unsupported(plan, 'ApiStages.Throttle', 'per-method usage plan throttles are not emulated');
      }
    }
    const throttle =
      throttles.length === 0
        ? undefined
        : { rateLimit: Math.min(...throttles.map((t) => t.rateLimit)), burstLimit: Math.min(...throttles.map((t) => t.burstLimit)) };

    const gatewayResponses = Object.fromEntries(
      ofApi('AWS::ApiGateway::GatewayResponse').map((id): [string, LocalGatewayResponse] => {
        const statusCode = this.resolvedString(id, 'StatusCode');
        return [
          this.resolvedString(id, 'ResponseType')!,
          {
            ...(statusCode ? { statusCode } : {}),
            responseParameters: (this.resolved(id, 'ResponseParameters') ?? {}) as Record<string, string>,
            responseTemplates: (this.resolved(id, 'ResponseTemplates') ?? {}) as Record<string, string>,
          },
        ];
      }),
    );

    return {
      logicalId: apiLogicalId,
      name: this.resolvedString(apiLogicalId, 'Name') ?? apiLogicalId,
      stageName,
      routes,
      apiKeys,
      ...(throttle ? { throttle } : {}),
      gatewayResponses,
    };
  }
}
