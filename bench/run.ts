/**
 * `npm run bench`: the five measurements of the issue "Measure it", against a local runtime it
 * starts itself (its own cloud assembly and data folder in a temp directory, free ports):
 *
 * 1. producer ack latency under open-loop load (50, 200, 500 requests/s);
 * 2. synchronous baseline versus queueflow's 202, side by side;
 * 3. end to end (202 → each consumer's effect) and saturation throughput;
 * 4. Lambda bundle sizes and init times, today's build and the lean one side by side;
 * 5. requests and dollars per million events.
 *
 * Prints Markdown tables, writes bench/results/<date>.json (and .md), and states the machine.
 * Everything runs on this machine, load generator included: the figures are this machine's.
 *
 * The sample is synthesized with its API throttles lifted (BENCH_THROTTLE, through the context
 * keys of ApiThrottleContextKeys), so the higher rates measure the runtime, not the usage plan's
 * 50 requests/s. The load average is recorded around each phase, and a run whose phases started
 * on a busy machine is marked `comparable: false` (bench/lib/machine-load.ts).
 *
 * With `--baseline <ref>`, the ack latency (1) and saturation (3) phases also run on the runtime
 * of that commit (bench/lib/baseline-runtime.ts), alternating with this one phase by phase; the
 * runtime not being measured is paused (SIGSTOP), so the two never share the CPU.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiThrottleContextKeys } from '../lib/constructs/api-throttles.ts';
import { consumerQueuesInOutputs, type ConsumerQueues } from '../lib/constructs/output-keys.ts';
import { synthesize } from '../lib/local/synth.ts';
import { UsageError, numberOption, parseCommandLine } from '../lib/shared/usage.ts';
import { SampleOutputKeys } from '../sample/output-keys.ts';
import { consumersTaking, readApiThrottles, readApp, routeFor, templateFunctions, type AppModel, type TemplateFunction, type TemplateThrottles } from './lib/assembly.ts';
import { clientsFor, queueDepth, scanLedger, waitForEmptyQueues, type Clients } from './lib/aws.ts';
import { SUGGESTED_BASELINE_REF, baselineOption, prepareBaselineRuntime, type BaselineRuntime } from './lib/baseline-runtime.ts';
import { BASELINE_REF, measureBundles, type BundleMeasurement } from './lib/bundles.ts';
import { ReportLineMeter, costPerEvent, type CostLine } from './lib/cost.ts';
import { resolveCommit } from './lib/git-ref.ts';
import { formatRange, parseLatencyRange } from './lib/latency.ts';
import { runOpenLoop, type LoadResult } from './lib/load.ts';
import { QUIET_LOAD_PER_CORE, SETTLE_TIMEOUT_MS, comparability, sampleLoad, withPhaseLoad, type PhaseLoad } from './lib/machine-load.ts';
import { PROJECT_DIR, startRuntime, type RuntimeOptions, type RuntimeProcess } from './lib/runtime.ts';
import { ORDER_EVENT_TYPE, SAMPLE_ORDER_EFFECTS, orderBody as sampleOrder } from './lib/sample-domain.ts';
import { runScript } from './lib/script.ts';
import { alternateRamps, sideBySideHeader, sideBySideRows } from './lib/side-by-side.ts';
import { readStats, resetStats } from './lib/stats.ts';
import { markdownTable, ms, summarize, type Summary } from './lib/summary.ts';
import { PRICES } from './prices.ts';

const USAGE = `Usage: npm run bench -- [options]
  --quick                 short phases everywhere (a smoke run; figures are not comparable)
  --duration <s>          seconds per load phase (default 20)
  --rates <r,r,…>         ack-latency phases in requests/s (default 10,50,200,500)
  --sync-rate <r>         rate of the sync-versus-async comparison (default 20)
  --sustain <s>           seconds each saturation step must hold (default 60)
  --ramp <r,r,…>          saturation steps in events/s (default 10,20,40,60,80,100,120,160,200)
  --init-runs <n>         fresh processes per bundle for the init time (default 15)
  --cost-events <n>       events in the cost window (default 1000)
  --skip <part,…>         any of bundles, load, sync, saturation, cost
  --no-synth              use ./cdk.out as it is (its own API throttles) instead of synthesizing
                          a private copy with the throttles lifted
  --baseline <ref>        also run the load and saturation parts on the runtime of that commit
                          (e.g. ${SUGGESTED_BASELINE_REF}: the runtime before the emulators' worker thread, the
                          first whose throttles the bench can lift), its own sample synthesized by
                          its own code; the two alternate phase by phase, the other one paused,
                          and the tables show them side by side (default: no baseline)

Each phase waits up to ${SETTLE_TIMEOUT_MS / 1000} s for the 1-minute load average to fall to ${QUIET_LOAD_PER_CORE} per core
(not with --quick); a run with a phase that started above it is marked not comparable.`;

const PARTS = ['bundles', 'load', 'sync', 'saturation', 'cost'] as const;
type Part = (typeof PARTS)[number];
const DRAIN_TIMEOUT_MS = 180_000;

/**
 * The API throttles of the assembly the bench synthesizes: far above anything one machine can
 * serve, so no phase measures the sample's deployed 50 requests/s per key (burst 100) or 100/s
 * per stage. Both are lifted: API Gateway, and the local runtime, apply the tighter of the two.
 */
