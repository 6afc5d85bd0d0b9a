/**
 * Reads the cloud assembly `cdk synth` wrote into the local model. The manifest (stacks, nested
 * assemblies of CDK stages, asset manifests) is read with `aws-cdk-lib/cx-api`; each resource type
 * is handled by its module in `./resources/` (registered in `./resources/index.ts`). Every problem
 * of every selected stack is collected and reported in one `UnsupportedTemplateError`.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { AssetManifestArtifact, CloudAssembly, type CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { AssemblyNotFoundError, IntrinsicResolutionError, StackNotFoundError, UnsupportedTemplateError, type UnsupportedFeature } from './errors.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, pseudoParameters, resolveIntrinsics, resolveString, type IntrinsicContext } from './intrinsics.ts';
import type { LocalModel, LocalRestApi } from './model.ts';
import { isSkippedType, RESOURCE_TYPES, resourceType, SKIPPED_CUSTOM_RESOURCES } from './resources/index.ts';
import { localId, type ModelBuilder, type StackScope, type TemplateResource } from './resources/resource-type.ts';

export { localId } from './resources/resource-type.ts';

export interface ReadCloudAssemblyOptions {
  /** The cloud assembly folder (`cdk.out`). */
  readonly assemblyDir: string;
  /**
   * The stacks to run, each by stack name, artifact id or hierarchical id (`Stage/Stack`).
   * @default every stack of the assembly, nested assemblies (CDK stages) included
   */
  readonly stackNames?: readonly string[];
  /** The public AWS endpoint, e.g. `http://127.0.0.1:4566`; queue URLs are formed on it. */
  readonly endpoint: string;
  /** The local API gateway's base URL, with a trailing slash; replaces the execute-api URL. */
  readonly apiUrl: string;
  /** Value for an API key the template declares without one (generated and persisted by the caller). */
  readonly apiKeyValue?: (logicalId: string) => string;
}

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
}

interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { Value: unknown; Condition?: string; Export?: { Name: unknown } }>;
  readonly Mappings?: IntrinsicContext['mappings'];
  readonly Parameters?: Record<string, { Default?: unknown }>;
}

/**
 * Reads the selected stacks of the cloud assembly and returns them as the local runtime sees them:
 * every resource it emulates, with every intrinsic resolved to its local value, merged into one
 * model.
 *
 * @throws AssemblyNotFoundError, StackNotFoundError, UnsupportedTemplateError (listing every problem)
 * @example
 * const model = readCloudAssembly({ assemblyDir: 'cdk.out', endpoint: 'http://127.0.0.1:4566', apiUrl: 'http://127.0.0.1:3000/' });
 */
export function readCloudAssembly(options: ReadCloudAssemblyOptions): LocalModel {
  const assemblyDir = resolve(options.assemblyDir);
  const stacks = selectStacks(loadAssembly(assemblyDir), options.stackNames);
  return new AssemblyReader(stacks, { ...options, assemblyDir }).read();
}

/** The stacks of the assembly at `assemblyDir`, nested assemblies included, in dependency order. */
export function listStacks(assemblyDir: string): CloudFormationStackArtifact[] {
  return loadAssembly(resolve(assemblyDir)).stacksRecursively;
}

function loadAssembly(assemblyDir: string): CloudAssembly {
  if (!existsSync(join(assemblyDir, 'manifest.json'))) {
    throw new AssemblyNotFoundError(`No cloud assembly at ${assemblyDir} (manifest.json missing). Run \`npx cdk synth\` or drop --no-synth.`);
  }
  try {
    // The app's own aws-cdk-lib wrote the manifest and may be newer than ours; the parts read here
    // (stacks, templates, asset manifests) have not changed shape across versions.
    return new CloudAssembly(assemblyDir, { skipVersionCheck: true, skipEnumCheck: true, topoSort: true });
  } catch (error) {
    throw new AssemblyNotFoundError(`Cannot read the cloud assembly at ${assemblyDir}: ${(error as Error).message}`, { cause: error });
  }
}

function selectStacks(assembly: CloudAssembly, names: readonly string[] | undefined): CloudFormationStackArtifact[] {
  const all = assembly.stacksRecursively;
  if (all.length === 0) throw new AssemblyNotFoundError(`The cloud assembly at ${assembly.directory} holds no stacks.`);
  if (!names || names.length === 0) return all;
  const selected = new Set<CloudFormationStackArtifact>();
  for (const name of names) {
    const stack = all.find((candidate) => [candidate.stackName, candidate.id, candidate.hierarchicalId, candidate.displayName].includes(name));
    if (!stack) throw new StackNotFoundError(name, all.map((candidate) => candidate.hierarchicalId));
    selected.add(stack);
  }
  // In dependency order, whatever the order of the names.
  return all.filter((stack) => selected.has(stack));
}

