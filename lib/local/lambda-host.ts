/**
 * Runs the stack's Lambda functions from their built assets in cdk.out, one worker thread per
 * execution environment.
 *
 * Why worker threads: each gets its own `process.env`, module graph and heap (capped at the
 * function's memory size), can be killed mid-loop when it times out, and an invocation is one
 * `postMessage` away (well under a millisecond), where a child process would cost ~40 MB and a
 * JSON pipe per environment. Like Lambda, an environment runs one invocation at a time; a function
 * invoked concurrently gets a small pool that grows on demand. A reload replaces the environments,
 * which is also the only way to bust Node's ESM import cache.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { FaultInjector, InjectedFaults, type FaultConfig, type InjectedFault } from './faults.ts';
import type { InvokeMessage, OutputChunk, WorkerInit, WorkerReply } from './lambda-protocol.ts';
import type { LocalFunction } from './model.ts';

/** Where a log line came from: the function's stdout or stderr, or the host (REPORT and error lines). */
export type LogStream = 'stdout' | 'stderr' | 'host';

export interface LambdaHostOptions {
  readonly functions: readonly LocalFunction[];
  /** The local AWS endpoint, given to every function as `AWS_ENDPOINT_URL`. */
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /**
   * Receives each line a function writes to stdout/stderr, and the host's REPORT/error lines
   * (`'host'`), with the request id of the invocation running in that environment when the line
   * arrived, if any.
   */
  readonly log: (functionName: string, line: string, stream: LogStream, requestId?: string) => void;
  /** Called once per invocation when it has ended, after its REPORT line. */
  readonly onInvocation?: (invocation: EndedInvocation) => void;
  /** Applied to invocations made with `{ source: 'sqs' }` only. */
  readonly faults?: FaultConfig;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** Execution environments per function, at most. @default {@link DEFAULT_MAX_ENVIRONMENTS} */
  readonly maxEnvironmentsPerFunction?: number;
  /**
   * Limit of the init phase (importing the bundle). Lambda's is 10 s; locally cold starts compete
   * with everything else on the developer's cores, so the default is looser. @default 30_000
   */
  readonly initTimeoutMs?: number;
  /**
   * Functions whose first environments start at once; the others' start when these are warm, so
   * that the ones a caller waits for (those behind API routes) get the cores first.
   * @default every function at once
   */
  readonly warmFirst?: readonly string[];
}

/** What {@link LambdaHostOptions.onInvocation} receives. */
export interface EndedInvocation {
  readonly fn: LocalFunction;
  /** Wall-clock start. */
  readonly startedAt: Date;
  readonly source?: InvokeOptions['source'];
  readonly event: unknown;
  readonly result: InvokeResult;
}

export interface InvokeOptions {
  /** Who invokes: faults are injected only into `sqs` (event-source mapping) invocations. */
  readonly source?: 'api' | 'sqs';
}

interface InvokeOutcome {
  readonly requestId: string;
  readonly durationMs: number;
  /** The fault injected into this invocation, if any (see faults.ts). */
  readonly injectedFault?: InjectedFault;
}

/** The outcome of one invocation; a function error is a value, not an exception. */
export type InvokeResult =
  | (InvokeOutcome & { readonly ok: true; readonly result: unknown })
  | (InvokeOutcome & {
      readonly ok: false;
      /** `error.name` of what the handler threw, or `Sandbox.Timedout`, `Runtime.*`. */
      readonly errorType: string;
      readonly errorMessage: string;
      readonly timedOut: boolean;
    });

/** `invoke` named a function the host does not run. */
export class UnknownFunctionError extends Error {
  constructor(logicalId: string, options?: ErrorOptions) {
    super(`No local function with logical id ${logicalId}`, options);
    this.name = 'UnknownFunctionError';
  }
}

type Settled = { ok: true; result: unknown } | { ok: false; errorType: string; errorMessage: string; timedOut: boolean };

function failure(errorType: string, errorMessage: string, timedOut = false): Settled {
  return { ok: false, errorType, errorMessage, timedOut };
}

// A sibling of this file with its extension: .ts when run from source, .js once compiled.
/** Whether the function's handler module has a source map beside it (`index.mjs.map`). */
function hasSourceMap(fn: LocalFunction): boolean {
  const modulePath = fn.handler.slice(0, fn.handler.lastIndexOf('.'));
  return ['.mjs', '.js', '.cjs'].some((extension) => existsSync(join(fn.assetDir, `${modulePath}${extension}.map`)));
}

