/**
 * Starts the local runtime the way a user does — `bin/local.ts` in its own process — on free
 * ports and a temp data folder, and hands the test what it needs to drive it from outside: the
 * state file, real SDK clients on the one endpoint, and stop / kill -9 / restart.
 *
 * The child is `node --import tsx bin/local.ts` (not the `tsx` CLI, which would put a second
 * process in between), so `kill9()` really kills the runtime as a crash would. The assembly is
 * synthesized once per test run by `global-setup.ts`; the runtime is started with `--no-synth`.
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
import type { FaultConfig } from '../../../lib/local/faults.ts';
import type { LocalState } from '../../../lib/local/state-file.ts';

export const PROJECT_DIR = fileURLToPath(new URL('../../..', import.meta.url));

export interface StartRuntimeOptions {
  /** Where queues, messages and tables persist; a new temp folder when omitted. */
  readonly dataDir?: string;
  /** Fault injection, passed as `QUEUEFLOW_FAULTS`. */
  readonly faults?: FaultConfig;
  /** More flags for `bin/local.ts` (e.g. `['--stack', 'Other']`). */
  readonly extraArgs?: readonly string[];
  /** Print the runtime's output (function logs) to the test's stdout. @default false */
  readonly verbose?: boolean;
  /** @default 60_000 */
  readonly readyTimeoutMs?: number;
  /** Run `cdk synth` first instead of `--no-synth` (the suite's assembly). @default false */
  readonly synth?: boolean;
  /** Watch `lambdas/` and hot-reload instead of `--no-watch`. @default false */
  readonly watch?: boolean;
  /** The project the runtime runs in (its cdk.json, cdk.out, lambdas/). @default this repository */
  readonly projectDir?: string;
}

export interface RuntimeClients {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
}

export interface TestRuntime {
  /** The state file's content; the sample API declares a key, so `apiKey` is set. */
  readonly state: LocalState & { readonly apiKey: string };
  /** The API's base URL with a trailing slash: `${apiUrl}orders`. */
  readonly apiUrl: string;
  readonly endpoint: string;
  readonly dataDir: string;
  readonly pid: number;
  readonly clients: RuntimeClients;
  /** The stack output `key` from the state file; throws `MissingOutputError` when there is none. */
  outputOf(key: string): string;
  /** Every line the runtime printed so far (stdout and stderr). */
  output(): string;
  /** The process's exit code once it has exited (0 after a clean stop), else null. */
  exitCode(): number | null;
  /** Resolves with the first output line (from now on, or already printed) matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** POST JSON to an API route (`'orders'`), with the API key and JSON content type. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** SIGTERM, wait for a clean exit; removes the data folder if this harness created it. */
  stop(): Promise<void>;
  /** SIGKILL: no cleanup, as in a crash. The data folder is kept for `restart()`. */
  kill9(): Promise<void>;
  /** Stops this runtime if it still runs (cleanly) and starts a new one on the same data folder. */
  restart(): Promise<TestRuntime>;
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
// A failed test must not leave a runtime holding ports on a shared machine.
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/**
 * @example
 * const runtime = await startRuntime();
 * const response = await runtime.post('orders', order);
 * await runtime.stop();
 */
export async function startRuntime(options: StartRuntimeOptions = {}): Promise<TestRuntime> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'queueflow-data-'));
  return launch(options, dataDir, ownsDataDir);
}

/** Runs `bin/local.ts` with `args` to completion, for tests of flags and exit codes. */
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

async function launch(options: StartRuntimeOptions, dataDir: string, ownsDataDir: boolean): Promise<TestRuntime> {
  const stateFile = join(dataDir, 'local.json');
  rmSync(stateFile, { force: true });
  const args = [join(PROJECT_DIR, 'bin/queueflow.mjs'), 'local', '--port', '0', '--aws-port', '0', '--data-dir', dataDir, '--state-file', stateFile];
  if (!options.synth) args.push('--no-synth');
  if (!options.watch) args.push('--no-watch');
  args.push(...(options.verbose ? [] : ['--quiet']), ...(options.extraArgs ?? []));
  const env = { ...process.env, QUEUEFLOW_FAULTS: options.faults ? JSON.stringify(options.faults) : '' };
  const child = spawn(process.execPath, args, { cwd: options.projectDir ?? PROJECT_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (options.verbose) console.log(line);
      for (const waiter of waiters) {
        if (waiter.pattern.test(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    });
  }

  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let state: TestRuntime['state'] | undefined;
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
      const candidate = JSON.parse(readFileSync(stateFile, 'utf8')) as LocalState;
      if (candidate.pid === child.pid) state = candidate as TestRuntime['state'];
    }
    if (state === undefined) await sleep(50);
  }

  const config = { endpoint: state.endpoint, region: state.region, credentials: state.credentials };
  const clients: RuntimeClients = { sqs: new SQSClient(config), sns: new SNSClient(config), dynamodb: new DynamoDBClient(config) };
  const destroyClients = () => Object.values(clients).forEach((client: { destroy(): void }) => client.destroy());
  const terminate = async (signal: NodeJS.Signals) => {
    destroyClients();
    if (child.exitCode === null && child.signalCode === null) {
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
    pid: child.pid!,
    clients,
    outputOf: (key) => {
      const value = ready.outputs[key];
      if (value === undefined) throw new MissingOutputError(key, Object.keys(ready.outputs));
      return value;
    },
    output: () => lines.join('\n'),
    exitCode: () => child.exitCode,
    waitForLine: (pattern, timeoutMs = 60_000) => {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { pattern, resolve: (line: string) => (clearTimeout(timer), resolve(line)) };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new RuntimeStartError(`No output line matched ${pattern} within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`));
        }, timeoutMs);
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
    async restart() {
      await terminate('SIGTERM');
      return launch(options, dataDir, ownsDataDir);
    },
  };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
