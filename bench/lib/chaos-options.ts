/**
 * What the chaos scripts (`npm run chaos`, `npm run chaos:ordered`) share on their command line:
 * the injected fault rates, number checks, the timestamped log and the optional runtime log file.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultConfig } from '../../lib/local/faults.ts';
import { numberOption } from '../../lib/shared/usage.ts';
import { startRuntime, type RuntimeProcess } from './runtime.ts';

/** The defaults of the issue: 20 % transient failures, 5 % crashes after the effect, 10 % duplicates. */
export const DEFAULT_FAULTS: Required<FaultConfig> = { transientFailureRate: 0.2, crashAfterEffectRate: 0.05, duplicateDeliveryRate: 0.1, seed: 42 };

/** The parseArgs options both scripts take: the faults, the kill -9, the runtime log and help. */
export const FAULT_OPTIONS = {
  seed: { type: 'string', default: String(DEFAULT_FAULTS.seed) },
  transient: { type: 'string', default: String(DEFAULT_FAULTS.transientFailureRate) },
  crash: { type: 'string', default: String(DEFAULT_FAULTS.crashAfterEffectRate) },
  duplicate: { type: 'string', default: String(DEFAULT_FAULTS.duplicateDeliveryRate) },
  kill: { type: 'boolean', default: true },
  'runtime-log': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** The report's first line: the faults the run injected. */
export const printFaults = (faults: FaultConfig): void =>
  console.log(
    `\nfaults: transient ${faults.transientFailureRate}, crash after effect ${faults.crashAfterEffectRate}, duplicate delivery ${faults.duplicateDeliveryRate}, seed ${faults.seed}\n`,
  );

export const positive = (name: string, text: string, integer: boolean): number => numberOption(`--${name}`, text, { positive: true, integer });
export const rateOf = (name: string, text: string): number => numberOption(`--${name}`, text, { min: 0, max: 1, noun: 'rate' });

/** The faults given on the command line. */
export const faultsOf = (values: { seed: string; transient: string; crash: string; duplicate: string }): FaultConfig => ({
  transientFailureRate: rateOf('transient', values.transient),
  crashAfterEffectRate: rateOf('crash', values.crash),
  duplicateDeliveryRate: rateOf('duplicate', values.duplicate),
  seed: positive('seed', values.seed, true),
});

/** A line of progress, with the time. */
export const logProgress = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/**
 * Where the runtime's lines go with `--runtime-log FILE`: function logs only when asked for,
 * since printing them costs the runtime's event loop.
 */
export const runtimeLogOf = (file: string | undefined): { onLine?: (line: string) => void } => {
  if (file === undefined) return {};
  const stream = createWriteStream(file);
  return { onLine: (line) => stream.write(`${new Date().toISOString()} ${line}\n`) };
};

/** Prints the closing verdict: `ok` when there is no violation, else the first 50 violations. */
export const printViolations = (violations: readonly string[], ok: string): void => {
  if (violations.length === 0) {
    console.log(`\n${ok}`);
    return;
  }
  console.log(`\n${violations.length} violation(s):`);
  for (const violation of violations.slice(0, 50)) console.log(`  - ${violation}`);
  if (violations.length > 50) console.log(`  … and ${violations.length - 50} more`);
};

/**
 * Synthesizes the sample into a temp folder, starts a runtime on a temp data folder with the
 * faults, runs `scenario` on it (which hands back the runtime then running, after a kill -9 and
 * restart) and stops it and removes the folder whatever happens.
 */
export async function withChaosRuntime(
  prefix: string,
  faults: FaultConfig,
  runtimeLog: string | undefined,
  scenario: (runtime: RuntimeProcess) => Promise<{ runtime: RuntimeProcess; exitCode: number }>,
): Promise<number> {
  const workDir = mkdtempSync(join(tmpdir(), prefix));
  let runtime: RuntimeProcess | undefined;
  try {
    logProgress('synthesizing the sample and starting the local runtime with faults …');
    runtime = await startRuntime({ dataDir: join(workDir, 'data'), assemblyDir: join(workDir, 'cdk.out'), synth: true, faults, ...runtimeLogOf(runtimeLog) });
    const result = await scenario(runtime);
    runtime = result.runtime;
    return result.exitCode;
  } finally {
    await runtime?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}