const BENCH_THROTTLE = { rateLimit: 10_000, burstLimit: 20_000 } as const;
const BENCH_CONTEXT: Record<string, string> = {
  [ApiThrottleContextKeys.apiKeyRateLimit]: String(BENCH_THROTTLE.rateLimit),
  [ApiThrottleContextKeys.apiKeyBurstLimit]: String(BENCH_THROTTLE.burstLimit),
  [ApiThrottleContextKeys.stageRateLimit]: String(BENCH_THROTTLE.rateLimit),
  [ApiThrottleContextKeys.stageBurstLimit]: String(BENCH_THROTTLE.burstLimit),
};

interface Options {
  readonly durationSeconds: number;
  readonly rates: number[];
  readonly syncRate: number;
  readonly sustainSeconds: number;
  readonly ramp: number[];
  readonly initRuns: number;
  readonly costEvents: number;
  readonly skip: ReadonlySet<Part>;
  readonly synth: boolean;
  readonly quick: boolean;
  /** The git ref of the runtime to measure beside this one, as given. */
  readonly baseline?: string;
}

/** Positive numbers separated by commas. */
const numbers = (name: string, text: string): number[] => text.split(',').map((part) => numberOption(`--${name}`, part.trim(), { positive: true }));
const one = (name: string, text: string): number => numberOption(`--${name}`, text, { positive: true });

