/**
 * Lambda bundle size and init time: the bundles of the assembly (the lean build: environment-only
 * credentials, validators generated at synth, no schema library at init) side by side with
 * today's build, the same entry built from the code at {@link BASELINE_REF} with the bundling
 * options it had (the SDK's default credential chain, ajv compiling at init, zod).
 *
 * Init time is what Lambda reports as Init Duration, approximated locally: a fresh `node`
 * process with the function's environment (including its NODE_OPTIONS) imports the bundle; the
 * time the import takes is measured inside that process. The median of `runs` processes, the two
 * builds alternating so that a change in the machine's load touches both alike.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { AppRoute, TemplateFunction } from './assembly.ts';
import { extractCommit } from './git-ref.ts';
import { PROJECT_DIR } from './runtime.ts';
import { median } from './summary.ts';

const run = promisify(execFile);

/** The last commit before the lean bundles: "today's build" of the issue. */
export const BASELINE_REF = 'd797fea5c0eef3870ca3646586541d6ce72f1b1b';

/** The esbuild options `defaultBundling` gave NodejsFunction at {@link BASELINE_REF}. */
const BASELINE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  external: [],
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
} as const;

/** What the functions' environment held at {@link BASELINE_REF} beyond today's template: source maps on. */
const BASELINE_ENVIRONMENT = { NODE_OPTIONS: '--enable-source-maps' } as const;

export interface BundleVariant {
  readonly bytes: number;
  /** Deflated size, close to what the deployment zip holds. */
  readonly gzipBytes: number;
  /** The source map's size: CDK zips it into the asset beside the bundle. */
  readonly mapBytes: number;
  /** Median time to import the bundle, in a fresh process. */
  readonly initMs: number;
  /** Median time from process start to the handler being ready (Node start-up included). */
  readonly processReadyMs: number;
}

export interface BundleMeasurement {
  readonly label: string;
  /** The assembly's bundle; undefined when it could not be started with its stand-in environment (see `failure`). */
  readonly lean?: BundleVariant;
  /** The same entry at {@link BASELINE_REF}; undefined for a function that did not exist then. */
  readonly today?: BundleVariant;
  /** Why the function was not measured: its start-up failed outside Lambda with the stand-in environment. */
  readonly failure?: string;
}

/** The repository's lambdas and sample at {@link BASELINE_REF}, in the project so the same installed packages resolve. */
const checkOutBaseline = (dir: string): Promise<void> => extractCommit(BASELINE_REF, dir, ['lambdas', 'sample', 'tsconfig.json', 'package.json']);

/** Today's build of the function's entry, or undefined when the entry did not exist at the baseline. */
const buildBaseline = async (fn: TemplateFunction, catalog: string, baselineDir: string, outDir: string): Promise<string | undefined> => {
  const entry = join(baselineDir, relative(PROJECT_DIR, fn.entryFile));
  if (entry.startsWith('..') || !existsSync(entry)) return undefined;
  const outfile = join(outDir, fn.logicalId, 'index.mjs');
  await build({
    ...BASELINE_OPTIONS,
    external: [...BASELINE_OPTIONS.external],
    mainFields: [...BASELINE_OPTIONS.mainFields],
    entryPoints: [entry],
    outfile,
    absWorkingDir: baselineDir,
    tsconfig: join(baselineDir, 'tsconfig.json'),
    // The producer's catalog as the workflow baked it in: a define, so a JSON string of the JSON.
    ...(fn.label === 'producer' ? { define: { QUEUEFLOW_EVENT_CATALOG: JSON.stringify(catalog) } } : {}),
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

const initEnvironment = (fn: TemplateFunction, catalog: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '',
  ...fn.standInEnvironment,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_LAMBDA_FUNCTION_NAME: `bench-${fn.label}`,
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySizeMb),
  QUEUEFLOW_EVENT_CATALOG: catalog,
});

const importOnce = async (file: string, env: NodeJS.ProcessEnv): Promise<{ importMs: number; processReadyMs: number }> => {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', IMPORT_SCRIPT, pathToFileURL(file).href], { env, cwd: PROJECT_DIR });
  return JSON.parse(stdout) as { importMs: number; processReadyMs: number };
};

const sizes = (file: string) => ({
  bytes: statSync(file).size,
  gzipBytes: gzipSync(readFileSync(file), { level: 9 }).length,
  mapBytes: existsSync(`${file}.map`) ? statSync(`${file}.map`).size : 0,
});

/** `runs` fresh imports of each file (with its environment), alternating between them. */
const measureInit = async (builds: readonly { file: string; env: NodeJS.ProcessEnv }[], runs: number): Promise<{ initMs: number; processReadyMs: number }[]> => {
  const samples = builds.map(() => ({ imports: [] as number[], ready: [] as number[] }));
  for (let i = 0; i < runs; i += 1) {
    for (const [index, { file, env }] of builds.entries()) {
      const result = await importOnce(file, env);
      samples[index]!.imports.push(result.importMs);
      samples[index]!.ready.push(result.processReadyMs);
    }
  }
  return samples.map((sample) => ({ initMs: median(sample.imports), processReadyMs: median(sample.ready) }));
};

/**
 * Measures every function of the assembly and today's build of it; `runs` fresh processes per
 * build. The producer gets the catalog of the assembly's `routes`.
 */
export async function measureBundles(functions: readonly TemplateFunction[], routes: readonly AppRoute[], runs = 15): Promise<BundleMeasurement[]> {
  const catalog = JSON.stringify(routes);
  // In the project (so its node_modules resolve) but outside node_modules, where esbuild would ignore the tsconfig's paths.
  const workDir = join(PROJECT_DIR, '.queueflow', 'bench-bundles');
  const baselineDir = join(workDir, 'baseline');
  const outDir = join(workDir, 'baseline-bundles');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const results: BundleMeasurement[] = [];
  try {
    await checkOutBaseline(baselineDir);
    for (const fn of functions) {
      const baseline = await buildBaseline(fn, catalog, baselineDir, outDir);
      const env = initEnvironment(fn, catalog);
      const builds = [{ file: fn.bundleFile, env }, ...(baseline === undefined ? [] : [{ file: baseline, env: { ...env, ...BASELINE_ENVIRONMENT } }])];
      try {
        const [lean, today] = await measureInit(builds, runs);
        results.push({
          label: fn.label,
          lean: { ...sizes(fn.bundleFile), ...lean! },
          ...(baseline === undefined ? {} : { today: { ...sizes(baseline), ...today! } }),
        });
      } catch (error) {
        const stderr = String((error as { stderr?: unknown }).stderr ?? error);
        // Node.js prints the thrown error on a line of its own: `Name [ErrorType]: message` or `ErrorType: message`.
        const reason = stderr.split('\n').find((line) => /^(\S+ \[\w+\]|\w*Error): /.test(line)) ?? stderr.split('\n')[0]!;
        results.push({ label: fn.label, failure: reason.slice(0, 200) });
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  return results;
}
