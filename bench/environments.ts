/**
 * What the cap on execution environments per function does to the local runtime under a burst of
 * orders (docs/performance.md, "Where the runtime's CPU goes"): for each cap (`--max-environments`)
 * a fresh runtime on the sample, an open-loop phase of orders, then the time until the consumers'
 * queues are empty, and the CPU each kind of thread used meanwhile (Linux: /proc/<pid>/task,
 * summed by thread name). The caps alternate, run by run, so a change in the machine's load
 * touches each alike; the load average is printed with every run.
 *
 * The rate stays under the sample's deployed throttle (50 requests/s per key), so the project's
 * own assembly serves as it is (synthesized first when its fingerprint is stale).
 *
 * Usage: npm run bench:environments [-- --caps 10,2 --rate 45 --duration 20 --runs 2]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { consumerQueuesInOutputs } from '../lib/constructs/output-keys.ts';
import { numberOption, parseCommandLine, UsageError } from '../lib/shared/usage.ts';
import { readApp, routeFor } from './lib/assembly.ts';
import { clientsFor, waitForEmptyQueues } from './lib/aws.ts';
import { runOpenLoop } from './lib/load.ts';
import { sampleLoad } from './lib/machine-load.ts';
import { PROJECT_DIR, startRuntime } from './lib/runtime.ts';
import { ORDER_EVENT_TYPE, orderBody } from './lib/sample-domain.ts';
import { runScript } from './lib/script.ts';
import { markdownTable, ms, summarize } from './lib/summary.ts';

const USAGE = 'Usage: npm run bench:environments [-- --caps 10,2 --rate 45 --duration 20 --runs 2]';
const DRAIN_TIMEOUT_MS = 120_000;

/** CPU seconds per thread name of a process so far (utime + stime of each of its threads). */
function cpuByThread(pid: number): Map<string, number> {
  const ticksPerSecond = 100; // USER_HZ, 100 on Linux
  const totals = new Map<string, number>();
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim();
      // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th.
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      totals.set(name, (totals.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / ticksPerSecond);
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return totals;
}

async function main(): Promise<number> {
  const { values } = parseCommandLine({
    args: process.argv.slice(2),
    options: { caps: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' }, runs: { type: 'string' } },
  });
  const caps = (values.caps ?? '10,2').split(',').map((cap) => numberOption('--caps', cap.trim(), { integer: true, min: 1, max: 100 }));
  if (caps.length === 0) throw new UsageError('--caps needs at least one cap');
  const rate = values.rate === undefined ? 45 : numberOption('--rate', values.rate, { positive: true });
  const durationSeconds = values.duration === undefined ? 20 : numberOption('--duration', values.duration, { integer: true, positive: true });
  const runs = values.runs === undefined ? 2 : numberOption('--runs', values.runs, { integer: true, positive: true });

  const rows: string[][] = [];
  let synth = true;
  for (let run = 1; run <= runs; run++) {
    for (const cap of caps) {
      const load = sampleLoad();
      // The first start synthesizes if the fingerprint says so; the others reuse the assembly.
      const runtime = await startRuntime({ extraArgs: ['--max-environments', String(cap)], synth, ...(synth ? { readyTimeoutMs: 300_000 } : {}) });
      synth = false;
      try {
        const path = routeFor(readApp(runtime.assemblyDir), ORDER_EVENT_TYPE).resourcePath;
        const { sqs } = clientsFor(runtime.state);
        await sleep(3_000); // the consumers' warm-up, after the ready line
        const before = cpuByThread(runtime.pid);
        const result = await runOpenLoop({
          baseUrl: runtime.state.apiUrl,
          path,
          headers: { 'Content-Type': 'application/json', 'x-api-key': runtime.state.apiKey },
          body: (index) => JSON.stringify(orderBody(`env-${cap}-${run}-${index}`, `c-${index % 100}`)),
          ratePerSecond: rate,
          durationSeconds,
        });
        const loadEnded = performance.now();
        const drained = await waitForEmptyQueues(sqs, consumerQueuesInOutputs(runtime.state.outputs), DRAIN_TIMEOUT_MS);
        // waitForEmptyQueues needs three empty polls a second apart: the last two are not backlog.
        const drainSeconds = drained ? Math.max(0, (performance.now() - loadEnded) / 1000 - 2) : Number.NaN;
        const after = cpuByThread(runtime.pid);
        const cpu = (name: string) => ((after.get(name) ?? 0) - (before.get(name) ?? 0)).toFixed(1);
        const latency = summarize(result.latenciesMs);
        const errors = Object.values(result.errors).reduce((sum, count) => sum + count, 0);
        rows.push([String(run), String(cap), load.loadAverage.join(' / '), ms(latency.p50), ms(latency.p99), String(errors), drained ? drainSeconds.toFixed(1) : `> ${DRAIN_TIMEOUT_MS / 1000}`, cpu('WorkerThread'), cpu('V8Worker'), cpu('queueflow-aws-e'), cpu('MainThread')]);
        console.log(`run ${run}, ${cap} environments per function: p50 ${ms(latency.p50)} ms, p99 ${ms(latency.p99)} ms, ${errors} errors, queues empty ${rows.at(-1)![6]} s after the last request`);
      } finally {
        await runtime.stop();
      }
    }
  }
  console.log(`\n${rate} orders/s for ${durationSeconds} s per run (the sample, ${PROJECT_DIR}); CPU in seconds from the start of the load until the queues were empty\n`);
  console.log(markdownTable(['run', 'environments per function', 'load average before', '202 p50 (ms)', '202 p99 (ms)', 'errors', 'queues empty after (s)', 'CPU: functions', 'CPU: V8 platform', 'CPU: AWS endpoint', 'CPU: main'], rows));
  return 0;
}

await runScript(USAGE, main);