const workerUrl = new URL(`./lambda-worker${extname(new URL(import.meta.url).pathname)}`, import.meta.url);

/** One execution environment: a worker that has imported one version of one function. */
class ExecutionEnvironment {
  readonly generation: number;
  readonly ready: Promise<void>;
  /** Set once the worker is gone or being killed; the pool never hands it out again. */
  dead = false;
  /** Init duration, reported on the environment's first invocation only (as Lambda's REPORT line). */
  initDurationMs?: number;
  /** The invocation running here, for attributing the lines the function writes. */
  requestId?: string;
  readonly #worker: Worker;
  readonly #timeoutMs: number;
  #nextId = 0;
  #pending?: { id: number; settle: (outcome: Settled) => void };
  readonly #log: (line: string, stream: LogStream, requestId?: string) => void;
  readonly #partial: Record<OutputChunk['stream'], string> = { stdout: '', stderr: '' };

  constructor(fn: LocalFunction, generation: number, env: Record<string, string>, init: WorkerInit, initTimeoutMs: number, log: (line: string, stream: LogStream, requestId?: string) => void) {
    this.generation = generation;
    this.#timeoutMs = fn.timeoutSeconds * 1000;
    const startedAt = performance.now();
    this.#worker = new Worker(workerUrl, {
      workerData: init,
      env,
      // A bare Node, as Lambda's runtime: no tsx loader or inspector flags from the host process.
      execArgv: [],
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: fn.memorySizeMb },
    });
    // The worker sends what the function writes as 'output' messages (lambda-worker.ts); its stdio
    // streams carry only what bypasses process.stdout and process.stderr.
    for (const [name, stream] of [['stdout', this.#worker.stdout], ['stderr', this.#worker.stderr]] as const) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => log(line, name, this.requestId));
    }
    this.#log = log;
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new InitError('Runtime.InitTimeout', `Init phase exceeded ${initTimeoutMs} ms`));
        this.kill();
      }, initTimeoutMs);
      const onMessage = (reply: WorkerReply): void => {
        if (reply.type === 'output') {
          this.#output(reply.chunks);
          return;
        }
        if (reply.type === 'ready') {
          this.initDurationMs = performance.now() - startedAt;
          resolve();
        } else if (reply.type === 'init-error') {
          reject(new InitError(reply.errorType, reply.errorMessage));
          this.kill();
        } else {
          this.#settle(reply.id, reply.type === 'result' ? { ok: true, result: JSON.parse(reply.payload) } : failure(reply.errorType, reply.errorMessage));
          return;
        }
        clearTimeout(timer);
      };
      this.#worker.on('message', onMessage);
      this.#worker.on('error', (error: Error & { code?: string }) => {
        this.dead = true;
        const type = error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'Runtime.OutOfMemory' : 'Runtime.UnhandledError';
        // Also when idle: a floating promise that rejects after the handler returned kills it.
        log(`ERROR ${type}: ${error.stack ?? `${error.name}: ${error.message}`}`, 'host', this.requestId);
        reject(new InitError(type, `${error.name}: ${error.message}`));
        clearTimeout(timer);
        if (this.#pending) this.#settle(this.#pending.id, failure(type, `${error.name}: ${error.message}`));
      });
      this.#worker.on('exit', (code) => {
        this.dead = true;
        reject(new InitError('Runtime.ExitError', `Runtime exited with error: exit status ${code}`));
        clearTimeout(timer);
        if (this.#pending) this.#settle(this.#pending.id, failure('Runtime.ExitError', `Runtime exited with error: exit status ${code}`));
      });
    });
    // Callers see init failures through `run`; this keeps an unobserved warm-up from crashing the host.
    this.ready.catch(() => undefined);
  }

  async run(event: unknown, awsRequestId: string): Promise<Settled> {
    try {
      await this.ready;
    } catch (error) {
      const initError = error as InitError;
      return failure(initError.name, initError.message);
    }
    if (this.dead) return failure('Runtime.ExitError', 'Runtime exited before the invocation');
    const id = ++this.#nextId;
    this.requestId = awsRequestId;
    return new Promise<Settled>((resolve) => {
      const timer = setTimeout(() => {
        // Lambda freezes then discards a timed-out environment; terminating the worker also stops
        // a handler stuck in a synchronous loop.
        this.#settle(id, failure('Sandbox.Timedout', `Task timed out after ${(this.#timeoutMs / 1000).toFixed(2)} seconds`, true));
        this.kill();
      }, this.#timeoutMs);
      this.#pending = {
        id,
        settle: (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        },
      };
      const message: InvokeMessage = { id, event, awsRequestId, deadline: Date.now() + this.#timeoutMs };
      this.#worker.postMessage(message);
    });
  }

  kill(): Promise<number> {
    this.dead = true;
    return this.#worker.terminate();
  }

  /** Logs each complete line; a line not yet ended waits for the rest, or for the invocation's end. */
  #output(chunks: readonly OutputChunk[]): void {
    for (const { stream, text } of chunks) {
      const lines = (this.#partial[stream] + text).split(/\r?\n/);
      this.#partial[stream] = lines.pop()!;
      for (const line of lines) this.#log(line, stream, this.requestId);
    }
  }

  /** An unfinished last line belongs to the invocation that wrote it: logged before its REPORT line. */
  #endPartialLines(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.#partial[stream] === '') continue;
      this.#log(this.#partial[stream], stream, this.requestId);
      this.#partial[stream] = '';
    }
  }

  #settle(id: number, outcome: Settled): void {
    if (this.#pending?.id !== id) return;
    this.#endPartialLines();
    const { settle } = this.#pending;
    this.#pending = undefined;
    this.requestId = undefined;
    settle(outcome);
  }
}

