import { watch, type FSWatcher } from 'node:fs';
import { watchRoots } from './watch-roots.ts';
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
import { readCloudAssembly } from './template-reader.ts';

export interface LocalRuntimeOptions {
  /** API gateway port on 127.0.0.1; 0 picks a free one. @default 3000 */
  readonly port?: number;
  /** AWS endpoint port on 127.0.0.1; 0 picks a free one. @default 4566 */
  readonly awsPort?: number;
  /** @default '<projectDir>/.queueflow/data' */
  readonly dataDir?: string;
  /** @default '<projectDir>/.queueflow/local.json' */
  readonly stateFile?: string;
  /** The cloud assembly folder, relative to `projectDir`. @default 'cdk.out' */
  readonly assembly?: string;
  /**
   * The stacks to run, by stack name, artifact id or hierarchical id (`Stage/Stack`).
   * @default every stack of the assembly
   */
  readonly stackNames?: readonly string[];
  /** Run `cdk synth` first, in `projectDir` with its cdk.json and its CDK CLI. @default true */
  readonly synth?: boolean;
  /** Re-synthesize and reload functions when `lambdas/` changes. @default true */
  readonly watch?: boolean;
  /** Print only the banner and errors (error-level and stderr lines of functions). @default false */
  readonly quiet?: boolean;
  readonly faults?: FaultConfig;
  /**
   * The CDK app's folder (where its cdk.json is). Relative paths of the other options are
   * resolved against it. @default process.cwd()
   */
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
  const stackNames = options.stackNames ?? [];

  if (options.synth !== false) {
    const started = performance.now();
    info(`synthesizing ${projectDir} into ${assemblyDir} …`);
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
    const read = () => readCloudAssembly({ assemblyDir, stackNames, endpoint: services.endpoint, apiUrl, apiKeyValue });
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
        if (!options.quiet || isErrorLine(line, stream)) print(`${label(functionName, model.stackNames)} │ ${line}`);
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
      log: (source, line) => printError(`${label(source, model.stackNames)} │ ${line}`),
    });
    poller.start();
    cleanups.push(() => poller.stop());

    if (model.api) {
      const gateway = await startApiGateway({ api: model.api, host, port: apiPort, log: (line) => printError(`api │ ${line}`) }).catch((error: NodeJS.ErrnoException) => {
        throw error.code === 'EADDRINUSE' ? new PortInUseError(apiPort, '--port', { cause: error }) : error;
      });
      cleanups.push(() => gateway.close());
    }

    const watched = options.watch !== false && options.synth !== false ? watchRoots(projectDir) : [];
    if (watched.length > 0) {
      const watchers = watchAndReload(watched.map((folder) => join(projectDir, folder)), async () => {
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
      cleanups.push(async () => watchers.forEach((watcher) => watcher.close()));
      print(`hot reload: watching ${watched.join(', ')} (cdk.json watch.include)`);
    }

    // Ready means warm: the first request after the ready line must not wait for a cold start.
    await host.ready();
    const state: LocalState = {
      pid: process.pid,
      stackName: model.stackName,
      stackNames: model.stackNames,
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

/** `Stack-ConsumerFunction515B9BED` → `ConsumerFunction`: the log prefix. */
function label(name: string, stackNames: readonly string[]): string {
  const stack = stackNames.find((stackName) => name.startsWith(`${stackName}-`));
  return (stack ? name.slice(stack.length + 1) : name).replace(/[0-9A-F]{8}$/, '');
}

/**
 * What the runtime read from the assembly, for the person at the terminal: routes, functions,
 * queues with their DLQs, tables; every name comes from the templates.
 */
export function banner(model: LocalModel, state: LocalState, stateFile: string): string[] {
  const stacks = model.stackNames.length === 1 ? 'stack     ' : 'stacks    ';
  const dlqOf = (attributes: Readonly<Record<string, string>>) => {
    if (!attributes.RedrivePolicy) return '';
    const policy = JSON.parse(attributes.RedrivePolicy) as { deadLetterTargetArn?: string; maxReceiveCount?: number };
    const dlq = model.queues.find((queue) => queue.arn === policy.deadLetterTargetArn);
    return ` → DLQ ${dlq?.name ?? policy.deadLetterTargetArn} after ${policy.maxReceiveCount} receives`;
  };
  const functionName = (logicalId: string) => model.functions.find((fn) => fn.logicalId === logicalId)?.name ?? logicalId;
  const consumers = (queueArn: string) =>
    model.eventSourceMappings.filter((mapping) => mapping.queueArn === queueArn).map((mapping) => ` → ${functionName(mapping.functionLogicalId)}`).join('');
  const section = (title: string, items: readonly string[]) => (items.length === 0 ? [] : [`  ${title.padEnd(10)} ${items[0]}`, ...items.slice(1).map((item) => `             ${item}`)]);
  const routes = (model.api?.routes ?? []).map(
    (route) => `${route.method.padEnd(6)} ${state.apiUrl.replace(/\/$/, '')}${route.resourcePath}  → ${functionName(route.functionLogicalId)}${route.apiKeyRequired ? '  (x-api-key)' : ''}`,
  );
  return [
    '',
    `  ${stacks} ${model.stackNames.join(', ')} (${model.functions.length} functions, ${model.queues.length} queues, ${model.tables.length} tables)`,
    ...section('routes', routes),
    ...section('functions', model.functions.map((fn) => `${fn.name} (${fn.runtime}, ${fn.handler})`)),
    ...section('queues', model.queues.map((queue) => `${queue.name}${dlqOf(queue.attributes)}${consumers(queue.arn)}`)),
    ...section('topics', model.topics.map((topic) => topic.name)),
    ...section('tables', model.tables.map((table) => `${table.name} (${[...table.keySchema.map((key) => key.AttributeName), ...(table.globalSecondaryIndexes ?? []).map((index) => `GSI ${(index as { IndexName?: string }).IndexName}`)].join(', ')})`)),
    `  API        ${state.apiUrl}`,
    `  AWS        ${state.endpoint}  (region ${state.region}, any credentials, e.g. test/test)`,
    ...(state.apiKey ? [`  API key    ${state.apiKey}`] : []),
    `  data       ${state.dataDir}`,
    `  state      ${stateFile}`,
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
function watchAndReload(dirs: readonly string[], reload: () => Promise<void>, printError: (line: string) => void): FSWatcher[] {
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
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void run(), 300);
  };
  return dirs.map((dir) => watch(dir, { recursive: true }, changed));
}