/** The options, or 'help'; throws UsageError. */
const parseOptions = (argv: readonly string[]): Options | 'help' => {
  const { values } = parseCommandLine({
    args: [...argv],
    allowNegative: true,
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      rates: { type: 'string', default: '10,50,200,500' },
      'sync-rate': { type: 'string', default: '20' },
      sustain: { type: 'string' },
      ramp: { type: 'string' },
      'init-runs': { type: 'string' },
      'cost-events': { type: 'string' },
      skip: { type: 'string', default: '' },
      synth: { type: 'boolean', default: true },
      baseline: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const skip = new Set(values.skip.split(',').filter(Boolean));
  for (const part of skip) if (!PARTS.includes(part as Part)) throw new UsageError(`--skip: unknown part "${part}"`);
  const quick = values.quick;
  const baseline = baselineOption(values.baseline, { skip, synth: values.synth });
  return {
    durationSeconds: one('duration', values.duration ?? (quick ? '5' : '20')),
    rates: numbers('rates', values.rates),
    syncRate: one('sync-rate', values['sync-rate']),
    sustainSeconds: one('sustain', values.sustain ?? (quick ? '10' : '60')),
    ramp: numbers('ramp', values.ramp ?? (quick ? '20,40,60' : '10,20,40,60,80,100,120,160,200')),
    initRuns: one('init-runs', values['init-runs'] ?? (quick ? '5' : '15')),
    costEvents: one('cost-events', values['cost-events'] ?? (quick ? '200' : '1000')),
    skip: skip as Set<Part>,
    synth: values.synth,
    quick,
    ...(baseline === undefined ? {} : { baseline }),
  };
};

const machine = () => ({
  cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  node: process.version,
  os: `${osType()} ${release()}`,
  loadAverageAtStart: [...sampleLoad().loadAverage],
});

const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/** A valid order with a unique orderId, so each request is a distinct event. */
const orderBody = (runId: string) => (index: number) => JSON.stringify(sampleOrder(`${runId}-${index}`, `c-${index % 1000}`));

/** What the measurements need of the app under test, read from its assembly. */
interface AppUnderTest {
  readonly orderPath: string;
  /** The consumers an order fans out to, each with the downstream latency the sync baseline simulates for it. */
  readonly orderConsumers: readonly { readonly name: string; readonly latency: string }[];
}

const appUnderTest = (app: AppModel): AppUnderTest => {
  const orderConsumers = consumersTaking(app, ORDER_EVENT_TYPE).map((consumer) => {
    const effect = SAMPLE_ORDER_EFFECTS[consumer.name];
    if (effect === undefined) throw new Error(`the sample has no order effect for consumer ${consumer.name} (bench/lib/sample-domain.ts)`);
    return { name: consumer.name, latency: effect.latency };
  });
  return { orderPath: routeFor(app, ORDER_EVENT_TYPE).resourcePath, orderConsumers };
};

interface LoadRow {
  readonly rate: number;
  readonly scheduled: number;
  readonly latency: Summary;
  readonly errors: Record<string, number>;
  readonly achievedPerSecond: number;
}

const loadRow = (result: LoadResult): LoadRow => ({
  rate: result.ratePerSecond,
  scheduled: result.scheduled,
  latency: summarize(result.latenciesMs),
  errors: result.errors,
  achievedPerSecond: Math.round(result.achievedPerSecond * 10) / 10,
});

const errorCount = (errors: Record<string, number>): number => Object.values(errors).reduce((sum, n) => sum + n, 0);

interface Runtime {
  handle: RuntimeProcess;
  clients: Clients;
  queues: ConsumerQueues[];
  app: AppUnderTest;
}

const startMeasuredRuntime = async (
  dataDir: string,
  assemblyDir: string,
  app: AppUnderTest,
  onLine?: (line: string) => void,
  launch: Pick<RuntimeOptions, 'projectDir' | 'bin' | 'omitFlags'> = {},
): Promise<Runtime> => {
  const handle = await startRuntime({ ...launch, dataDir, assemblyDir, ...(onLine ? { onLine } : {}) });
  return { handle, clients: clientsFor(handle.state), queues: consumerQueuesInOutputs(handle.state.outputs), app };
};

/** A runtime under measurement, this one or the baseline (`--baseline`). */
interface Side {
  readonly runtime: Runtime;
  /** `this runtime` or `baseline <ref>`: the tables' column groups. */
  readonly label: string;
  /** Appended to phase names: empty for this runtime, so its phases keep their names. */
  readonly suffix: string;
  /** The prefix of its orders' ids. */
  readonly runId: string;
  /** Runs `measure` with this runtime the only one running: with a baseline, each is paused (SIGSTOP) outside its phases. */
  readonly alone: <T>(measure: () => Promise<T>) => Promise<T>;
}

const THIS_RUNTIME = 'this runtime';

/** A side; `paused` when there are two, so that each runs only during its own phases. */
const side = (runtime: Runtime, label: string, runId: string, paused: boolean): Side => ({
  runtime,
  label,
  suffix: label === THIS_RUNTIME ? '' : ` (${label})`,
  runId,
  alone: async (measure) => {
    if (!paused) return measure();
    log(`${label} running, the other paused`);
    runtime.handle.resume();
    try {
      return await measure();
    } finally {
      runtime.handle.pause();
    }
  },
});

/** A burst makes the Lambda host start its execution environments (up to 10 per function), so their cold starts do not land in the first measured phase. */
const warmUp = async (runtime: Runtime, runId: string): Promise<void> => {
  log('warm-up: 2 s at 100 requests/s, then 10 s at 20 requests/s');
  await orderLoad(runtime, `${runId}-warm`, 100, 2);
  await orderLoad(runtime, `${runId}-warm2`, 20, 10);
  await drain(runtime);
};

const stopRuntime = async (runtime: Runtime): Promise<void> => {
  runtime.clients.sqs.destroy();
  runtime.clients.dynamodb.destroy();
  await runtime.handle.stop();
};

const drain = async (runtime: Runtime): Promise<void> => {
  if (!(await waitForEmptyQueues(runtime.clients.sqs, runtime.queues, DRAIN_TIMEOUT_MS, log))) {
    log(`warning: the queues did not empty within ${DRAIN_TIMEOUT_MS / 1000} s`);
  }
};

const orderLoad = (runtime: Runtime, runId: string, ratePerSecond: number, durationSeconds: number) =>
  runOpenLoop({
    baseUrl: runtime.handle.state.apiUrl,
    path: runtime.app.orderPath,
    headers: { 'Content-Type': 'application/json', 'x-api-key': runtime.handle.state.apiKey },
    body: orderBody(runId),
    ratePerSecond,
    durationSeconds,
  });

// ---------------------------------------------------------------- 3. end to end

interface EndToEndRow {
  readonly rate: number;
  readonly consumer: string;
  readonly latency: Summary;
}

/** 202 → effect, per consumer, for the accepted requests of one load phase (queues drained). */
const endToEnd = async (runtime: Runtime, result: LoadResult): Promise<EndToEndRow[]> => {
  const ackAt = new Map(result.accepted.map((request) => [request.eventId, request.ackAtMs]));
  const byConsumer = new Map<string, number[]>();
  for (const effect of await scanLedger(runtime.clients.dynamodb, runtime.handle.state.outputs[SampleOutputKeys.LedgerTableName]!)) {
    const acked = ackAt.get(effect.eventId);
    if (acked === undefined) continue;
    byConsumer.set(effect.consumer, [...(byConsumer.get(effect.consumer) ?? []), effect.atMs - acked]);
  }
  return [...byConsumer].sort(([a], [b]) => a.localeCompare(b)).map(([consumer, values]) => ({ rate: result.ratePerSecond, consumer, latency: summarize(values) }));
};

// ---------------------------------------------------------------- 2. sync baseline

const startSyncBaseline = async (runtime: Runtime): Promise<{ url: string; stop: () => Promise<void> }> => {
  const { state } = runtime.handle;
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'bench/sync-baseline.ts',
      '--ledger-table',
      state.outputs[SampleOutputKeys.LedgerTableName]!,
      '--path',
      runtime.app.orderPath,
      ...runtime.app.orderConsumers.flatMap(({ name, latency }) => ['--consumer', `${name}=${latency}`]),
    ],
    {
      cwd: PROJECT_DIR,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        AWS_ENDPOINT_URL: state.endpoint,
        AWS_REGION: state.region,
        AWS_ACCESS_KEY_ID: state.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: state.credentials.secretAccessKey,
      },
    },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^sync baseline listening (\S+)$/.exec(line);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the sync baseline exited (${code}) before listening`)));
  });
  return {
    url,
    stop: async () => {
      process.off('exit', killOnExit);
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
    },
  };
};

// ---------------------------------------------------------------- 3. saturation

interface SaturationStep {
  readonly rate: number;
  /** Backlog growth (visible + delayed messages over the consumer queues), messages per second. */
  readonly backlogSlopePerSecond: number;
  readonly backlogAtEnd: number;
  readonly ackP99Ms: number;
  readonly errors: number;
  readonly sustained: boolean;
  /** Effects per second over the step (counted after the drain), for a sustained step. */
  readonly effectsPerSecond?: number;
}

/** Least-squares slope of y over x. */
const slope = (points: readonly { x: number; y: number }[]): number => {
  if (points.length < 2) return 0;
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / points.length;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / points.length;
  const numerator = points.reduce((sum, p) => sum + (p.x - meanX) * (p.y - meanY), 0);
  const denominator = points.reduce((sum, p) => sum + (p.x - meanX) ** 2, 0);
  return denominator === 0 ? 0 : numerator / denominator;
};

/**
 * Ramps the offered rate, on each side in turn at each step (bench/lib/side-by-side.ts), each
 * side stopping after its first step not sustained. A step is sustained when the API answered
 * (≤ 0.1 % errors) and the consumers kept up: the backlog's growth, fitted over the step after its
 * first quarter, stays under 2 % of the message rate (at least 1 message/s, for noise at low rates).
 */
const saturation = (sides: readonly Side[], options: Options, loads: PhaseLoad[]): Promise<SaturationStep[][]> =>
  alternateRamps(sides.length, options.ramp, (index, rate) => {
    const { runtime, suffix, runId, alone } = sides[index]!;
    return withPhaseLoad(`saturation ${rate}/s${suffix}`, !options.quick, loads, () => alone(() => saturationStep(runtime, runId, options, rate)), log);
  });

/** One step of the ramp, drained; a sustained step with its effects per second. */
const saturationStep = async (runtime: Runtime, runId: string, options: Options, rate: number): Promise<SaturationStep> => {
  log(`saturation: ${rate} events/s for ${options.sustainSeconds} s`);
  const samples: { x: number; y: number }[] = [];
  const started = performance.now();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const depths = await Promise.all(runtime.queues.map((queue) => queueDepth(runtime.clients.sqs, queue.queueUrl)));
      samples.push({ x: (performance.now() - started) / 1000, y: depths.reduce((sum, depth) => sum + depth.visible + depth.delayed, 0) });
      await sleep(2_000);
    }
  })();
  const result = await orderLoad(runtime, `${runId}-sat${rate}`, rate, options.sustainSeconds);
  sampling = false;
  await sampler;
  const growth = slope(samples.filter((sample) => sample.x >= options.sustainSeconds / 4 && sample.x <= options.sustainSeconds));
  const errors = errorCount(result.errors);
  const sustained = errors <= result.scheduled * 0.001 && growth <= Math.max(1, 0.02 * rate * runtime.app.orderConsumers.length);
  const step: SaturationStep = {
    rate,
    backlogSlopePerSecond: Math.round(growth * 10) / 10,
    backlogAtEnd: samples.at(-1)?.y ?? 0,
    ackP99Ms: summarize(result.latenciesMs).p99,
    errors,
    sustained,
  };
  log(`  backlog ${growth >= 0 ? '+' : ''}${step.backlogSlopePerSecond}/s, ${errors} errors → ${sustained ? 'sustained' : 'not sustained'}`);
  await drain(runtime);
  if (!sustained) return step;
  const eventIds = new Set(result.accepted.map((request) => request.eventId));
  const effects = (await scanLedger(runtime.clients.dynamodb, runtime.handle.state.outputs[SampleOutputKeys.LedgerTableName]!)).filter((effect) => eventIds.has(effect.eventId));
  return { ...step, effectsPerSecond: Math.round(effects.length / options.sustainSeconds) };
};

// ---------------------------------------------------------------- 5. cost

interface CostResult {
  readonly events: number;
  readonly windowSeconds: number;
  readonly lines: CostLine[];
  /** Every line priced per request (exact counts). */
  readonly requestsPerMillionEvents: number;
  /** Lambda GB-s priced from the local durations (an upper bound, see the table note). */
  readonly durationPerMillionEvents?: number;
  readonly lambdaReports: number;
}

const cost = async (dataDir: string, assemblyDir: string, app: AppUnderTest, runId: string, options: Options, architecture: 'arm64' | 'x86_64'): Promise<CostResult> => {
  // Not quiet: the REPORT lines carry each invocation's duration and memory.
  const meter = new ReportLineMeter();
  const runtime = await startMeasuredRuntime(dataDir, assemblyDir, app, meter.onLine);
  try {
    await drain(runtime);
    const ownBefore = structuredClone(runtime.clients.ownRequests);
    await resetStats(runtime.handle.state.endpoint);
    meter.reset();
    const started = Date.now();
    // Well under saturation even on a small machine, and under the sample's deployed usage-plan
    // rate (50/s) should the assembly not have its throttle lifted, so every request counts.
    const rate = Math.min(25, options.costEvents);
    const result = await orderLoad(runtime, `${runId}-cost`, rate, options.costEvents / rate);
    await drain(runtime);
    const stats = await readStats(runtime.handle.state.endpoint);
    const windowSeconds = (Date.now() - started) / 1000;
    const ownRequests = Object.fromEntries(
      Object.entries(runtime.clients.ownRequests).map(([service, actions]) => [
        service,
        Object.fromEntries(Object.entries(actions).map(([action, n]) => [action, n - (ownBefore[service as 'sqs'][action] ?? 0)])),
      ]),
    );
    const events = result.accepted.length;
    const lines = costPerEvent({ events, stats, ownRequests, lambdaGbSeconds: meter.reports > 0 ? meter.gbSeconds : undefined, architecture });
    const duration = lines.find((line) => line.item.startsWith('Lambda duration'));
    return {
      events,
      windowSeconds,
      lines,
      requestsPerMillionEvents: lines.filter((line) => line !== duration).reduce((sum, line) => sum + line.dollarsPerMillionEvents, 0),
      ...(duration ? { durationPerMillionEvents: duration.dollarsPerMillionEvents } : {}),
      lambdaReports: meter.reports,
    };
  } finally {
    await stopRuntime(runtime);
  }
};

// ---------------------------------------------------------------- output

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** The tightest rate the API lets through: the tighter of usage plan and stage, as API Gateway and the runtime apply them. */
const throttleRate = (throttles: TemplateThrottles): number => Math.min(...[...throttles.usagePlans, ...throttles.stages].map((throttle) => throttle.rateLimit));

const describeThrottles = (throttles: TemplateThrottles & { liftedByBench: boolean }): string => {
  const list = (kind: string, declared: TemplateThrottles['stages']) =>
    declared.map((throttle) => `${kind} ${throttle.rateLimit} requests/s (burst ${throttle.burstLimit})`);
  const all = [...list('usage plan', throttles.usagePlans), ...list('stage', throttles.stages)];
  return (
    `API throttles of the assembly under test: ${all.length === 0 ? 'none' : all.join(', ')}; ` +
    (throttles.liftedByBench
      ? 'lifted by the bench (context values queueflow:apiKeyRateLimit/BurstLimit and queueflow:stageRateLimit/BurstLimit), so the phases measure the runtime, not the deployed 50 requests/s per key.'
      : 'as in ./cdk.out (--no-synth), not lifted by the bench.')
  );
};

/** Reasons besides the machine's load that keep a run from standing for the runtime. */
const otherReasons = (results: Results, options: Options): string[] => {
  const reasons: string[] = [];
  if (options.quick) reasons.push('a --quick run: its phases are too short to compare');
  const offered = [
    ...(results.load ?? []).map((row) => row.rate),
    ...(results.sync ? [results.sync.async.rate] : []),
    ...(results.saturation ?? []).map((step) => step.rate),
  ];
  const throttled = (who: string, throttles: TemplateThrottles | undefined, rates: readonly number[]) => {
    const limit = throttles ? throttleRate(throttles) : Infinity;
    if (rates.length > 0 && limit < Math.max(...rates)) {
      reasons.push(`the ${who}API throttle (${limit} requests/s) is below the highest offered rate (${Math.max(...rates)}/s): the phases above it measured the throttle, not the runtime`);
    }
  };
  throttled('', results.apiThrottles, offered);
  const { baseline } = results;
  if (baseline) throttled(`baseline's `, baseline.apiThrottles, [...(baseline.load ?? []), ...(baseline.saturation ?? [])].map((row) => row.rate));
  return reasons;
};

