/**
 * Starts the local runtime the way a user does, `queueflow local` in its own process, for the
 * integration tests, the benchmark and the chaos run: on free ports, on a given or a temp data
 * folder, and hands back what driving it from outside needs: the state file, real SDK clients on
 * the one endpoint, its output, and stop / kill -9 / restart on the same data folder.
 *
 * The child is `node bin/queueflow.mjs local`, which loads tsx in the same process (not the `tsx`
 * CLI, which would put a second process in between that survives its parent), so `kill9()`
 * really kills the whole runtime, as a crash would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { FaultConfig } from '../../lib/local/faults.ts';
import type { LocalState } from '../../lib/local/state-file.ts';

export const PROJECT_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** Lines of output kept for `output()` and `waitForLine`; a long chaos run prints millions. */
const KEPT_LINES = 20_000;

export interface RuntimeOptions {
  /** Where queues, messages and tables persist; a new temp folder (removed by `stop()`) when omitted. */
  readonly dataDir?: string;
  /**
   * The cloud assembly to run (`--assembly`). A private folder keeps a measurement independent of
   * anyone re-synthesizing the project's cdk.out meanwhile.
   * @default the project's cdk.out
   */
  readonly assemblyDir?: string;
  /** Run `cdk synth` (into `assemblyDir`) first instead of `--no-synth`. Never on `restart()`. @default false */
  readonly synth?: boolean;
  /** Watch `lambdas/` and hot-reload instead of `--no-watch`. @default false */
  readonly watch?: boolean;
  /** Fault injection, passed as `QUEUEFLOW_FAULTS`. */
  readonly faults?: FaultConfig;
  /** More flags for `queueflow local` (e.g. `['--stack', 'Other']`). */
  readonly extraArgs?: readonly string[];
  /** Print the runtime's output to this process's stdout. @default false */
  readonly verbose?: boolean;
  /** Called with every line the runtime prints (stdout and stderr), in the `json` log format. */
  readonly onLine?: (line: string) => void;
  /**
   * `--quiet`: the runtime prints only its banner and errors, no function logs or REPORT lines.
   * @default true unless `verbose` or `onLine` is set
   */
  readonly quiet?: boolean;
  /** @default 60_000, or 300_000 with `synth` (a first synth bundles every function) */
  readonly readyTimeoutMs?: number;
  /** The project the runtime runs in (its cdk.json, cdk.out, lambdas/). @default this repository */
  readonly projectDir?: string;
  /**
   * The `queueflow` bin to run: another commit's, for the bench's baseline (bench/lib/baseline-runtime.ts).
   * @default this repository's bin/queueflow.mjs
   */
  readonly bin?: string;
  /** Flags of this launcher not to pass (each with its value), for a runtime of a commit that lacks them (e.g. `--console-port`). */
  readonly omitFlags?: readonly string[];
}

export interface RuntimeClients {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
}

/** A running local runtime, driven from outside. */
export interface RuntimeProcess {
  /** The state file's content; `apiKey` is set when the API declares a key (the sample's does). */
  readonly state: LocalState & { readonly apiKey: string };
  /** The API's base URL with a trailing slash: `${apiUrl}orders`. */
  readonly apiUrl: string;
  readonly endpoint: string;
  readonly dataDir: string;
  /** The cloud assembly the runtime runs. */
  readonly assemblyDir: string;
  readonly pid: number;
  readonly clients: RuntimeClients;
  /** The stack output `key` from the state file; throws `MissingOutputError` when there is none. */
  outputOf(key: string): string;
  /** The lines the runtime printed so far (stdout and stderr; the last 20,000). */
  output(): string;
  /** The process's exit code once it has exited (0 after a clean stop), else null. */
  exitCode(): number | null;
  /** Resolves with the first output line (from now on, or already printed) matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** POST JSON to an API route (`'orders'`), with the API key and JSON content type. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** SIGTERM and wait for a clean exit; removes the data folder if this launcher created it. */
  stop(): Promise<void>;
  /** SIGKILL: no cleanup, no flush; in-flight work is lost as in a crash. The data folder is kept for `restart()`. */
  kill9(): Promise<void>;
  /**
   * SIGSTOP: the whole process (its threads included) stops using the CPU until `resume()`, so
   * another runtime can be measured meanwhile. `stop()` and `restart()` resume it first.
   */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /** Stops this runtime if it still runs (cleanly) and starts a new one on the same data folder and assembly, without synth. */
  restart(): Promise<RuntimeProcess>;
}

/** The runtime exited or did not become ready; the message carries its last output. */
export class RuntimeStartError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RuntimeStartError';
  }
}

/** The stack has no output of that name: a renamed output or a typo in a test. */
export class MissingOutputError extends Error {
  constructor(key: string, available: readonly string[], options?: ErrorOptions) {
    super(`The local runtime has no stack output ${key} (outputs: ${available.join(', ')})`, options);
    this.name = 'MissingOutputError';
  }
}

const running = new Set<ChildProcess>();
// A failed test or an interrupted measurement must not leave a runtime holding ports on a shared machine.
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/**
 * Starts the runtime and resolves once it has written its state file.
 *
 * @example
 * const runtime = await startRuntime();
 * const response = await runtime.post('orders', order);
 * await runtime.stop();
 */
