import { existsSync, watch, type FSWatcher } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startApiGateway } from './api-gateway.ts';
import { EventSourcePoller } from './event-source-poller.ts';
import type { FaultConfig } from './faults.ts';
import { LambdaHost, type LogStream } from './lambda-host.ts';
import type { LocalModel } from './model.ts';
import { PortInUseError } from './errors.ts';
import { provision } from './provision.ts';
import { listen, startServices } from './services.ts';
import { synthesize } from './synth.ts';
import { persistedApiKeys, removeStateFile, writeStateFile, type LocalState } from './state-file.ts';
import { DEFAULT_STACK_NAME, readCloudAssembly } from './template-reader.ts';

export interface LocalRuntimeOptions {
  /** API gateway port on 127.0.0.1; 0 picks a free one. @default 3000 */
  readonly port?: number;
  /** AWS endpoint port on 127.0.0.1; 0 picks a free one. @default 4566 */
  readonly awsPort?: number;
  /** @default '.queueflow/data' */
  readonly dataDir?: string;
  /** @default '.queueflow/local.json' */
  readonly stateFile?: string;
  /** @default 'cdk.out' */
  readonly assembly?: string;
  /** @default 'QueueflowSample' */
  readonly stackName?: string;
  /** Run `cdk synth` first. @default true */
  readonly synth?: boolean;
  /** Re-synthesize and reload functions when `lambdas/` changes. @default true */
  readonly watch?: boolean;
  /** Print only the banner and errors (error-level and stderr lines of functions). @default false */
  readonly quiet?: boolean;
  readonly faults?: FaultConfig;
  /** The project root (where cdk.json and lambdas/ are). @default process.cwd() */
  readonly projectDir?: string;
  /** Where lines go. @default console.log / console.error */
  readonly print?: (line: string) => void;
  readonly printError?: (line: string) => void;
}

export interface LocalRuntime {
  readonly state: LocalState;
  readonly model: LocalModel;
  /** Stops polling, lets in-flight invocations finish, closes the servers, removes the state file. */
  stop(): Promise<void>;
}

/** Dummy credentials; a fresh object each time, because SDK clients annotate the one they get. */
export const localCredentials = () => ({ accessKeyId: 'test', secretAccessKey: 'test' });
export const READY_LINE = 'queueflow local runtime ready';

/**
 * Runs the synthesized stack on this machine: synth → read the assembly → start the emulators
 * behind one endpoint → create queues, topics, subscriptions and tables → run the functions, the
 * SQS event-source mappings and the REST API → write the state file.
 *
 * @example
 * const runtime = await startLocalRuntime({ port: 0, awsPort: 0, watch: false });
 * console.log(runtime.state.apiUrl);
 * await runtime.stop();
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const projectDir = resolve(options.projectDir ?? process.cwd());
  const print = options.print ?? ((line: string) => console.log(line));
  const printError = options.printError ?? ((line: string) => console.error(line));
  const info = options.quiet ? () => {} : print;
  const assemblyDir = resolve(projectDir, options.assembly ?? 'cdk.out');
  const dataDir = resolve(projectDir, options.dataDir ?? '.queueflow/data');
  const stateFile = resolve(projectDir, options.stateFile ?? '.queueflow/local.json');
  const stackName = options.stackName ?? DEFAULT_STACK_NAME;

  if (options.synth !== false) {
    const started = performance.now();
    info(`synthesizing ${stackName} into ${assemblyDir} …`);
    await synthesize(projectDir, assemblyDir);
    info(`synthesized in ${Math.round(performance.now() - started)} ms`);
  }

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch((error: unknown) => printError(`shutdown: ${(error as Error).message}`));
  };
  try {
    const services = await startServices({ port: options.awsPort ?? 4566, dataDir });
    cleanups.push(() => services.close());
    const apiPort = options.port === 0 ? await freePort() : (options.port ?? 3000);
    const apiUrl = `http://127.0.0.1:${apiPort}/`;
    const apiKeyValue = persistedApiKeys(dataDir);
    const read = () => readCloudAssembly({ assemblyDir, stackName, endpoint: services.endpoint, apiUrl, apiKeyValue });
    let model = read();
    if (model.skipped.length > 0) {
      const kinds = new Set(model.skipped.map((s) => (s.detail ? `${s.type} (${s.detail})` : s.type)));
      info(`not emulated (no local meaning): ${model.skipped.length} resources (${[...kinds].join(', ')})`);
    }

    const clientConfig = () => ({ endpoint: services.endpoint, region: model.region, credentials: localCredentials() });
    const clients = { sqs: new SQSClient(clientConfig()), sns: new SNSClient(clientConfig()), dynamodb: new DynamoDBClient(clientConfig()) };
    cleanups.push(async () => Object.values(clients).forEach((client) => client.destroy()));
    const report = await provision(model, clients);
    info(`provisioned: ${report.created.length} created, ${report.updated.length} updated, ${model.queues.length} queues, ${model.topics.length} topics, ${model.tables.length} tables`);

    const host = new LambdaHost({
      functions: model.functions,
      endpoint: services.endpoint,
      region: model.region,
      credentials: localCredentials(),
      log: (functionName, line, stream) => {
        if (!options.quiet || isErrorLine(line, stream)) print(`${label(functionName, model.stackName)} │ ${line}`);
      },
      ...(options.faults ? { faults: options.faults } : {}),
    });
    cleanups.push(() => host.stop());
    services.setLambdaStats(() => host.stats());

    const poller = new EventSourcePoller({
      mappings: model.eventSourceMappings,
      host,
      endpoint: services.endpoint,
      region: model.region,
      credentials: localCredentials(),
      log: (source, line) => printError(`${label(source, model.stackName)} │ ${line}`),
    });
    poller.start();
    cleanups.push(() => poller.stop());

    if (model.api) {
      const gateway = await startApiGateway({ api: model.api, host, port: apiPort, log: (line) => printError(`api │ ${line}`) }).catch((error: NodeJS.ErrnoException) => {
        throw error.code === 'EADDRINUSE' ? new PortInUseError(apiPort, '--port', { cause: error }) : error;
      });
      cleanups.push(() => gateway.close());
    }

    let watcher: FSWatcher | undefined;
    if (options.watch !== false && options.synth !== false && existsSync(join(projectDir, 'lambdas'))) {
      watcher = watchAndReload(join(projectDir, 'lambdas'), async () => {
        await synthesize(projectDir, assemblyDir);
        const next = read();
        const changed = next.functions.filter((fn) => model.functions.find((old) => old.logicalId === fn.logicalId)?.assetDir !== fn.assetDir);
        if (JSON.stringify(infrastructure(next)) !== JSON.stringify(infrastructure(model))) {
          printError('the template changed beyond function code (queues, topics, tables, API or mappings): restart to apply it');
        }
        model = next;
        if (changed.length === 0) return;
        await host.reload(next.functions);
        for (const fn of changed) print(`reloaded ${fn.name}`);
      }, printError);
      cleanups.push(async () => watcher?.close());
    }

    // Ready means warm: the first request after the ready line must not wait for a cold start.
    await host.ready();
    const state: LocalState = {
      pid: process.pid,
      stackName: model.stackName,
      apiUrl,
      endpoint: services.endpoint,
      region: model.region,
      accountId: model.accountId,
      credentials: localCredentials(),
      ...(model.api?.apiKeys[0] ? { apiKey: model.api.apiKeys[0].value } : {}),
      outputs: model.outputs,
      dataDir,
    };
    writeStateFile(stateFile, state);
    cleanups.push(async () => removeStateFile(stateFile, process.pid));

    for (const line of banner(model, state, stateFile)) print(line);
    let stopping: Promise<void> | undefined;
    return {
      state,
      get model() {
        return model;
      },
      stop: () => (stopping ??= cleanup()),
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** What a hot reload does not apply: everything but the functions' code and environment. */
function infrastructure(model: LocalModel): unknown {
  const { queues, topics, subscriptions, tables, eventSourceMappings, api } = model;
  return { queues, topics, subscriptions, tables, eventSourceMappings, api, functions: model.functions.map((fn) => fn.logicalId) };
}