const loadCells = (sample: PhaseLoad['before']) => `${sample.loadAverage.join(' / ')} (${sample.perCore}/core)`;

const render = (results: Results): string => {
  const out: string[] = [];
  const m = results.machine;
  out.push(
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}; load average at start ${m.loadAverageAtStart.join(' / ')}, at end ${results.loadAverageAtEnd.join(' / ')}. ` +
      `Local runtime (one process: API gateway, Lambda worker threads, fauxqs, dynalite) and load generator on the same machine. ${results.startedAt}.`,
  );
  if (results.apiThrottles) out.push(`\n${describeThrottles(results.apiThrottles)}`);
  const { baseline } = results;
  if (baseline) out.push(`\nBaseline ${baseline.ref}: ${describeThrottles(baseline.apiThrottles)}`);
  out.push(
    results.comparable
      ? `\n**Comparable**: every phase started with a 1-minute load average at or under ${QUIET_LOAD_PER_CORE} per core.`
      : `\n**Not comparable**: ${results.notComparableBecause.join('; ')}.`,
  );
  // With a baseline, each table has a column group per runtime (bench/lib/side-by-side.ts).
  const sides = [THIS_RUNTIME, ...(baseline ? [`baseline ${baseline.ref}`] : [])];
  const table = <T>(keys: readonly string[], columns: readonly string[], rows: readonly (readonly T[] | undefined)[], key: (row: T) => string[], cells: (row: T) => string[]) =>
    markdownTable(sideBySideHeader(keys, columns, sides), sideBySideRows(rows.slice(0, sides.length).map((each) => each ?? []), key, cells, columns.length));
  if (baseline) {
    out.push(
      `\nSide by side: this runtime and the baseline, the runtime at \`${baseline.ref}\`${baseline.commit.startsWith(baseline.ref) ? '' : ` (${baseline.commit.slice(0, 7)})`}, its own sample synthesized by its own code with the same throttles lifted, ` +
        `on the same installed packages${baseline.omittedFlags.length > 0 ? ` (started without ${baseline.omittedFlags.join(', ')}, which it does not know)` : ''}. ` +
        'The two alternate phase by phase (this one first at each rate), the one not measured paused (SIGSTOP), so they never share the CPU.',
    );
  }
  if (results.load) {
    out.push(`\n### 1. Producer ack latency, open loop (\`POST ${results.orderPath}\`; ms from the scheduled send time, 202s only)\n`);
    out.push(
      table(
        ['rate (req/s)', 'requests'],
        ['p50', 'p90', 'p99', 'p99.9', 'max', 'errors', 'accepted/s'],
        [results.load, baseline?.load],
        (row) => [String(row.rate), String(row.scheduled)],
        (row) => [
          ms(row.latency.p50),
          ms(row.latency.p90),
          ms(row.latency.p99),
          ms(row.latency.p999),
          ms(row.latency.max),
          errorCount(row.errors) === 0 ? '0' : Object.entries(row.errors).map(([kind, n]) => `${n} ${kind}`).join(', '),
          String(row.achievedPerSecond),
        ],
      ),
    );
  }
  if (results.sync) {
    const { sync, async: queued, ratio, latencies } = results.sync;
    out.push(`\n### 2. Synchronous API versus queueflow (${sync.rate} req/s, ms)\n`);
    const work = Object.entries(latencies).map(([consumer, range]) => `${consumer} ${range}`);
    out.push(
      `The synchronous baseline does the ${work.length} consumers' work inside the request, one after another (${work.join(', ')} of simulated downstream latency, then the same ledger write each), as a naive API would.\n`,
    );
    out.push(
      markdownTable(
        ['API', 'p50', 'p90', 'p99', 'max', 'errors'],
        [
          [`synchronous (200 after all ${Object.keys(latencies).length})`, ms(sync.latency.p50), ms(sync.latency.p90), ms(sync.latency.p99), ms(sync.latency.max), String(errorCount(sync.errors))],
          ['queueflow (202 after publish)', ms(queued.latency.p50), ms(queued.latency.p90), ms(queued.latency.p99), ms(queued.latency.max), String(errorCount(queued.errors))],
          ['ratio sync / queueflow', `${ratio.p50.toFixed(0)}×`, '', `${ratio.p99.toFixed(0)}×`, '', ''],
        ],
      ),
    );
  }
  if (results.endToEnd) {
    out.push('\n### 3a. End to end: 202 → effect in the ledger (ms; consumers without simulated latency)\n');
    out.push(
      table(
        ['rate (req/s)', 'consumer'],
        ['effects', 'p50', 'p99', 'max'],
        [results.endToEnd, baseline?.endToEnd],
        (row) => [String(row.rate), row.consumer],
        (row) => [String(row.latency.count), ms(row.latency.p50), ms(row.latency.p99), ms(row.latency.max)],
      ),
    );
  }
  if (results.saturation) {
    out.push(`\n### 3b. Saturation (each step ${results.options.sustainSeconds} s; sustained = ≤ 0.1 % errors and no backlog growth)\n`);
    out.push(
      table(
        ['events/s offered'],
        ['backlog growth (msg/s)', 'backlog at end', 'ack p99 (ms)', 'errors', 'effects/s', 'verdict'],
        [results.saturation, baseline?.saturation],
        (step) => [String(step.rate)],
        (step) => [
          String(step.backlogSlopePerSecond),
          String(step.backlogAtEnd),
          ms(step.ackP99Ms),
          String(step.errors),
          step.effectsPerSecond === undefined ? '–' : String(step.effectsPerSecond),
          step.sustained ? 'sustained' : 'not sustained',
        ],
      ),
    );
    [results.saturation, baseline?.saturation].slice(0, sides.length).forEach((steps = [], index) => {
      const best = steps.filter((step) => step.sustained).at(-1);
      const who = baseline ? ` (${sides[index]})` : '';
      out.push(
        best
          ? `\nHighest sustained${who}: **${best.rate} events/s, ${best.effectsPerSecond} effects/s** for ${results.options.sustainSeconds} s${best === steps.at(-1) ? ' (the top of the ramp: the real limit is higher)' : ''}.`
          : `\nNo step was sustained${who}.`,
      );
    });
  }
  if (results.bundles) {
    out.push(`\n### 4. Lambda bundles (minified ESM, esbuild, SDK bundled; init = median of ${results.options.initRuns} fresh processes importing the bundle with the function's environment, the two builds alternating)\n`);
    const change = (today: number | undefined, lean: number) => (today === undefined ? '—' : `${(((lean - today) / today) * 100).toFixed(0)} %`);
    out.push(
      markdownTable(
        ['function', 'today: size', 'gzip', 'init (ms)', 'lean: size', 'gzip', 'map', 'init (ms)', 'init change'],
        results.bundles.flatMap((row) =>
          row.lean === undefined
            ? []
            : [
                [
                  row.label,
                  row.today ? kib(row.today.bytes) : '—',
                  row.today ? kib(row.today.gzipBytes) : '—',
                  row.today ? ms(row.today.initMs) : '—',
                  kib(row.lean.bytes),
                  kib(row.lean.gzipBytes),
                  kib(row.lean.mapBytes),
                  ms(row.lean.initMs),
                  change(row.today?.initMs, row.lean.initMs),
                ],
              ],
        ),
      ),
    );
    out.push(
      `\n"Today" is the same entry built from the code at ${BASELINE_REF.slice(0, 7)} (before the lean bundles) with the bundling options it had: the SDK's default credential chain, ajv compiling the producer's schemas at init, zod, and \`--enable-source-maps\` in its NODE_OPTIONS. "Lean" is the assembly's own bundle: environment-only credentials, validators generated at synth, no schema library at init, source maps not enabled at run time (docs/performance.md, "Lean bundles"). A function that did not exist then has no "today".`,
    );
    for (const row of results.bundles.filter((candidate) => candidate.failure !== undefined)) {
      out.push(`\nNot measured: ${row.label}, whose start-up failed with its stand-in environment (the template's, resolved as \`queueflow local\` resolves it): ${row.failure}`);
    }
  }
  if (results.cost) {
    const c = results.cost;
    out.push(`\n### 5. Cost per event (${c.events} orders at 25/s, ${c.windowSeconds.toFixed(0)} s window; ${PRICES.region} prices, ${PRICES.asOf}, bench/prices.ts)\n`);
    out.push(
      markdownTable(
        ['item', 'per event', '$ per million events'],
        [
          ...c.lines.filter((line) => !line.item.startsWith('Lambda duration')).map((line) => [line.item, line.perEvent.toFixed(3), `$${line.dollarsPerMillionEvents.toFixed(2)}`]),
          ['**requests, total**', '', `**$${c.requestsPerMillionEvents.toFixed(2)}**`],
          ...c.lines.filter((line) => line.item.startsWith('Lambda duration')).map((line) => [`${line.item} (upper bound)`, line.perEvent.toFixed(3), `$${line.dollarsPerMillionEvents.toFixed(2)}`]),
        ],
      ),
    );
    out.push(
      '\nRequests counted by the local runtime (the measuring tool\'s own queue polls left out); messages under 64 KiB and items under 1 KiB, so each is one request or unit. ' +
        'The Lambda duration line uses the local REPORT durations: each function waits there on emulators that share one event loop on a loaded machine, so it is an upper bound, not an AWS estimate. ' +
        'Idle polling is a per-queue cost on AWS (the event source mapping long-polls continuously), not a per-event one.',
    );
  }
  if (results.phaseLoads.length > 0) {
    out.push(
      `\n### Load average around each phase (1 / 5 / 15 min; a phase starting above ${QUIET_LOAD_PER_CORE} per core makes the run not comparable)\n`,
    );
    out.push(
      markdownTable(
        ['phase', 'before', 'waited (s)', 'after', 'quiet'],
        results.phaseLoads.map((load) => [load.phase, loadCells(load.before), String(load.waitedSeconds), loadCells(load.after), load.quiet ? 'yes' : '**no**']),
      ),
    );
  }
  return out.join('\n');
};

