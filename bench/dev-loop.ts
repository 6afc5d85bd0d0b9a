/**
 * The developer loop of `queueflow local` on this repository's sample, median of five each:
 *
 * - cold start: a fresh data folder and a synth (`--synth`, the work a missing or stale fingerprint
 *   costs), until the runtime has written its state file (it is ready);
 * - warm start: a fresh data folder, the assembly up to date with its fingerprint, so no synth;
 * - for reference, `--no-synth` start: the floor a warm start can reach (the fingerprint's cost on top);
 * - reload: a comment appended to a sample consumer's handler until the runtime prints that the
 *   rebuilt function is live (the runtime's own figure is printed next to it).
 *
 * The runtime synthesizes into a private assembly folder, so a test run re-synthesizing cdk.out
 * meanwhile changes nothing here. The edited file is restored after every edit, and on any exit.
 *
 * Usage: npm run bench:dev-loop [-- --runs <n>]
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { numberOption, parseCommandLine } from '../lib/shared/usage.ts';
import { PROJECT_DIR, startRuntime, type RuntimeProcess } from './lib/runtime.ts';
import { runScript } from './lib/script.ts';
import { median } from './lib/summary.ts';

const USAGE = 'Usage: npm run bench:dev-loop [-- --runs <n>]   (default 5)';
const ASSEMBLY_DIR = join(PROJECT_DIR, '.queueflow', 'bench-dev-loop', 'cdk.out');
/** A sample consumer's handler, and the name the runtime gives the function (its CONSUMER_NAME). */
const EDITED_FILE = join(PROJECT_DIR, 'sample', 'lambdas', 'handlers', 'email-consumer.ts');
const EDITED_FUNCTION = 'email';

/** A runtime whose lines are kept with their arrival time, to wait for a line printed after a given moment. */
async function start(extraArgs: readonly string[]): Promise<{ runtime: RuntimeProcess; readyMs: number; lines: { at: number; text: string }[] }> {
  const lines: { at: number; text: string }[] = [];
  const started = performance.now();
  const runtime = await startRuntime({
    assemblyDir: ASSEMBLY_DIR,
    synth: true,
    watch: true,
    extraArgs,
    onLine: (text) => lines.push({ at: performance.now(), text }),
    readyTimeoutMs: 600_000,
  });
  return { runtime, readyMs: performance.now() - started, lines };
}

async function lineAfter(lines: readonly { at: number; text: string }[], since: number, pattern: RegExp, timeoutMs = 120_000): Promise<{ at: number; text: string }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const line = lines.find((candidate) => candidate.at >= since && pattern.test(candidate.text));
    if (line) return line;
    if (performance.now() > deadline) throw new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${lines.slice(-20).map((l) => l.text).join('\n')}`);
    await sleep(10);
  }
}

async function measureStarts(runs: number, extraArgs: readonly string[], expected: RegExp): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const { runtime, readyMs, lines } = await start(extraArgs);
    await runtime.stop();
    if (!lines.some((line) => expected.test(line.text))) throw new Error(`start ${run + 1} did not print ${expected}:\n${lines.map((l) => l.text).join('\n')}`);
    times.push(readyMs);
  }
  return times;
}

async function measureReloads(runs: number): Promise<{ observed: number[]; reported: number[] }> {
  const original = readFileSync(EDITED_FILE, 'utf8');
  const restore = () => writeFileSync(EDITED_FILE, original);
  process.once('exit', restore);
  const { runtime, lines } = await start([]);
  const live = new RegExp(`^${EDITED_FUNCTION} live in (\\d+) ms$`);
  const observed: number[] = [];
  const reported: number[] = [];
  try {
    await lineAfter(lines, 0, /^hot reload: esbuild rebuilds /, 300_000);
    for (let run = 0; run < runs; run += 1) {
      const saved = performance.now();
      writeFileSync(EDITED_FILE, `${original}// dev-loop bench edit ${run + 1}\n`);
      const line = await lineAfter(lines, saved, live);
      observed.push(line.at - saved);
      reported.push(Number(live.exec(line.text)![1]));
      // Restoring is an edit too: wait for its rebuild, so the next edit starts from quiet.
      const restored = performance.now();
      restore();
      await lineAfter(lines, restored, live);
    }
  } finally {
    restore();
    await runtime.stop();
  }
  return { observed, reported };
}

const format = (times: readonly number[]) => `${Math.round(median(times))} ms  (runs: ${times.map((time) => Math.round(time)).join(', ')})`;

await runScript(USAGE, async () => {
  const { values } = parseCommandLine({ args: process.argv.slice(2), strict: true, allowPositionals: false, options: { runs: { type: 'string' } } });
  const runs = values.runs === undefined ? 5 : numberOption('--runs', values.runs, { integer: true, min: 1, max: 50, noun: 'number of runs' });
  rmSync(join(PROJECT_DIR, '.queueflow', 'bundles'), { recursive: true, force: true });

  const cold = await measureStarts(runs, ['--synth'], /^synthesized in \d+ ms$/);
  const warm = await measureStarts(runs, [], /^assembly up to date \(fingerprint /);
  const noSynth = await measureStarts(runs, ['--no-synth'], /^queueflow local runtime ready$/);
  const reload = await measureReloads(runs);

  console.log(`queueflow local dev loop, median of ${runs} (${PROJECT_DIR}, load average ${(await import('node:os')).loadavg().map((n) => n.toFixed(1)).join(' ')})`);
  console.log(`  cold start (synth)             ${format(cold)}`);
  console.log(`  warm start (fingerprint match) ${format(warm)}`);
  console.log(`  --no-synth start (reference)   ${format(noSynth)}`);
  console.log(`  reload, save → live            ${format(reload.observed)}`);
  console.log(`  reload, as the runtime reports ${format(reload.reported)}`);
  return 0;
});
