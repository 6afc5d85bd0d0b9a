import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { Stage } from 'aws-cdk-lib';
import type { CfnFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { OutputFormat, SourceMapMode, type BundlingOptions, type NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { BUNDLING_METADATA_KEY, type RecordedBundling, type RecordedEsbuildOptions } from '../shared/bundling-metadata.ts';

/** Where the bundle comes from: the NodejsFunction props that shape the esbuild run. */
export interface LocalBundlingSource {
  /** The entry file, as given to NodejsFunction. */
  readonly entry: string;
  readonly runtime: Runtime;
  readonly bundling?: BundlingOptions;
  /** NodejsFunction `projectRoot`. @default the folder of the nearest lock file above the working directory */
  readonly projectRoot?: string;
}

/**
 * Bundling steps the local runtime cannot repeat with one esbuild call; a function using any keeps
 * `cdk synth` reloads. `esbuildArgs` is repeatable when it holds only `--alias` (see {@link aliasesOf}).
 */
const NOT_REPEATABLE: readonly (keyof BundlingOptions)[] = ['preCompilation', 'commandHooks', 'nodeModules', 'forceDockerBundling', 'dockerImage', 'metafile'];

/** NodejsFunction's lock-file search (`findLockFile`), in its order. */
const LOCK_FILES = ['pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb', 'package-lock.json'];

/**
 * Records in the function's CloudFormation Metadata (`queueflow:bundling`) the entry file and the
 * esbuild options its NodejsFunction bundles with, so `queueflow local` can rebuild the bundle
 * itself, in well under a second, when a source file changes. Returns false, recording nothing,
 * for bundling the runtime cannot repeat (pre-compilation, command hooks, installed node
 * modules, raw esbuild arguments, Docker): such a function is reloaded by a `cdk synth`.
 *
 * The options mirror `Bundling.buildEsbuildArgs` of aws-cdk-lib/aws-lambda-nodejs, which turns
 * BundlingOptions into the esbuild command line; keep the two in step when aws-cdk-lib changes it.
 *
 * @example
 * const fn = new NodejsFunction(this, 'Fn', { entry, runtime: Runtime.NODEJS_24_X, bundling });
 * recordLocalBundling(fn, { entry, runtime: Runtime.NODEJS_24_X, bundling });
 */
export function recordLocalBundling(fn: NodejsFunction, source: LocalBundlingSource): boolean {
  const bundling = source.bundling ?? {};
  if (NOT_REPEATABLE.some((option) => bundling[option] !== undefined && bundling[option] !== false)) return false;
  const alias = aliasesOf(bundling.esbuildArgs);
  if (alias === undefined) return false;
  const assemblyDir = Stage.of(fn)?.outdir ?? process.cwd();
  const fromAssembly = (path: string) => relative(assemblyDir, resolve(path));
  const workingDir = source.projectRoot ?? lockFileFolder(process.cwd());
  // A path (esbuild resolves a relative one against its working directory) is recorded relative to
  // the assembly, always starting with a dot so the reader tells it from a package name.
  const aliasTarget = (target: string) => {
    if (!isAbsolute(target) && !target.startsWith('.')) return target;
    const path = fromAssembly(resolve(workingDir, target));
    return path.startsWith('.') ? path : `./${path}`;
  };
  const recorded: RecordedBundling = {
    entry: fromAssembly(source.entry),
    workingDir: fromAssembly(workingDir),
    outfile: bundling.format === OutputFormat.ESM ? 'index.mjs' : 'index.js',
    // NodejsFunction resolves tsconfig against the working directory of the CDK app, inject against its project root.
    ...(bundling.tsconfig ? { tsconfig: fromAssembly(bundling.tsconfig) } : {}),
    ...(bundling.inject ? { inject: bundling.inject.map((file) => fromAssembly(resolve(workingDir, file))) } : {}),
    ...(Object.keys(alias).length > 0 ? { alias: Object.fromEntries(Object.entries(alias).map(([from, to]) => [from, aliasTarget(to)])) } : {}),
    esbuild: esbuildOptions(bundling, source.runtime),
  };
  (fn.node.defaultChild as CfnFunction).addMetadata(BUNDLING_METADATA_KEY, recorded);
  return true;
}

/** BundlingOptions → esbuild options, as `buildEsbuildArgs` builds the command line (`charset` is not passed there either). */
function esbuildOptions(bundling: BundlingOptions, runtime: Runtime): RecordedEsbuildOptions {
  const sourceMapEnabled = bundling.sourceMapMode ?? bundling.sourceMap;
  const sourceMapMode = bundling.sourceMapMode ?? SourceMapMode.DEFAULT;
  const isV2Runtime = /^nodejs(1[0-6]|[0-9])\./.test(runtime.name);
  const external = bundling.externalModules ?? [isV2Runtime ? 'aws-sdk' : '@aws-sdk/*'];
  return {
    bundle: true,
    platform: 'node',
    target: bundling.target ?? `node${/nodejs(\d+)/.exec(runtime.name)?.[1] ?? ''}`,
    ...(bundling.format ? { format: bundling.format } : {}),
    ...(bundling.minify ? { minify: true } : {}),
    ...(sourceMapEnabled ? { sourcemap: sourceMapMode === SourceMapMode.DEFAULT ? true : sourceMapMode } : {}),
    ...(bundling.sourcesContent === false ? { sourcesContent: false } : {}),
    external,
    ...(bundling.loader ? { loader: bundling.loader } : {}),
    ...(bundling.define ? { define: bundling.define } : {}),
    ...(bundling.keepNames ? { keepNames: true } : {}),
    ...(bundling.banner ? { banner: { js: bundling.banner } } : {}),
    ...(bundling.footer ? { footer: { js: bundling.footer } } : {}),
    ...(bundling.mainFields ? { mainFields: bundling.mainFields } : {}),
  };
}

/**
 * The `--alias` entries of NodejsFunction `esbuildArgs` (`{ '--alias': ['pkg=target', …] }` or
 * `{ '--alias': 'pkg=target' }`, which it passes as `--alias:pkg=target`), or undefined when it
 * holds any other argument, which the runtime does not repeat.
 */
function aliasesOf(esbuildArgs: BundlingOptions['esbuildArgs']): Record<string, string> | undefined {
  const alias: Record<string, string> = {};
  for (const [key, value] of Object.entries(esbuildArgs ?? {})) {
    if (key !== '--alias' || typeof value === 'boolean') return undefined;
    for (const entry of Array.isArray(value) ? value : [value]) {
      const separator = String(entry).indexOf('=');
      if (separator <= 0) return undefined;
      alias[String(entry).slice(0, separator)] = String(entry).slice(separator + 1);
    }
  }
  return alias;
}

function lockFileFolder(from: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (LOCK_FILES.some((file) => existsSync(join(dir, file)))) return dir;
    if (dirname(dir) === dir) return resolve(from);
  }
}