class InitError extends Error {
  constructor(name: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = name;
  }
}

/**
 * The execution environments of one function; `generation` changes on every reload.
 *
 * When every environment is busy, the invocation waits for the first one to become free while a
 * new one starts in the background (up to the cap). Lambda would give that invocation the cold
 * start; locally a worker's init costs far more than a typical invocation, so taking whichever
 * environment is free first keeps bursts from turning into tail latency, and the pool still grows
 * to the concurrency the load sustains.
 */
/**
 * Execution environments per function by default: the machine's cores, at least 2 and at most 10.
 * Each environment is a V8 isolate with its own JIT and its own init; on two cores, ten of them per
 * function (the earlier default) spread a burst's invocations over isolates still running cold
 * code and starting up, and at 45 orders/s the 202's p99 was 3.5–4.3 s against 1.0–1.4 s with
 * two (docs/performance.md, "Where the runtime's CPU goes"). Handlers that mostly wait on a slow
 * downstream want more: `queueflow local --max-environments <n>`.
 */
export const DEFAULT_MAX_ENVIRONMENTS = Math.min(10, Math.max(2, availableParallelism()));

class FunctionPool {
  fn: LocalFunction;
  generation = 0;
  readonly #spawn: (pool: FunctionPool) => ExecutionEnvironment;
  readonly #max: number;
  readonly #all = new Set<ExecutionEnvironment>();
  #idle: ExecutionEnvironment[] = [];
  #starting = 0;
  #closed = false;
  #waiters: ((env: ExecutionEnvironment | undefined) => void)[] = [];

  constructor(fn: LocalFunction, max: number, spawn: (pool: FunctionPool) => ExecutionEnvironment) {
    this.fn = fn;
    this.#max = max;
    this.#spawn = spawn;
  }

