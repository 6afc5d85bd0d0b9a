/** Reads the synthesized sample stack (cdk.out) for the measurements that need its settings. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TemplateFunction {
  readonly logicalId: string;
  /** `producer` or the consumer name (`CONSUMER_NAME`). */
  readonly label: string;
  readonly assetDir: string;
  /** The bundle file the handler names (`index.handler` → `index.mjs` or `index.js`). */
  readonly bundleFile: string;
  readonly memorySizeMb: number;
  readonly architecture: string;
  /** Environment variables as in the template; intrinsics (Ref, GetAtt) left as objects. */
  readonly environment: Readonly<Record<string, unknown>>;
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

export const readTemplate = (assemblyDir: string, stackName = 'QueueflowSample'): { Resources: Record<string, Resource> } => {
  const manifest = JSON.parse(readFileSync(join(assemblyDir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const templateFile = manifest.artifacts[stackName]?.properties?.templateFile;
  if (templateFile === undefined) throw new AssemblyError(`${assemblyDir} holds no stack ${stackName}; run npm run synth`);
  return JSON.parse(readFileSync(join(assemblyDir, templateFile), 'utf8')) as { Resources: Record<string, Resource> };
};

/** Every Lambda function of the stack with its built bundle. */
export const templateFunctions = (assemblyDir: string, stackName?: string): TemplateFunction[] =>
  Object.entries(readTemplate(assemblyDir, stackName).Resources)
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
      return {
        logicalId,
        label: typeof environment.CONSUMER_NAME === 'string' ? environment.CONSUMER_NAME : 'producer',
        assetDir,
        bundleFile,
        memorySizeMb: Number(properties.MemorySize ?? 128),
        architecture: ((properties.Architectures as string[] | undefined) ?? ['x86_64'])[0]!,
        environment,
      };
    });

/**
 * The environment a function would get, with every intrinsic replaced by a plausible local value
 * of the right shape (a URL for `*_URL`, an ARN for `*_ARN`, a name otherwise), enough for a
 * bundle's start-up checks.
 */
export const plausibleEnvironment = (environment: Readonly<Record<string, unknown>>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(environment).map(([name, value]) => {
      if (typeof value === 'string') return [name, value];
      if (name.endsWith('_URL')) return [name, 'http://127.0.0.1:9/000000000000/bench-queue'];
      if (name.endsWith('_ARN')) return [name, 'arn:aws:sns:us-east-1:000000000000:bench-topic'];
      return [name, 'bench-table'];
    }),
  );