/**
 * What `--quiet` still shows of a function's output: JSON lines (Powertools) whose `level` is ERROR
 * or CRITICAL, any non-JSON line on stderr (uncaught errors, console.error), and the host's error
 * lines; REPORT lines and other levels are hidden.
 */
export function isErrorLine(line: string, stream: LogStream): boolean {
  if (stream === 'host') return line.startsWith('ERROR');
  if (line.startsWith('{')) {
    try {
      const level: unknown = (JSON.parse(line) as { level?: unknown }).level;
      return typeof level === 'string' && ['ERROR', 'CRITICAL'].includes(level.toUpperCase());
    } catch {
      // Not JSON after all: judged by its stream below.
    }
  }
  return stream === 'stderr';
}

/** `QueueflowSample-WorkflowConsumerEmailFunction515B9BED` → `WorkflowConsumerEmailFunction`: the log prefix. */
function label(name: string, stackName: string): string {
  return name.replace(`${stackName}-`, '').replace(/[0-9A-F]{8}$/, '');
}

// A valid sample body for the banner's curl (lambdas/shared/events.ts OrderPlacedBody).
const SAMPLE_ORDER = '{"orderId":"o-1","customer":{"id":"c-1","email":"ada@example.com","phone":"+15551234567"},"items":[{"sku":"BOOK-1","quantity":1}]}';

function banner(model: LocalModel, state: LocalState, stateFile: string): string[] {
  const apiKeyHeader = state.apiKey ? ` -H 'x-api-key: ${state.apiKey}'` : '';
  const hasOrders = model.api?.routes.some((route) => route.method === 'POST' && route.resourcePath === '/orders');
  return [
    '',
    `  stack      ${model.stackName} (${model.functions.length} functions, ${model.queues.length} queues, ${model.tables.length} tables)`,
    `  API        ${state.apiUrl}`,
    `  AWS        ${state.endpoint}  (region ${state.region}, any credentials, e.g. test/test)`,
    ...(state.apiKey ? [`  API key    ${state.apiKey}`] : []),
    `  data       ${state.dataDir}`,
    `  state      ${stateFile}`,
    ...(hasOrders
      ? [`  try        curl -i -X POST ${state.apiUrl}orders -H 'Content-Type: application/json'${apiKeyHeader} -d '${SAMPLE_ORDER}'`]
      : []),
    '',
    READY_LINE,
  ];
}

/** A free loopback port for `--port 0` (the gateway is started after the model is read). */
async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server, 0, '--port');
  await new Promise((done) => server.close(done));
  return port;
}

/** Debounced, serialized: a burst of saves is one reload, and reloads never overlap. */
function watchAndReload(dir: string, reload: () => Promise<void>, printError: (line: string) => void): FSWatcher {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = reload()
      .catch((error: unknown) => printError(`reload failed, still running the previous build: ${(error as Error).message}`))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          void run();
        }
      });
  };
  return watch(dir, { recursive: true }, () => {
    clearTimeout(timer);
    timer = setTimeout(() => void run(), 300);
  });
}