export async function startRuntime(options: RuntimeOptions = {}): Promise<RuntimeProcess> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'queueflow-data-'));
  return launch(options, dataDir, ownsDataDir);
}

/** Runs `queueflow local` with `args` to completion, for tests of flags and exit codes. */
export async function runLocalCli(args: readonly string[], timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['bin/queueflow.mjs', 'local', ...args], { cwd: PROJECT_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited(child);
  clearTimeout(timer);
  running.delete(child);
  return { code: child.exitCode, output };
}

async function launch(options: RuntimeOptions, dataDir: string, ownsDataDir: boolean): Promise<RuntimeProcess> {
  const projectDir = options.projectDir ?? PROJECT_DIR;
  const assemblyDir = options.assemblyDir ?? join(projectDir, 'cdk.out');
  const stateFile = join(dataDir, 'local.json');
  rmSync(stateFile, { force: true });
  const quiet = options.quiet ?? !(options.verbose || options.onLine);
  // Each flag with its value, so that `omitFlags` drops both.
  const flags = [['--port', '0'], ['--aws-port', '0'], ['--console-port', '0'], ['--data-dir', dataDir], ['--state-file', stateFile]];
  if (options.assemblyDir !== undefined) flags.push(['--assembly', options.assemblyDir]);
  if (!options.synth) flags.push(['--no-synth']);
  if (!options.watch) flags.push(['--no-watch']);
  if (quiet) flags.push(['--quiet']);
  // Raw function lines and REPORT lines: `onLine` readers parse them (bench/lib/cost.ts).
  flags.push(['--log-format', 'json']);
  const omitted = new Set(options.omitFlags ?? []);
  const args = [
    options.bin ?? join(PROJECT_DIR, 'bin/queueflow.mjs'),
    'local',
    ...flags.filter(([flag]) => !omitted.has(flag!)).flat(),
    ...(options.extraArgs ?? []),
  ];
  const env = { ...process.env, QUEUEFLOW_FAULTS: options.faults ? JSON.stringify(options.faults) : '' };
  const child = spawn(process.execPath, args, { cwd: projectDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (lines.length > KEPT_LINES) lines.shift();
      if (options.verbose) console.log(line);
      options.onLine?.(line);
      for (const waiter of waiters) {
        if (waiter.pattern.test(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    });
  }

  const timeoutMs = options.readyTimeoutMs ?? (options.synth ? 300_000 : 60_000);
  const deadline = Date.now() + timeoutMs;
  let state: RuntimeProcess['state'] | undefined;
  while (state === undefined) {
    if (child.exitCode !== null || child.signalCode !== null) {
      running.delete(child);
      throw new RuntimeStartError(`The local runtime exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${lines.slice(-40).join('\n')}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new RuntimeStartError(`The local runtime was not ready within ${timeoutMs} ms:\n${lines.slice(-40).join('\n')}`);
    }
    if (existsSync(stateFile)) {
      // A restart on the same data folder finds the state file of the runtime before it until this one writes its own.
      const candidate = JSON.parse(readFileSync(stateFile, 'utf8')) as LocalState;
      if (candidate.pid === child.pid) state = candidate as RuntimeProcess['state'];
    }
    if (state === undefined) await sleep(50);
  }

  const config = { endpoint: state.endpoint, region: state.region, credentials: state.credentials };
  const clients: RuntimeClients = { sqs: new SQSClient(config), sns: new SNSClient(config), dynamodb: new DynamoDBClient(config) };
  const terminate = async (signal: NodeJS.Signals) => {
    Object.values(clients).forEach((client: { destroy(): void }) => client.destroy());
    if (child.exitCode === null && child.signalCode === null) {
      // A paused process would hold a SIGTERM until it continues.
      child.kill('SIGCONT');
      child.kill(signal);
      await Promise.race([exited(child), sleep(20_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited(child);
    }
    running.delete(child);
  };

  const ready = state;
  return {
    state: ready,
    apiUrl: ready.apiUrl,
    endpoint: ready.endpoint,
    dataDir,
    assemblyDir,
    pid: child.pid!,
    clients,
    outputOf: (key) => {
      const value = ready.outputs[key];
      if (value === undefined) throw new MissingOutputError(key, Object.keys(ready.outputs));
      return value;
    },
    output: () => lines.join('\n'),
    exitCode: () => child.exitCode,
    waitForLine: (pattern, waitMs = 60_000) => {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { pattern, resolve: (line: string) => (clearTimeout(timer), resolve(line)) };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new RuntimeStartError(`No output line matched ${pattern} within ${waitMs} ms:\n${lines.slice(-20).join('\n')}`));
        }, waitMs);
        waiters.add(waiter);
      });
    },
    post: (path, body, headers = {}) =>
      fetch(new URL(path, ready.apiUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': ready.apiKey, ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async stop() {
      await terminate('SIGTERM');
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
    kill9: () => terminate('SIGKILL'),
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    async restart() {
      await terminate('SIGTERM');
      // The assembly is there now: a restart measures the runtime's start, not a synth.
      return launch({ ...options, synth: false, assemblyDir }, dataDir, ownsDataDir);
    },
  };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
