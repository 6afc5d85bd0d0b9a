/**
 * Lambda bundle size and init time, with the AWS SDK bundled (as the CDK code builds it) and
 * with the SDK left external (as the Node.js runtime's own copy would be used).
 *
 * Init time is what Lambda reports as Init Duration, approximated locally: a fresh `node`
 * process with the function's environment (including its NODE_OPTIONS) imports the bundle; the
 * time the import takes is measured inside that process. The median of `runs` processes.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { defaultBundling } from '../../lib/constructs/queueflow-function.ts';
import { plausibleEnvironment, type AppRoute, type TemplateFunction } from './assembly.ts';
import { PROJECT_DIR } from './runtime.ts';
import { median } from './summary.ts';

const run = promisify(execFile);

export interface BundleVariant {
  readonly bytes: number;
  /** Deflated size, close to what the deployment zip holds. */
  readonly gzipBytes: number;
  /** Median time to import the bundle, in a fresh process. */
  readonly initMs: number;
  /** Median time from process start to the handler being ready (Node start-up included). */
  readonly processReadyMs: number;
}

export interface BundleMeasurement {
  readonly label: string;
  readonly bundled: BundleVariant;
  readonly external: BundleVariant;
}

/**
 * Builds the function's entry with the CDK code's own bundling options, but `@aws-sdk/*`
 * external. The output sits under node_modules/.cache so the SDK resolves from node_modules.
 */
const buildExternal = async (fn: TemplateFunction, catalog: string, outDir: string): Promise<string> => {
  // The producer's catalog as the workflow bakes it in: a define, so a JSON string of the JSON.
  const options = defaultBundling(fn.label === 'producer' ? { QUEUEFLOW_EVENT_CATALOG: JSON.stringify(catalog) } : undefined);
  const outfile = join(outDir, fn.label, 'index.mjs');
  await build({
    entryPoints: [fn.entryFile],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: options.target,
    mainFields: options.mainFields,
    minify: options.minify,
    sourcemap: options.sourceMap ? true : false,
    sourcesContent: options.sourcesContent,
    banner: options.banner === undefined ? undefined : { js: options.banner },
    define: options.define,
    external: ['@aws-sdk/*'],
    logLevel: 'error',
  });
  return outfile;
};

const IMPORT_SCRIPT = `
const started = performance.now();
const module = await import(process.argv[1]);
const ready = performance.now();
if (typeof module.handler !== 'function') { console.error('no handler export'); process.exit(3); }
process.stdout.write(JSON.stringify({ importMs: ready - started, processReadyMs: ready }));
`;

const measureInit = async (fn: TemplateFunction, file: string, runs: number, catalog: string): Promise<{ initMs: number; processReadyMs: number }> => {
  const env = {
    PATH: process.env.PATH ?? '',
    ...plausibleEnvironment(fn.environment),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_LAMBDA_FUNCTION_NAME: `bench-${fn.label}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySizeMb),
    QUEUEFLOW_EVENT_CATALOG: catalog,
  };
  const imports: number[] = [];
  const ready: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', IMPORT_SCRIPT, pathToFileURL(file).href], { env, cwd: PROJECT_DIR });
    const result = JSON.parse(stdout) as { importMs: number; processReadyMs: number };
    imports.push(result.importMs);
    ready.push(result.processReadyMs);
  }
  return { initMs: median(imports), processReadyMs: median(ready) };
};

const variant = async (fn: TemplateFunction, file: string, runs: number, catalog: string): Promise<BundleVariant> => {
  const content = readFileSync(file);
  return { bytes: statSync(file).size, gzipBytes: gzipSync(content, { level: 9 }).length, ...(await measureInit(fn, file, runs, catalog)) };
};

/**
 * Measures every function of the assembly; `runs` fresh processes per variant. The producer gets
 * the catalog of the assembly's `routes`.
 */
export async function measureBundles(functions: readonly TemplateFunction[], routes: readonly AppRoute[], runs = 20): Promise<BundleMeasurement[]> {
  const catalog = JSON.stringify(routes);
  const outDir = join(PROJECT_DIR, 'node_modules', '.cache', 'queueflow-bench', 'external');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const results: BundleMeasurement[] = [];
  try {
    for (const fn of functions) {
      const external = await buildExternal(fn, catalog, outDir);
      results.push({ label: fn.label, bundled: await variant(fn, fn.bundleFile, runs, catalog), external: await variant(fn, external, runs, catalog) });
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  return results;
}
