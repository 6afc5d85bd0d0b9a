import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AwsEndpointMethods, MainThreadMethods } from './aws-endpoint-protocol.ts';
import { AwsEndpointStoppedError } from './errors.ts';
import { ThreadChannel } from './thread-channel.ts';

export type LambdaStats = Record<string, { invocations: number; errors: number }>;

export interface ServicesOptions {
  /** Public endpoint port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  /** Folder for persisted state (fauxqs SQLite, dynalite LevelDB); in-memory when omitted. */
  readonly dataDir?: string;
  /** Lambda invocation counts for the stats endpoint (the Lambda host's `stats()`). */
  readonly lambdaStats?: () => LambdaStats;
}

export interface RequestStats {
  requests: Record<'sns' | 'sqs' | 'dynamodb' | 'sts' | 'secretsmanager', Record<string, number>>;
  /** Per table: DynamoDB requests refused because it was down (each one is in `requests.dynamodb` too). */
  outages: Record<string, { refused: number }>;
  lambda: LambdaStats;
}

export interface LocalServices {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly endpoint: string;
  readonly port: number;
  /** What `GET /_queueflow/stats` answers; asked of the endpoint's thread. */
  stats(): Promise<RequestStats>;
  /** What `POST /_queueflow/stats/reset` does. */
  resetStats(): Promise<void>;
  /** Sets where Lambda invocation counts come from (the host starts after the services). */
  setLambdaStats(source: () => LambdaStats): void;
  /** Closes the endpoint, flushes fauxqs's and dynalite's persisted state, and ends its thread. */
  close(): Promise<void>;
}

/** Stats and control routes live under this prefix of the public endpoint. */
export const CONTROL_PREFIX = '/_queueflow/';

// A sibling of this file with its extension: .ts when run from source, .js once compiled.
const workerUrl = new URL(`./aws-endpoint-worker${extname(new URL(import.meta.url).pathname)}`, import.meta.url);

/**
 * Run from source, the worker loads TypeScript: with Node's own type stripping where this Node has
 * it (the code is erasable, `erasableSyntaxOnly`), else with tsx's loader, since a loader
 * registered in this thread (bin/queueflow.mjs on an older Node) does not reach a worker.
 * Compiled, it needs nothing, and tsx (a dev dependency) may be absent.
 */
const workerExecArgv = (): string[] =>
  workerUrl.pathname.endsWith('.ts') && !process.features.typescript ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];

/**
 * The AWS endpoint's thread before it is started: it is loading its modules (fauxqs, dynalite, the
 * SDK), which takes about as long as the main thread's own. Spawned first, it loads them on the
 * other core meanwhile (bin/cli.ts does so for `queueflow local`); {@link startServices} starts
 * it. Until then it does not keep the process alive, so a `--help` or a usage error exits at once.
 */
export interface AwsEndpointThread {
  readonly [threadBrand]: true;
}
declare const threadBrand: unique symbol;

interface SpawnedThread extends AwsEndpointThread {
  readonly worker: Worker;
  readonly channel: ThreadChannel<AwsEndpointMethods, MainThreadMethods>;
  readonly state: { taken: boolean; started: boolean; closing?: Promise<void>; failure?: Error; lambdaStats: () => LambdaStats };
}

/** Spawns the endpoint's worker thread, which starts loading its modules; see {@link AwsEndpointThread}. */
export function spawnAwsEndpointThread(): AwsEndpointThread {
  const worker = new Worker(workerUrl, { name: 'queueflow-aws-endpoint', execArgv: workerExecArgv() });
  const state: SpawnedThread['state'] = { taken: false, started: false, lambdaStats: () => ({}) };
  const channel = new ThreadChannel<AwsEndpointMethods, MainThreadMethods>(worker, { lambdaStats: () => state.lambdaStats() });
  worker.on('error', (error) => {
    state.failure = error;
  });
  worker.on('exit', (code) => {
    const stopped = new AwsEndpointStoppedError(code, state.failure === undefined ? undefined : { cause: state.failure });
    channel.fail(stopped);
    if (state.started && state.closing === undefined) throw stopped;
  });
  // After the listeners: adding a 'message' listener refs the worker again.
  worker.unref();
  return { worker, channel, state } as SpawnedThread;
}

/**
 * Starts the AWS endpoint (fauxqs for SNS and SQS, dynalite for DynamoDB, the control routes
 * under `/_queueflow/`; aws-endpoint.ts) in a worker thread of its own, so that its work runs on
 * another core than the API gateway, the event-source poller and the Lambda host of the main
 * thread, which reach it over HTTP as any client does. A thread rather than a process: it dies
 * with the process, also on kill -9, and its persisted state is then what a crash leaves.
 *
 * Start-up errors are the endpoint's own (a taken port is a `PortInUseError` naming --aws-port).
 * Should the thread stop other than by `close` (an uncaught error in an emulator), the runtime
 * cannot go on: this thread throws an {@link AwsEndpointStoppedError}, as an uncaught error in the
 * endpoint ended the process when it ran here.
 *
 * @example
 * const services = await startServices({ port: 4566, dataDir: '.queueflow/data' });
 * new SQSClient({ endpoint: services.endpoint, region: 'us-east-1', credentials });
 */
export async function startServices(options: ServicesOptions, thread: AwsEndpointThread = spawnAwsEndpointThread()): Promise<LocalServices> {
  const { worker, channel, state } = thread as SpawnedThread;
  if (state.taken) throw new Error('This AWS endpoint thread was already started');
  state.taken = true;
  if (options.lambdaStats) state.lambdaStats = options.lambdaStats;
  worker.ref();

  let port: number;
  try {
    ({ port } = await channel.call('start', { port: options.port, ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }) }));
  } catch (error) {
    await worker.terminate();
    // A worker that could not even load its modules answers nothing: its own error says why.
    throw error instanceof AwsEndpointStoppedError && state.failure !== undefined ? state.failure : error;
  }
  state.started = true;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stats: () => channel.call('stats'),
    async resetStats() {
      await channel.call('resetStats');
    },
    setLambdaStats(source) {
      state.lambdaStats = source;
    },
    close: () =>
      (state.closing ??= (async () => {
        try {
          await channel.call('close');
        } finally {
          await worker.terminate();
        }
      })()),
  };
}