  /** Starts one environment of the current code ahead of the first invocation (no cold start then). */
  warm(): void {
    if (!this.#closed && ![...this.#all].some((env) => env.generation === this.generation)) this.#idle.push(this.#create());
    this.#markStarted();
  }

  // Declared before `started`, whose initializer sets it (fields initialize in order).
  #markStarted!: () => void;
  /** Settles once this pool has had an environment to wait for: its warm-up or its first invocation's. */
  readonly started: Promise<void> = new Promise((resolve) => (this.#markStarted = resolve));

  /** Settles when the environments started so far have finished init; never rejects. */
  async warmed(): Promise<void> {
    await Promise.allSettled([...this.#all].map((env) => env.ready));
  }

  /** An environment to run one invocation on, or undefined once the pool is closed. */
  acquire(): Promise<ExecutionEnvironment | undefined> {
    if (this.#closed) return Promise.resolve(undefined);
    let env = this.#idle.pop();
    // An environment can die while idle (a stray timer throwing, a failed warm-up).
    while (env?.dead) {
      this.#all.delete(env);
      env = this.#idle.pop();
    }
    if (env) return Promise.resolve(env);
    const waiting = new Promise<ExecutionEnvironment | undefined>((resolve) => this.#waiters.push(resolve));
    this.#grow();
    return waiting;
  }

  release(env: ExecutionEnvironment): void {
    if (env.dead || env.generation !== this.generation) {
      this.#all.delete(env);
      void env.kill();
      this.#grow();
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) waiter(env);
    else this.#idle.push(env);
  }

  /** New code: idle environments go now, busy ones when their invocation ends (see `release`). */
  reload(fn: LocalFunction): void {
    this.fn = fn;
    this.generation += 1;
    const stale = this.#idle;
    this.#idle = [];
    for (const env of stale) {
      this.#all.delete(env);
      void env.kill();
    }
    this.warm();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#markStarted();
    this.#idle = [];
    for (const waiter of this.#waiters.splice(0)) waiter(undefined);
    await Promise.all([...this.#all].map((env) => env.kill()));
    this.#all.clear();
  }

  /** Starts an environment in the background for a waiting invocation, if the cap allows. */
  #grow(): void {
    if (this.#closed || this.#waiters.length <= this.#starting || this.#all.size >= this.#max) return;
    const env = this.#create();
    this.#starting += 1;
    void env.ready
      .catch(() => undefined)
      .finally(() => {
        this.#starting -= 1;
        if (!env.dead || this.#waiters.length === 0) return this.release(env);
        // Broken code: the waiter gets this environment, whose `run` reports the init error
        // (retrying init for it would spin for as long as the code stays broken).
        this.#all.delete(env);
        this.#waiters.shift()!(env);
      });
  }

  #create(): ExecutionEnvironment {
    const env = this.#spawn(this);
    this.#all.add(env);
    this.#markStarted();
    return env;
  }
}

/**
 * Hosts the stack's functions for the local runtime.
 *
 * @example
 * ```ts
 * const host = new LambdaHost({ functions: model.functions, endpoint, region, credentials, log: console.log });
 * const result = await host.invoke('ProducerFn1234', apiGatewayEvent);
 * if (!result.ok) console.error(result.errorType, result.errorMessage);
 * await host.stop();
 * ```
 */
export class LambdaHost {
  readonly #options: LambdaHostOptions;
  readonly #pools = new Map<string, FunctionPool>();
  readonly #stats = new Map<string, { invocations: number; errors: number }>();
  readonly #faults?: FaultInjector;

  constructor(options: LambdaHostOptions) {
    this.#options = options;
    if (options.faults) this.#faults = new FaultInjector(options.faults);
    const first = new Set(options.warmFirst ?? options.functions.map((fn) => fn.logicalId));
    const later = options.functions.filter((fn) => !first.has(fn.logicalId)).map((fn) => this.#addPool(fn, false));
    for (const fn of options.functions) if (first.has(fn.logicalId)) this.#addPool(fn);
    if (later.length > 0) void this.ready([...first]).then(() => later.forEach((pool) => pool.warm()));
  }

  /**
   * Invokes a function synchronously (RequestResponse). Resolves with the handler's JSON-serialized
   * result or its error; rejects only with {@link UnknownFunctionError}.
   */
  async invoke(functionLogicalId: string, event: unknown, options: InvokeOptions = {}): Promise<InvokeResult> {
    const pool = this.#pools.get(functionLogicalId);
    if (!pool) throw new UnknownFunctionError(functionLogicalId);
    const fn = pool.fn;
    const requestId = randomUUID();
    const startedAt = performance.now();
    const startedAtWallClock = new Date();
    const injectedFault = options.source === 'sqs' ? this.#faults?.draw() : undefined;
    const stats = this.#statsOf(fn.name);
    stats.invocations += 1;

    let settled: Settled;
    let initDurationMs: number | undefined;
    const env = injectedFault === InjectedFaults.Transient ? undefined : await pool.acquire();
    if (injectedFault === InjectedFaults.Transient) {
      settled = failure('QueueflowInjectedFault', 'Injected transient failure: the handler did not run');
    } else if (!env) {
      settled = failure('Runtime.HostStopped', 'The local Lambda host has stopped');
    } else {
      initDurationMs = env.initDurationMs;
      env.initDurationMs = undefined;
      settled = await env.run(event, requestId);
      pool.release(env);
      if (settled.ok && injectedFault === InjectedFaults.CrashAfterEffect) {
        settled = failure('QueueflowInjectedFault', 'Injected crash after the handler ran: its result was discarded');
      }
    }

    const durationMs = performance.now() - startedAt;
    if (!settled.ok) {
      stats.errors += 1;
      this.#options.log(fn.name, `ERROR RequestId: ${requestId} ${settled.errorType}: ${settled.errorMessage}`, 'host', requestId);
    }
    const init = initDurationMs === undefined ? '' : `\tInit Duration: ${initDurationMs.toFixed(2)} ms`;
    this.#options.log(fn.name, `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tMemory Size: ${fn.memorySizeMb} MB${init}`, 'host', requestId);
    const result: InvokeResult = { ...settled, requestId, durationMs, ...(injectedFault ? { injectedFault } : {}) };
    this.#options.onInvocation?.({ fn, startedAt: startedAtWallClock, ...(options.source ? { source: options.source } : {}), event, result });
    return result;
  }

  /**
   * Replaces the functions' code and configuration. Every listed function gets fresh environments
   * (a rebuilt bundle may sit in the same folder, so an unchanged definition proves nothing);
   * in-flight invocations finish on the old code; removed functions are stopped.
   */
  async reload(functions: readonly LocalFunction[]): Promise<void> {
    const next = new Map(functions.map((fn) => [fn.logicalId, fn]));
    const removed = [...this.#pools].filter(([logicalId]) => !next.has(logicalId));
    for (const [logicalId] of removed) this.#pools.delete(logicalId);
    await Promise.all([this.replace(functions), ...removed.map(([, pool]) => pool.close())]);
  }

  /**
   * New code or configuration for the listed functions only (a function absent from the host is
   * added); the others keep their environments. Give a function a new code folder with
   * `{ ...fn, assetDir }`. Resolves once the listed functions' new environments have finished
   * their init phase (successfully or not), so the caller can say the new code is live.
   */
  async replace(functions: readonly LocalFunction[]): Promise<void> {
    const pools = functions.map((fn) => {
      const pool = this.#pools.get(fn.logicalId);
      if (!pool) return this.#addPool(fn);
      pool.reload(fn);
      return pool;
    });
    await Promise.all(pools.map((pool) => pool.warmed()));
  }

  /**
   * Resolves once the first environment of each function (of those listed, or of all) has finished
   * its init phase (successfully or not), so a caller that awaits it before announcing readiness
   * serves its first request warm. A function whose warm-up waits for `warmFirst` is waited for too.
   */
  async ready(logicalIds?: readonly string[]): Promise<void> {
    const pools = logicalIds === undefined ? [...this.#pools.values()] : logicalIds.flatMap((id) => this.#pools.get(id) ?? []);
    await Promise.all(pools.map((pool) => pool.started.then(() => pool.warmed())));
  }

  /** Invocations and errors per function name, since start. */
  stats(): Record<string, { invocations: number; errors: number }> {
    return Object.fromEntries([...this.#stats].map(([name, s]) => [name, { ...s }]));
  }

  /** Terminates every environment; in-flight invocations fail with `Runtime.ExitError`. */
  async stop(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((pool) => pool.close()));
  }

  #statsOf(name: string): { invocations: number; errors: number } {
    let stats = this.#stats.get(name);
    if (!stats) this.#stats.set(name, (stats = { invocations: 0, errors: 0 }));
    return stats;
  }

  #addPool(fn: LocalFunction, warm = true): FunctionPool {
    const pool = new FunctionPool(fn, this.#options.maxEnvironmentsPerFunction ?? DEFAULT_MAX_ENVIRONMENTS, (p) => this.#spawn(p));
    this.#pools.set(fn.logicalId, pool);
    this.#statsOf(fn.name);
    if (warm) pool.warm();
    return pool;
  }

  #spawn(pool: FunctionPool): ExecutionEnvironment {
    const { fn, generation } = pool;
    const { region, accountId = '000000000000' } = this.#options;
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    const logGroupName = `/aws/lambda/${fn.name}`;
    const logStreamName = `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
    const init: WorkerInit = {
      assetDir: fn.assetDir,
      handler: fn.handler,
      functionName: fn.name,
      memorySizeMb: fn.memorySizeMb,
      invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${fn.name}`,
      logGroupName,
      logStreamName,
      // Readable stack traces while developing: the bundle's map when it has one, whether or not the
      // deployed function enables it (queueflow's do not, for their first error's sake).
      sourceMaps: /--enable-source-maps/.test(fn.environment.NODE_OPTIONS ?? '') || hasSourceMap(fn),
    };
    // Lambda's reserved variables win over the template's, as in AWS.
    const env: Record<string, string> = {
      ...fn.environment,
      AWS_ENDPOINT_URL: this.#options.endpoint,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: this.#options.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: this.#options.credentials.secretAccessKey,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySizeMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: logGroupName,
      AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      _HANDLER: fn.handler,
      LAMBDA_TASK_ROOT: fn.assetDir,
      LANG: 'en_US.UTF-8',
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    };
    return new ExecutionEnvironment(fn, generation, env, init, this.#options.initTimeoutMs ?? 30_000, (line, stream, requestId) => this.#options.log(fn.name, line, stream, requestId));
  }
}
