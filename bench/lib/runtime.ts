/**
 * Starts the local runtime (`bin/local.ts`) as a child process for the benchmark and the chaos
 * run, on free ports and a given data folder, and can stop it, kill it with SIGKILL and restart
 * it on the same folder.
 *
 * The child is `node --import tsx bin/local.ts`, one process, so SIGKILL really kills the whole
 * runtime (the `tsx` CLI would put a second process in between that survives its parent).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { LocalState } from '../../lib/local/state-file.ts';

export const PROJECT_DIR = fileURLToPath(new URL('../..', import.meta.url));

export interface FaultSettings {
  readonly transientFailureRate?: number;
  readonly crashAfterEffectRate?: number;
  readonly duplicateDeliveryRate?: number;
  readonly seed?: number;
}

export interface LaunchOptions {
  /** Where queues, messages and tables persist; kept across restarts. */
  readonly dataDir: string;
  /**
   * The cloud assembly to run. A private folder keeps the measurement independent of anyone
   * else re-synthesizing the project's cdk.out meanwhile.
   */
  readonly assemblyDir: string;
  readonly faults?: FaultSettings;
  /** Run `cdk synth` into `assemblyDir` first. @default false */
  readonly synth?: boolean;
  /** Every line the runtime prints (function logs and REPORT lines unless `quiet`). */
  readonly onLine?: (line: string) => void;
  /** @default true */
  readonly quiet?: boolean;
  /** @default 300_000: a first synth bundles every function */
  readonly readyTimeoutMs?: number;
}

export interface RuntimeHandle {
  readonly state: LocalState & { readonly apiKey: string };
  readonly pid: number;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<void>;
  /** SIGKILL: no cleanup, no flush; in-flight work is lost as in a crash. */
  kill9(): Promise<void>;
  /** Starts a new runtime on the same data folder (without synth) and returns it. */
  restart(): Promise<RuntimeHandle>;
}

/** The runtime exited or did not become ready. */
export class RuntimeLaunchError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RuntimeLaunchError';
  }
}

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));

/** Starts the runtime and resolves once it has written its state file. */
export async function launchRuntime(options: LaunchOptions): Promise<RuntimeHandle> {
  const controlDir = mkdtempSync(join(tmpdir(), 'queueflow-bench-'));
  const stateFile = join(controlDir, 'local.json');
  const args = ['bin/queueflow.mjs', 'local', '--port', '0', '--aws-port', '0', '--data-dir', options.dataDir];
  args.push('--state-file', stateFile, '--assembly', options.assemblyDir, '--no-watch');
  if (!options.synth) args.push('--no-synth');
  if (options.quiet ?? true) args.push('--quiet');
  if (options.faults) {
    const faultsFile = join(controlDir, 'faults.json');
    writeFileSync(faultsFile, JSON.stringify(options.faults));
    args.push('--faults', faultsFile);
  }
  const child = spawn(process.execPath, args, { cwd: PROJECT_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  // Never leave a runtime behind when the measuring process ends, however it ends.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream! }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      options.onLine?.(line);
    });
  }

  const deadline = Date.now() + (options.readyTimeoutMs ?? 300_000);
  let state: LocalState | undefined;
  while (state === undefined) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new RuntimeLaunchError(`The local runtime exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail.join('\n')}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new RuntimeLaunchError(`The local runtime was not ready in ${options.readyTimeoutMs ?? 300_000} ms:\n${tail.join('\n')}`);
    }
    if (existsSync(stateFile)) state = JSON.parse(readFileSync(stateFile, 'utf8')) as LocalState;
    else await sleep(100);
  }
  if (state.apiKey === undefined) throw new RuntimeLaunchError('The local runtime state has no apiKey; the sample API requires one');
  const ready = state as RuntimeHandle['state'];

  const handle: RuntimeHandle = {
    state: ready,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited(child), sleep(15_000)]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited(child);
      }
      rmSync(controlDir, { recursive: true, force: true });
    },
    async kill9() {
      child.kill('SIGKILL');
      await exited(child);
      rmSync(controlDir, { recursive: true, force: true });
    },
    restart: () => launchRuntime({ ...options, synth: false }),
  };
  return handle;
}