/** Stops reading one resource after `TemplateResource.unsupported` recorded why. */
class ResourceNotReadable extends Error {}

class AssemblyReader {
  readonly problems: UnsupportedFeature[] = [];
  readonly skipped: { logicalId: string; type: string; detail?: string }[] = [];
  readonly stacks: StackReader[];
  /** Export name → the output that exports it, for `Fn::ImportValue`. */
  readonly #exports = new Map<string, { stack: StackReader; outputKey: string }>();

  readonly options: ReadCloudAssemblyOptions & { assemblyDir: string };

  constructor(artifacts: readonly CloudFormationStackArtifact[], options: ReadCloudAssemblyOptions & { assemblyDir: string }) {
    // Set first: each StackReader reads it as it is built.
    this.options = options;
    const qualify = artifacts.length > 1;
    this.stacks = artifacts.map((artifact) => new StackReader(artifact, this, qualify));
    for (const stack of this.stacks) {
      for (const [outputKey, output] of Object.entries(stack.template.Outputs ?? {})) {
        if (output.Export === undefined) continue;
        try {
          this.#exports.set(resolveString(output.Export.Name, stack.context, `Outputs.${outputKey}.Export.Name`), { stack, outputKey });
        } catch {
          // An export whose name cannot be resolved cannot be imported either; its importer reports it.
        }
      }
    }
  }

  importValue(name: string): unknown {
    const found = this.#exports.get(name);
    if (!found) throw new IntrinsicResolutionError(`Fn::ImportValue ${name}`, `no selected stack exports ${name} (run the exporting stack too)`);
    const output = found.stack.template.Outputs![found.outputKey]!;
    return resolveIntrinsics(output.Value, found.stack.context, `${found.stack.stackName}.Outputs.${found.outputKey}`);
  }

  problem(feature: UnsupportedFeature): void {
    this.problems.push(feature);
  }

  read(): LocalModel {
    const readable = this.stacks.flatMap((stack) => stack.check());
    const model: ModelBuilder = { queues: [], topics: [], subscriptions: [], tables: [], functions: [], eventSourceMappings: [], apis: new Map(), apiKeys: [], secrets: [] };
    for (const type of RESOURCE_TYPES) {
      if (!type.read) continue;
      for (const resource of readable.filter((candidate) => candidate.type === type.type)) {
        this.guard(resource, () => type.read!(resource, model));
      }
    }
    const outputs = this.outputs();
    const api = this.api(model);
    if (this.problems.length > 0) throw new UnsupportedTemplateError(this.problems);
    const stackNames = this.stacks.map((stack) => stack.stackName);
    return {
      stackName: stackNames.join(','),
      stackNames,
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT_ID,
      assemblyDir: this.options.assemblyDir,
      queues: model.queues,
      topics: model.topics,
      subscriptions: model.subscriptions,
      tables: model.tables,
      functions: model.functions,
      eventSourceMappings: model.eventSourceMappings,
      secrets: model.secrets,
      ...(api ? { api } : {}),
      outputs,
      skipped: this.skipped,
    };
  }

  /** Runs `read`, turning what it cannot resolve into a problem of `resource`. */
  guard(resource: TemplateResource, read: () => void): void {
    try {
      read();
    } catch (error) {
      if (error instanceof ResourceNotReadable) return;
      if (!(error instanceof IntrinsicResolutionError)) throw error;
      const prefix = `${resource.logicalId}.Properties.`;
      const property = error.path.startsWith(prefix) ? error.path.slice(prefix.length) : error.path;
      this.problem({ logicalId: resource.id, resourceType: resource.type, property, reason: error.reason });
    }
  }

  outputs(): Record<string, string> {
    const byStack = this.stacks.map((stack) => [stack, stack.outputs()] as const);
    if (byStack.length === 1) return byStack[0]![1];
    const outputs: Record<string, string> = {};
    const count = new Map<string, number>();
    for (const [, stackOutputs] of byStack) for (const key of Object.keys(stackOutputs)) count.set(key, (count.get(key) ?? 0) + 1);
    for (const [stack, stackOutputs] of byStack) {
      for (const [key, value] of Object.entries(stackOutputs)) {
        outputs[`${stack.stackName}.${key}`] = value;
        if (count.get(key) === 1) outputs[key] = value;
      }
    }
    return outputs;
  }

