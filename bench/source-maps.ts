/**
 * What a function's source map costs, with and without `--enable-source-maps` (docs/performance.md,
 * "Source maps"): the init time, and the first and second invocation that fails inside the bundle
 * (the error is logged with its stack, which is when Node.js reads and parses the map), for every
 * function of a freshly synthesized sample, in fresh processes, median of `--runs`.
 *
 * Usage: npm run bench:source-maps [-- --runs <n>]   (default 15)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { synthesize } from '../lib/local/synth.ts';
import { numberOption, parseCommandLine } from '../lib/shared/usage.ts';
import { templateFunctions, type TemplateFunction } from './lib/assembly.ts';
import { PROJECT_DIR } from './lib/runtime.ts';
import { runScript } from './lib/script.ts';
import { median } from './lib/summary.ts';

const run = promisify(execFile);
const USAGE = 'Usage: npm run bench:source-maps [-- --runs <n>]   (default 15)';

// An invocation with an empty event fails inside the bundle in every queueflow function (no
// records, no HTTP method); the handler logs the error (with its stack) or throws it, and the
// stack is read either way.
const PROBE_SCRIPT = `
const context = { functionName: 'bench', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench', memoryLimitInMB: '256', awsRequestId: 'r', logGroupName: 'g', logStreamName: 's', getRemainingTimeInMillis: () => 30000, callbackWaitsForEmptyEventLoop: true, done() {}, fail() {}, succeed() {} };
const invoke = async () => {
  const started = performance.now();
  try { await module.handler({}, context); } catch (error) { void error.stack; }
  return performance.now() - started;
};
const started = performance.now();
const module = await import(process.argv[1]);
const importMs = performance.now() - started;
const firstErrorMs = await invoke();
const secondErrorMs = await invoke();
process.stderr.write('\\nRESULT ' + JSON.stringify({ importMs, firstErrorMs, secondErrorMs }) + '\\n');
`;

interface Probe {
  readonly importMs: number;
  readonly firstErrorMs: number;
  readonly secondErrorMs: number;
}

const probe = async (fn: TemplateFunction, nodeOptions: string): Promise<Probe> => {
  const env = {
    PATH: process.env.PATH ?? '',
    ...fn.standInEnvironment,
    NODE_OPTIONS: nodeOptions,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_LAMBDA_FUNCTION_NAME: `bench-${fn.label}`,
  };
  const { stderr } = await run(process.execPath, ['--input-type=module', '-e', PROBE_SCRIPT, pathToFileURL(fn.bundleFile).href], { env, cwd: PROJECT_DIR, maxBuffer: 64 * 1024 * 1024 });
  const line = stderr.split('\n').find((text) => text.startsWith('RESULT '));
  if (line === undefined) throw new Error(`${fn.label}: no result; stderr: ${stderr.slice(-500)}`);
  return JSON.parse(line.slice('RESULT '.length)) as Probe;
};

const medians = (probes: readonly Probe[]) => ({
  importMs: median(probes.map((probe) => probe.importMs)),
  firstErrorMs: median(probes.map((probe) => probe.firstErrorMs)),
  secondErrorMs: median(probes.map((probe) => probe.secondErrorMs)),
});

async function main(): Promise<number> {
  const { values } = parseCommandLine({ args: process.argv.slice(2), options: { runs: { type: 'string' } } });
  const runs = numberOption('runs', values.runs ?? '15', { min: 1, integer: true });
  const workDir = mkdtempSync(join(tmpdir(), 'queueflow-source-maps-'));
  try {
    const assemblyDir = join(workDir, 'cdk.out');
    console.log(`load average before: ${loadavg().map((value) => value.toFixed(2)).join(' / ')}; synthesizing the sample …`);
    await synthesize(PROJECT_DIR, assemblyDir, {});
    console.log('| function | bundle | map | map, gzip | init with maps (ms) | without (ms) | first error with maps (ms) | without (ms) | second error with maps (ms) | without (ms) |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const fn of templateFunctions(assemblyDir)) {
      const withMaps: Probe[] = [];
      const without: Probe[] = [];
      try {
        // Alternating, so a change in the machine's load touches both alike.
        for (let i = 0; i < runs; i += 1) {
          withMaps.push(await probe(fn, '--enable-source-maps'));
          without.push(await probe(fn, ''));
        }
      } catch (error) {
        console.log(`| ${fn.label} | not measured: its start-up failed with a plausible environment (${String((error as Error).message).split('\n')[0]!.slice(0, 120)}) |`);
        continue;
      }
      const [a, b] = [medians(withMaps), medians(without)];
      const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
      const map = `${fn.bundleFile}.map`;
      const f = (ms: number) => ms.toFixed(1);
      console.log(
        `| ${fn.label} | ${kib(statSync(fn.bundleFile).size)} | ${kib(statSync(map).size)} | ${kib(gzipSync(readFileSync(map), { level: 9 }).length)} | ${f(a.importMs)} | ${f(b.importMs)} | ${f(a.firstErrorMs)} | ${f(b.firstErrorMs)} | ${f(a.secondErrorMs)} | ${f(b.secondErrorMs)} |`,
      );
    }
    console.log(`load average after: ${loadavg().map((value) => value.toFixed(2)).join(' / ')}`);
    return 0;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

await runScript(USAGE, main);