interface Results {
  machine: ReturnType<typeof machine>;
  loadAverageAtEnd: number[];
  /** False when a phase started on a busy machine, or the run cannot stand for the runtime (see `notComparableBecause`). */
  comparable: boolean;
  notComparableBecause: string[];
  /** The load average before and after each measured phase (bench/lib/machine-load.ts). */
  phaseLoads: PhaseLoad[];
  /** The throttles of the assembly under test, and whether the bench lifted them. */
  apiThrottles?: TemplateThrottles & { liftedByBench: boolean };
  startedAt: string;
  options: Omit<Options, 'skip'> & { skip: string[] };
  orderPath?: string;
  load?: LoadRow[];
  sync?: { sync: LoadRow; async: LoadRow; ratio: { p50: number; p99: number }; latencies: Record<string, string> };
  endToEnd?: EndToEndRow[];
  saturation?: SaturationStep[];
  bundles?: BundleMeasurement[];
  cost?: CostResult;
  /** With `--baseline`: the runtime of that commit, measured alternately with this one (bench/lib/baseline-runtime.ts). */
  baseline?: {
    ref: string;
    commit: string;
    /** The launcher's flags that runtime does not know, left out when it started. */
    omittedFlags: string[];
    apiThrottles: TemplateThrottles & { liftedByBench: boolean };
    orderPath: string;
    load?: LoadRow[];
    endToEnd?: EndToEndRow[];
    saturation?: SaturationStep[];
  };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const results: Results = {
    machine: machine(),
    loadAverageAtEnd: [],
    comparable: false,
    notComparableBecause: [],
    phaseLoads: [],
    startedAt: new Date().toISOString(),
    options: { ...options, skip: [...options.skip] },
  };
  // Before anything slow: a ref that names no commit is a usage error.
  const baselineCommit =
    options.baseline === undefined
      ? undefined
      : await resolveCommit(options.baseline).catch((error: unknown) => {
          throw new UsageError(`--baseline: ${(error as Error).message}`, { cause: error });
        });
  console.error(`Machine: ${JSON.stringify(results.machine)}`);
  const workDir = mkdtempSync(join(tmpdir(), 'queueflow-bench-'));
  const dataDir = join(workDir, 'data');
  const assemblyDir = options.synth ? join(workDir, 'cdk.out') : join(PROJECT_DIR, 'cdk.out');
  const runId = `b${Date.now().toString(36)}`;
  const wants = (part: Part) => !options.skip.has(part);
  const settle = !options.quick;
  const phase = <T>(name: string, run: () => Promise<T>): Promise<T> => withPhaseLoad(name, settle, results.phaseLoads, run, log);
  try {
    if (options.synth) {
      log(`synthesizing the sample into a private assembly, API throttles lifted to ${BENCH_THROTTLE.rateLimit} requests/s (burst ${BENCH_THROTTLE.burstLimit}) …`);
      await synthesize(PROJECT_DIR, assemblyDir, BENCH_CONTEXT);
    }
    results.apiThrottles = { ...readApiThrottles(assemblyDir), liftedByBench: options.synth };
    const functions: TemplateFunction[] = templateFunctions(assemblyDir);
    const model = readApp(assemblyDir);
    const app = appUnderTest(model);
    results.orderPath = app.orderPath;
    let base: (BaselineRuntime & { app: AppUnderTest; label: string }) | undefined;
    if (baselineCommit !== undefined) {
      const label = `baseline ${options.baseline}`;
      log(`${label} (${baselineCommit}): extracting it and synthesizing its own sample with its own code, API throttles lifted alike …`);
      const prepared = await prepareBaselineRuntime(baselineCommit, join(workDir, 'baseline'), BENCH_CONTEXT);
      base = { ...prepared, app: appUnderTest(readApp(prepared.assemblyDir)), label };
      results.baseline = {
        ref: options.baseline!,
        commit: baselineCommit,
        omittedFlags: [...prepared.omittedFlags],
        apiThrottles: { ...readApiThrottles(prepared.assemblyDir), liftedByBench: true },
        orderPath: base.app.orderPath,
      };
    }

    if (wants('bundles')) {
      log(`bundles: ${functions.length} functions × 2 builds (today's, lean) × ${options.initRuns} fresh processes`);
      results.bundles = await phase('bundles', () => measureBundles(functions, model.routes, options.initRuns));
    }

    if (wants('load') || wants('sync') || wants('saturation')) {
      const runtime = await startMeasuredRuntime(dataDir, assemblyDir, app);
      let other: Runtime | undefined;
      try {
        await warmUp(runtime, runId);
        const own = side(runtime, THIS_RUNTIME, runId, base !== undefined);
        const sides = [own];
        if (base !== undefined) {
          runtime.handle.pause();
          log(`starting the ${base.label} runtime (this one paused)`);
          other = await startMeasuredRuntime(join(workDir, 'baseline-data'), base.assemblyDir, base.app, undefined, base.launch);
          await warmUp(other, `${runId}-base`);
          other.handle.pause();
          sides.push(side(other, base.label, `${runId}-base`, true));
        }
        const phases = new Map<number, LoadResult>();
        if (wants('load')) {
          const load = sides.map((): LoadRow[] => []);
          const endToEndRows = sides.map((): EndToEndRow[] => []);
          for (const rate of options.rates) {
            for (const [index, { runtime: measured, suffix, runId: id, alone }] of sides.entries()) {
              await phase(`ack latency ${rate}/s${suffix}`, () =>
                alone(async () => {
                  log(`ack latency: ${rate} requests/s for ${options.durationSeconds} s`);
                  const result = await orderLoad(measured, `${id}-load${rate}`, rate, options.durationSeconds);
                  if (measured === runtime) phases.set(rate, result);
                  load[index]!.push(loadRow(result));
                  await drain(measured);
                  endToEndRows[index]!.push(...(await endToEnd(measured, result)));
                }),
              );
            }
          }
          [results.load, results.endToEnd] = [load[0], endToEndRows[0]];
          if (results.baseline) [results.baseline.load, results.baseline.endToEnd] = [load[1], endToEndRows[1]];
        }
        if (wants('sync')) {
          await phase('sync versus queueflow', () =>
            own.alone(async () => {
              log(`sync baseline: ${options.syncRate} requests/s for ${options.durationSeconds} s`);
              const baseline = await startSyncBaseline(runtime);
              let sync: LoadResult;
              try {
                sync = await runOpenLoop({
                  baseUrl: baseline.url,
                  path: app.orderPath,
                  headers: { 'Content-Type': 'application/json' },
                  body: orderBody(`${runId}-sync`),
                  ratePerSecond: options.syncRate,
                  durationSeconds: options.durationSeconds,
                  okStatus: 200,
                });
              } finally {
                await baseline.stop();
              }
              let queued = phases.get(options.syncRate);
              if (queued === undefined) {
                log(`queueflow at the same rate: ${options.syncRate} requests/s`);
                queued = await orderLoad(runtime, `${runId}-async`, options.syncRate, options.durationSeconds);
              }
              await drain(runtime);
              const [syncRow, asyncRow] = [loadRow(sync), loadRow(queued)];
              results.sync = {
                sync: syncRow,
                async: asyncRow,
                ratio: { p50: syncRow.latency.p50 / asyncRow.latency.p50, p99: syncRow.latency.p99 / asyncRow.latency.p99 },
                latencies: Object.fromEntries(app.orderConsumers.map(({ name, latency }) => [name, formatRange(parseLatencyRange(latency))])),
              };
            }),
          );
        }
        if (wants('saturation')) {
          const [steps, baselineSteps] = await saturation(sides, options, results.phaseLoads);
          results.saturation = steps;
          if (results.baseline) results.baseline.saturation = baselineSteps;
        }
      } finally {
        if (other !== undefined) await stopRuntime(other);
        await stopRuntime(runtime);
      }
    }

    if (wants('cost')) {
      log(`cost: ${options.costEvents} orders, counted by the runtime`);
      const architecture = functions[0]?.architecture === 'x86_64' ? 'x86_64' : 'arm64';
      results.cost = await phase('cost', () => cost(dataDir, assemblyDir, app, runId, options, architecture));
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }

  results.loadAverageAtEnd = [...sampleLoad().loadAverage];
  const verdict = comparability(results.phaseLoads, otherReasons(results, options));
  results.comparable = verdict.comparable;
  results.notComparableBecause = [...verdict.reasons];
  const table = render(results);
  console.log(table);
  if (!results.comparable) log(`warning: these results are not comparable: ${results.notComparableBecause.join('; ')}`);
  const resultsDir = join(PROJECT_DIR, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  // A quick or partial run never overwrites the day's full results, and no run overwrites an earlier one.
  const base = join(resultsDir, `${results.startedAt.slice(0, 10)}${options.quick ? '-quick' : ''}${options.skip.size > 0 ? '-partial' : ''}`);
  let stem = base;
  for (let n = 2; existsSync(`${stem}.json`) || existsSync(`${stem}.md`); n += 1) stem = `${base}-${n}`;
  writeFileSync(`${stem}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${stem}.md`, `${table}\n`);
  log(`wrote ${stem}.json and .md`);
  return 0;
}

await runScript(USAGE, main);