  api(model: ModelBuilder): LocalRestApi | undefined {
    const [first, ...others] = model.apis.values();
    for (const other of others) {
      this.problem({
        logicalId: other.logicalId,
        resourceType: 'AWS::ApiGateway::RestApi',
        reason: `the local gateway serves one REST API per run (${first!.logicalId} already); select stacks with --stack`,
      });
    }
    if (!first) return undefined;
    const { throttles } = first;
    return {
      logicalId: first.logicalId,
      name: first.name,
      stageName: first.stageName ?? 'prod',
      routes: first.routes,
      apiKeys: model.apiKeys,
      ...(throttles.length === 0
        ? {}
        : { throttle: { rateLimit: Math.min(...throttles.map((t) => t.rateLimit)), burstLimit: Math.min(...throttles.map((t) => t.burstLimit)) } }),
      gatewayResponses: first.gatewayResponses,
      binaryMediaTypes: first.binaryMediaTypes,
    };
  }
}

class StackReader implements StackScope {
  readonly stackName: string;
  readonly region = LOCAL_REGION;
  readonly accountId = LOCAL_ACCOUNT_ID;
  readonly assemblyDir: string;
  readonly endpoint: string;
  readonly apiKeyValue?: (logicalId: string) => string;
  readonly template: CfnTemplate;
  readonly context: IntrinsicContext;
  readonly #resources: Map<string, TemplateResource>;
  readonly #artifact: CloudFormationStackArtifact;
  readonly #assembly: AssemblyReader;
  #assets?: Map<string, string>;

