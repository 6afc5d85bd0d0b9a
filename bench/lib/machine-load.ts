/**
 * How busy the machine was around each measured phase, and whether that leaves the run's figures
 * comparable with another machine's or another day's.
 *
 * Everything the bench measures (the runtime's event loop, its Lambda worker threads, fauxqs,
 * dynalite) and the load generator share this machine's cores. At saturation they keep several
 * cores busy, so another program holding half the cores turns a measurement of the runtime into a
 * measurement of the contention: latency grows with the scheduler's queue and throughput falls.
 */
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The 1-minute load average per core above which a phase does not start on a quiet machine: half
 * the cores already have a runnable task before the bench adds its own several.
 */
export const QUIET_LOAD_PER_CORE = 0.5;

/**
 * The 1-minute load average decays with a one-minute time constant and includes the bench's own
 * previous phase, so a phase first waits (up to this long) for it to fall under the threshold:
 * from 1.0 per core that takes about 42 s on a machine that is otherwise idle.
 */
export const SETTLE_TIMEOUT_MS = 90_000;

export interface LoadSample {
  /** 1-, 5- and 15-minute load averages, two decimals. */
  readonly loadAverage: readonly [number, number, number];
  /** The 1-minute load average divided by the number of cores. */
  readonly perCore: number;
}

export interface PhaseLoad {
  readonly phase: string;
  readonly before: LoadSample;
  readonly after: LoadSample;
  /** The seconds the phase waited for the load to settle (0 when it was already quiet). */
  readonly waitedSeconds: number;
  /** The 1-minute load average per core before the phase was at most QUIET_LOAD_PER_CORE. */
  readonly quiet: boolean;
}

export interface Comparability {
  readonly comparable: boolean;
  /** Why not, one line each; empty when comparable. */
  readonly reasons: readonly string[];
}

const round = (value: number) => Math.round(value * 100) / 100;

export const sampleLoad = (): LoadSample => {
  const [one, five, fifteen] = loadavg().map(round) as [number, number, number];
  return { loadAverage: [one, five, fifteen], perCore: round(loadavg()[0]! / Math.max(1, cpus().length)) };
};

/**
 * Runs one phase with the load sampled before and after it. With `settle`, it first waits up to
 * SETTLE_TIMEOUT_MS for the 1-minute load per core to fall to QUIET_LOAD_PER_CORE.
 */
export const withPhaseLoad = async <T>(
  phase: string,
  settle: boolean,
  loads: PhaseLoad[],
  run: () => Promise<T>,
  log: (line: string) => void = () => undefined,
): Promise<T> => {
  const waitStarted = performance.now();
  let before = sampleLoad();
  if (settle && before.perCore > QUIET_LOAD_PER_CORE) {
    log(`${phase}: waiting for the load average to settle (${before.perCore} per core, above ${QUIET_LOAD_PER_CORE})`);
    while (before.perCore > QUIET_LOAD_PER_CORE && performance.now() - waitStarted < SETTLE_TIMEOUT_MS) {
      await sleep(5_000);
      before = sampleLoad();
    }
  }
  const waitedSeconds = Math.round((performance.now() - waitStarted) / 1000);
  const result = await run();
  const quiet = before.perCore <= QUIET_LOAD_PER_CORE;
  loads.push({ phase, before, after: sampleLoad(), waitedSeconds, quiet });
  if (!quiet) log(`warning: ${phase} started with a load average of ${before.loadAverage[0]} (${before.perCore} per core, above ${QUIET_LOAD_PER_CORE}): its figures are not comparable`);
  return result;
};

/** A run is comparable when every phase started on a quiet machine and nothing else in `otherReasons` holds. */
export const comparability = (loads: readonly PhaseLoad[], otherReasons: readonly string[] = []): Comparability => {
  const busy = loads.filter((load) => !load.quiet);
  const reasons = [
    ...otherReasons,
    ...(busy.length === 0
      ? []
      : [
          `the machine was busy: ${busy.length} of ${loads.length} phases started with a 1-minute load average above ${QUIET_LOAD_PER_CORE} per core ` +
            `(${busy.map((load) => `${load.phase} ${load.before.perCore}`).join(', ')})`,
        ]),
  ];
  return { comparable: reasons.length === 0, reasons };
};
