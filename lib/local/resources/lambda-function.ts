import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { BUNDLING_METADATA_KEY, type RecordedBundling } from '../../shared/bundling-metadata.ts';
import type { LocalBundling } from '../model.ts';
import type { ResourceType, TemplateResource } from './resource-type.ts';

const functionName = (resource: TemplateResource) => resource.physicalName('FunctionName');
const functionArn = (resource: TemplateResource) => resource.stack.arn('lambda', `function:${functionName(resource)}`);

/**
 * The folder the function's code is in: the asset folder `cdk synth` staged (named by the
 * `aws:asset:path` metadata, or found in the asset manifest by the S3 key's hash when asset
 * metadata is off), or a temp folder holding inline code (`Code.ZipFile`).
 */
function codeDir(resource: TemplateResource): string {
  const code = (resource.resolved('Code') ?? {}) as { S3Key?: unknown; ZipFile?: unknown; ImageUri?: unknown };
  if (typeof code.ZipFile === 'string') return inlineCodeDir(code.ZipFile);
  if (code.ImageUri !== undefined) resource.unsupported('Code.ImageUri', 'container images are not run locally (Node.js zip or asset code only)');
  const metadataPath = resource.metadata['aws:asset:path'];
  const hash = typeof code.S3Key === 'string' ? /^(?:.*\/)?([0-9a-f]{64})\.zip$/.exec(code.S3Key)?.[1] : undefined;
  const path =
    typeof metadataPath === 'string'
      ? isAbsolute(metadataPath) ? metadataPath : join(resource.stack.assemblyDir, metadataPath)
      : hash && resource.stack.assetPath(hash);
  if (!path) return resource.unsupported('Code', 'only code in a CDK asset (Code.fromAsset, NodejsFunction) or inline code is run locally');
  if (!existsSync(path)) resource.unsupported('Code', `the asset folder ${path} does not exist; synthesize again`);
  if (!statSync(path).isDirectory()) resource.unsupported('Code', `the asset ${path} is a file (a .zip?); only asset folders are run locally`);
  return path;
}

/** Inline code is `index.js` in the deployed package, as Lambda writes it. */
function inlineCodeDir(source: string): string {
  const dir = join(tmpdir(), 'queueflow-inline-code', createHash('sha256').update(source).digest('hex').slice(0, 16));
  if (!existsSync(join(dir, 'index.js'))) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.js'), source);
  }
  return dir;
}

/**
 * The recorded esbuild bundle (`queueflow:bundling` Metadata), paths resolved against the stack's
 * assembly folder; undefined when there is none or it is not one we wrote (the function is then
 * reloaded by a synth).
 */
function recordedBundling(resource: TemplateResource): LocalBundling | undefined {
  const recorded = resource.metadata[BUNDLING_METADATA_KEY] as Partial<RecordedBundling> | undefined;
  if (typeof recorded?.entry !== 'string' || typeof recorded.workingDir !== 'string' || typeof recorded.outfile !== 'string' || typeof recorded.esbuild !== 'object') return undefined;
  const absolute = (path: string) => resolve(resource.stack.assemblyDir, path);
  return {
    entry: absolute(recorded.entry),
    workingDir: absolute(recorded.workingDir),
    outfile: recorded.outfile,
    ...(typeof recorded.tsconfig === 'string' ? { tsconfig: absolute(recorded.tsconfig) } : {}),
    ...(Array.isArray(recorded.inject) ? { inject: recorded.inject.map(absolute) } : {}),
    ...(typeof recorded.alias === 'object' && recorded.alias !== null
      ? { alias: Object.fromEntries(Object.entries(recorded.alias).map(([from, to]) => [from, to.startsWith('.') ? absolute(to) : to])) }
      : {}),
    esbuild: recorded.esbuild,
  };
}

/** A Node.js function run from its asset folder in worker threads (see lambda-host.ts). */
export const lambdaFunction: ResourceType = {
  type: 'AWS::Lambda::Function',
  summary:
    'A Node.js function run from its asset folder (Code.fromAsset, NodejsFunction) or inline code, one worker thread per execution environment, with the timeout and memory size enforced. The AWS SDK v3 resolves as on AWS when the asset does not bundle it.',
  properties: {
    used: ['Code', 'Handler', 'Runtime', 'Architectures', 'Timeout', 'MemorySize', 'Environment', 'FunctionName'],
    // DeadLetterConfig applies to asynchronous invocations only, which nothing local makes.
    ignored: [
      'Role', 'LoggingConfig', 'TracingConfig', 'Description', 'Tags', 'EphemeralStorage', 'VpcConfig', 'KmsKeyArn', 'RuntimeManagementConfig',
      'ReservedConcurrentExecutions', 'PackageType', 'DeadLetterConfig', 'CodeSigningConfigArn',
    ],
  },
  refDescription: 'the function name (`<stack>-<logicalId>` unless FunctionName is set)',
  ref: functionName,
  attributes: { Arn: functionArn },
  read(resource, model) {
    const runtime = resource.string('Runtime') ?? '';
    if (!runtime.startsWith('nodejs')) resource.unsupported('Runtime', `runtime ${runtime || '(none)'} is not run locally (Node.js only)`);
    const assetDir = codeDir(resource);
    const architectures = (resource.resolved('Architectures') ?? ['x86_64']) as string[];
    const environment = ((resource.resolved('Environment') ?? {}) as { Variables?: Record<string, unknown> }).Variables ?? {};
    const bundling = recordedBundling(resource);
    model.functions.push({
      logicalId: resource.id,
      name: functionName(resource),
      assetDir,
      handler: resource.string('Handler') ?? 'index.handler',
      runtime,
      architecture: architectures[0] === 'arm64' ? 'arm64' : 'x86_64',
      timeoutSeconds: Number(resource.resolved('Timeout') ?? 3),
      memorySizeMb: Number(resource.resolved('MemorySize') ?? 128),
      environment: Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, resource.stack.localize(String(value))])),
      ...(bundling ? { bundling } : {}),
    });
  },
};