  constructor(artifact: CloudFormationStackArtifact, assembly: AssemblyReader, qualify: boolean) {
    this.#artifact = artifact;
    this.#assembly = assembly;
    this.stackName = artifact.stackName;
    this.assemblyDir = artifact.assembly.directory;
    this.endpoint = assembly.options.endpoint;
    if (assembly.options.apiKeyValue) this.apiKeyValue = assembly.options.apiKeyValue;
    this.template = artifact.template as CfnTemplate;
    this.context = {
      pseudo: pseudoParameters({ stackName: this.stackName, region: this.region, accountId: this.accountId }),
      ...(this.template.Mappings ? { mappings: this.template.Mappings } : {}),
      ref: (logicalId) => this.ref(logicalId),
      getAtt: (logicalId, attribute) => this.getAtt(logicalId, attribute),
      importValue: (name) => assembly.importValue(name),
    };
    this.#resources = new Map(
      Object.entries(this.template.Resources ?? {}).map(([logicalId, cfn]) => [logicalId, this.#templateResource(logicalId, cfn, qualify ? `${this.stackName}/${logicalId}` : logicalId)]),
    );
  }

  /**
   * Sorts the stack's resources: skipped ones are listed, unsupported types, conditions and
   * properties are reported; returns those a reader should read.
   */
  check(): TemplateResource[] {
    const readable: TemplateResource[] = [];
    for (const resource of this.#resources.values()) {
      const raw = this.template.Resources![resource.logicalId]!;
      // Conditions are not evaluated; CDK puts one on its CDK::Metadata resource, which is skipped.
      if (isSkippedType(resource.type) || this.#isCustomResourceProvider(resource)) {
        this.skip(resource.id, resource.type);
        continue;
      }
      const problem = (property: string | undefined, reason: string) =>
        this.#assembly.problem({ logicalId: resource.id, resourceType: resource.type, ...(property ? { property } : {}), reason });
      const type = resourceType(resource.type);
      if (!type) {
        problem(undefined, 'this resource type is not emulated');
        continue;
      }
      if (raw.Condition) problem('Condition', 'conditional resources are not evaluated locally');
      for (const property of Object.keys(resource.properties)) {
        if (!type.properties.used.includes(property) && !type.properties.ignored.includes(property)) {
          problem(property, 'this property would change behaviour and is not emulated');
        }
      }
      readable.push(resource);
    }
    return readable;
  }

  outputs(): Record<string, string> {
    const outputs: Record<string, string> = {};
    for (const [key, output] of Object.entries(this.template.Outputs ?? {})) {
      const id = this.#qualified(key);
      if (output.Condition) {
        this.#assembly.problem({ logicalId: id, resourceType: 'output', property: 'Condition', reason: 'conditional outputs are not evaluated locally' });
        continue;
      }
      try {
        outputs[key] = this.localize(resolveString(output.Value, this.context, `Outputs.${key}`));
      } catch (error) {
        if (!(error instanceof IntrinsicResolutionError)) throw error;
        this.#assembly.problem({ logicalId: id, resourceType: 'output', reason: error.message });
      }
    }
    return outputs;
  }

  resources(type?: string): TemplateResource[] {
    const all = [...this.#resources.values()];
    return type === undefined ? all : all.filter((resource) => resource.type === type);
  }

  resource(logicalId: string): TemplateResource | undefined {
    return this.#resources.get(logicalId);
  }

  resolve(value: unknown, path: string): unknown {
    return resolveIntrinsics(value, this.context, path);
  }

  ref(logicalId: string): unknown {
    const parameter = this.template.Parameters?.[logicalId];
    if (parameter) {
      if (parameter.Default === undefined) throw new IntrinsicResolutionError(logicalId, 'parameter has no default value');
      return parameter.Default;
    }
    const resource = this.#resources.get(logicalId);
    if (!resource) throw new IntrinsicResolutionError(logicalId, `no resource or parameter named ${logicalId}`);
    const type = resourceType(resource.type);
    if (type) return type.ref(resource);
    // Skipped and unsupported types: a stable placeholder is enough, since nothing local acts on them.
    return resource.type.startsWith('AWS::ApiGateway::') ? localId(resource.id) : logicalId;
  }

  getAtt(logicalId: string, attribute: string): unknown {
    const resource = this.#resources.get(logicalId);
    if (!resource) throw new IntrinsicResolutionError(`${logicalId}.${attribute}`, `no resource named ${logicalId}`);
    const type = resourceType(resource.type);
    const getter = type?.attributes[attribute];
    if (getter) return getter(resource);
    if (type) throw new IntrinsicResolutionError(`${logicalId}.${attribute}`, `attribute ${attribute} of ${resource.type} is not available locally`);
    if (attribute === 'Arn') return this.arn(resource.type.split('::')[1]!.toLowerCase(), logicalId);
    return `${logicalId}.${attribute}`;
  }

  arn(service: string, resource: string): string {
    return `arn:aws:${service}:${this.region}:${this.accountId}:${resource}`;
  }

  queueUrl(queueName: string): string {
    return `${this.endpoint.replace(/\/$/, '')}/${this.accountId}/${queueName}`;
  }

  /** Replaces the deployed API URL (`https://<id>.execute-api.<region>.amazonaws.com/<stage>/`) with the local one. */
  localize(value: string): string {
    const { apiUrl } = this.#assembly.options;
    return value.replace(/https:\/\/[a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com\/[A-Za-z0-9_-]+(\/?)/g, (_match, slash: string) =>
      slash ? apiUrl : apiUrl.replace(/\/$/, ''),
    );
  }

  assetPath(hash: string): string | undefined {
    if (!this.#assets) {
      this.#assets = new Map();
      for (const manifest of this.#artifact.dependencies.filter((artifact) => artifact instanceof AssetManifestArtifact)) {
        for (const [id, file] of Object.entries(manifest.contents.files ?? {})) {
          const path = file.source.path;
          if (path) this.#assets.set(id, isAbsolute(path) ? path : join(manifest.assembly.directory, path));
        }
      }
    }
    return this.#assets.get(hash);
  }

  skip(logicalId: string, type: string, detail?: string): void {
    this.#assembly.skipped.push({ logicalId, type, ...(detail ? { detail } : {}) });
  }

  #qualified(logicalId: string): string {
    return this.#assembly.stacks.length > 1 ? `${this.stackName}/${logicalId}` : logicalId;
  }

  /** A Lambda function that only serves the skipped CDK custom resources (e.g. log retention). */
  #isCustomResourceProvider(resource: TemplateResource): boolean {
    if (resource.type !== 'AWS::Lambda::Function') return false;
    return this.resources().some(
      (other) => SKIPPED_CUSTOM_RESOURCES.includes(other.type) && JSON.stringify(other.properties.ServiceToken ?? '').includes(`"${resource.logicalId}"`),
    );
  }

  #templateResource(logicalId: string, cfn: CfnResource, id: string): TemplateResource {
    const stack = this;
    const assembly = this.#assembly;
    const properties = cfn.Properties ?? {};
    const resource: TemplateResource = {
      logicalId,
      id,
      type: cfn.Type,
      properties,
      metadata: cfn.Metadata ?? {},
      stack,
      resolved: (property) => stack.resolve(properties[property], `${logicalId}.Properties.${property}`),
      string: (property) => (properties[property] === undefined ? undefined : resolveString(properties[property], stack.context, `${logicalId}.Properties.${property}`)),
      physicalName: (property) => resource.string(property) ?? `${stack.stackName}-${logicalId}`,
      unsupported(property, reason) {
        assembly.problem({ logicalId: id, resourceType: cfn.Type, ...(property ? { property } : {}), reason });
        throw new ResourceNotReadable();
      },
    };
    return resource;
  }
}
