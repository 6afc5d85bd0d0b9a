import { watchRoots } from './watch-roots.ts';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startApiGateway } from './api-gateway.ts';
import { EventSourcePoller } from './event-source-poller.ts';
import type { FaultConfig } from './faults.ts';
import { styleText } from 'node:util';
import { clockTime, functionLabel, InvocationPrinter, isErrorLine, LogFormats, plain, shortName, type LogFormat, type Style } from './invocation-log.ts';
import { LambdaHost, type LambdaHostOptions } from './lambda-host.ts';
import type { LocalModel } from './model.ts';
import { PortInUseError } from './errors.ts';
import { provision } from './provision.ts';
import { listen } from './listen.ts';
import { startServices, type AwsEndpointThread } from './services.ts';
import { assemblyFingerprint, isAssemblyUpToDate } from './fingerprint.ts';
import { startHotReload } from './hot-reload.ts';
import { synthesize } from './synth.ts';
import { persistedApiKeys, removeStateFile, writeStateFile, type LocalState } from './state-file.ts';
import { readCloudAssembly } from './template-reader.ts';
import { localWebhookSources, seedSecrets } from './secrets.ts';
import { DEFAULT_CONSOLE_PORT, startConsoleServer } from './console-server.ts';
import { TraceRecorder } from './trace-recorder.ts';
import { TRACE_STORE_FILE, TraceStore } from './trace-store.ts';
import type { Target } from '../cli/target.ts';

export interface LocalRuntimeOptions {
  /** API gateway port on 127.0.0.1; 0 picks a free one. @default 3000 */
  readonly port?: number;
  /** AWS endpoint port on 127.0.0.1; 0 picks a free one. @default 4566 */
  readonly awsPort?: number;
  /** The console's port on 127.0.0.1 (console-server.ts); 0 picks a free one. @default DEFAULT_CONSOLE_PORT (4567) */
  readonly consolePort?: number;
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
  /**
   * Run `cdk synth` first, in `projectDir` with its cdk.json and its CDK CLI: `true` always,
   * `false` never (use the assembly as it is).
   * @default - only when the assembly is not up to date with its inputs (fingerprint.ts)
   */
  readonly synth?: boolean;
  /**
   * Rebuild and reload functions when a watched folder changes (cdk.json `watch.include`): esbuild
   * rebuilds of recorded bundles, a background synth for anything else (hot-reload.ts).
   * @default true, unless `synth` is false
   */
  readonly watch?: boolean;
  /** Print only the banner and errors (error-level and stderr lines of functions). @default false */
  readonly quiet?: boolean;
  /** Print every line a function writes, pretty, under its invocation line. @default false */
  readonly verbose?: boolean;
  /**
   * `pretty`: one line per invocation (per SQS record); `json`: each raw function line prefixed with
   * the function's name, and the REPORT lines, for tools. @default 'pretty'
   */
  readonly logFormat?: LogFormat;
  readonly faults?: FaultConfig;
  /** Execution environments per function, at most. @default DEFAULT_MAX_ENVIRONMENTS (lambda-host.ts): the machine's cores, 2 to 10 */
  readonly maxEnvironmentsPerFunction?: number;
  /**
   * The CDK app's folder (where its cdk.json is). Relative paths of the other options are
   * resolved against it. @default process.cwd()
   */
  readonly projectDir?: string;
  /**
   * The AWS endpoint's thread, spawned ahead (`spawnAwsEndpointThread`) so that it loads its
   * emulators while this thread loads the runtime; the runtime starts it on `awsPort` and the data
   * folder, and owns it from then on. @default spawned here
   */
  readonly endpointThread?: AwsEndpointThread;
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
  // Started before the synth check: the endpoint's thread starts its emulators on the other core
  // while this one fingerprints (or synthesizes) the app. Awaited, and closed on failure, below.
  const servicesStarting = startServices({ port: options.awsPort ?? 4566, dataDir }, options.endpointThread);
  servicesStarting.catch(() => undefined);

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch((error: unknown) => printError(`shutdown: ${(error as Error).message}`));
  };
  try {
    // Closed last, also when the synth fails while it starts; nothing to close if it failed to start.
    cleanups.push(async () => (await servicesStarting.catch(() => undefined))?.close());
    if (options.synth !== false) {
      const started = performance.now();
      const fingerprint = assemblyFingerprint(projectDir, assemblyDir);
      if (options.synth !== true && isAssemblyUpToDate(projectDir, assemblyDir, fingerprint)) {
        info(`assembly up to date (fingerprint ${fingerprint.slice(0, 12)}), synth skipped (--synth forces one)`);
      } else {
        info(`synthesizing ${projectDir} into ${assemblyDir} …`);
        await synthesize(projectDir, assemblyDir);
        info(`synthesized in ${Math.round(performance.now() - started)} ms`);
      }
    }

    const services = await servicesStarting;
    const apiPort = options.port === 0 ? await freePort() : (options.port ?? 3000);
    const apiUrl = `http://127.0.0.1:${apiPort}/`;
    const apiKeyValue = persistedApiKeys(dataDir);
    const read = () => readCloudAssembly({ assemblyDir, stackNames, endpoint: services.endpoint, apiUrl, apiKeyValue });
    let model = read();
    // Secrets Manager values for GetSecretValue, kept in the data folder (secrets.ts).
    const secretValues = seedSecrets(dataDir, model.secrets ?? []);
    if (model.skipped.length > 0) {
      const kinds = new Set(model.skipped.map((s) => (s.detail ? `${s.type} (${s.detail})` : s.type)));
      info(`not emulated (no local meaning): ${model.skipped.length} resources (${[...kinds].join(', ')})`);
    }

    const clientConfig = () => ({ endpoint: services.endpoint, region: model.region, credentials: localCredentials() });
    const clients = { sqs: new SQSClient(clientConfig()), sns: new SNSClient(clientConfig()), dynamodb: new DynamoDBClient(clientConfig()) };
    cleanups.push(async () => Object.values(clients).forEach((client) => client.destroy()));
    const report = await provision(model, clients);
    info(`provisioned: ${report.created.length} created, ${report.updated.length} updated, ${model.queues.length} queues, ${model.topics.length} topics, ${model.tables.length} tables`);

    const output = functionOutput(options, print, () => model);
    // Event traces (console, `queueflow trace`): fed with what the host and the gateway see.
    const traces = new TraceStore({ path: join(dataDir, TRACE_STORE_FILE) });
    cleanups.push(async () => traces.close());
    const recorder = new TraceRecorder({ observe: traces.record, stackNames: () => model.stackNames });
    cleanups.push(async () => recorder.flush());
    // The functions behind API routes warm first, and the ready line waits for them alone (below).
    const apiFunctions = [...new Set(model.api?.routes.map((route) => route.functionLogicalId) ?? [])];
    const warmStarted = performance.now();
    const host = new LambdaHost({
      functions: model.functions,
      endpoint: services.endpoint,
      region: model.region,
      credentials: localCredentials(),
      ...output.hostOptions,
      log: (...line) => {
        output.hostOptions.log(...line);
        recorder.line(...line);
      },
      onInvocation: (invocation) => {
        output.hostOptions.onInvocation?.(invocation);
        recorder.invocation(invocation);
      },
      ...(options.faults ? { faults: options.faults } : {}),
      ...(apiFunctions.length > 0 ? { warmFirst: apiFunctions } : {}),
      ...(options.maxEnvironmentsPerFunction === undefined ? {} : { maxEnvironmentsPerFunction: options.maxEnvironmentsPerFunction }),
    });
    cleanups.push(async () => output.flush());
    cleanups.push(() => host.stop());
    services.setLambdaStats(() => host.stats());

    const poller = new EventSourcePoller({
      mappings: model.eventSourceMappings,
      host,
      endpoint: services.endpoint,
      region: model.region,
      credentials: localCredentials(),
      log: (source, line) => printError(output.prefix(shortName(source, model.stackNames), line)),
    });
    poller.start();
    cleanups.push(() => poller.stop());

    if (model.api) {
      const gateway = await startApiGateway({ api: model.api, host, port: apiPort, log: (line) => printError(output.prefix('api', line)), observe: traces.record }).catch((error: NodeJS.ErrnoException) => {
        throw error.code === 'EADDRINUSE' ? new PortInUseError(apiPort, '--port', { cause: error }) : error;
      });
      cleanups.push(() => gateway.close());
    }

    // The runtime as the CLI's dlq commands see it; the outputs of the model running now (a hot reload may change them).
    const target: Target = {
      kind: 'local',
      description: `local runtime at ${services.endpoint}`,
      sqs: clients.sqs,
      dynamodb: clients.dynamodb,
      get outputs() {
        return model.outputs;
      },
    };
    const startConsole = (port: number) =>
      startConsoleServer({ port, store: traces, model: () => model, target, sqs: clients.sqs, lambdaStats: () => host.stats(), observe: traces.record });
    // The default port is a convenience: when another runtime holds it, this one's console takes a free port
    // (the state file and the banner say which). A port asked for with --console-port must be free.
    const consoleServer = await startConsole(options.consolePort ?? DEFAULT_CONSOLE_PORT).catch((error: unknown) => {
      if (options.consolePort !== undefined || !(error instanceof PortInUseError)) throw error;
      info(`console: port ${DEFAULT_CONSOLE_PORT} is in use, the console takes a free port`);
      return startConsole(0);
    });
    cleanups.push(() => consoleServer.close());

    // Ready means the API is warm: the first request after the ready line does not wait for a cold
    // start. The queue consumers go on warming after it; a batch that comes first waits for that
    // environment's init, as a Lambda cold start would, and the line below says when all are warm.
    await host.ready(model.api ? apiFunctions : undefined);
    void host.ready().then(() => info(`functions warm: ${model.functions.length} in ${Math.round(performance.now() - warmStarted)} ms`));
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
      webhookSources: localWebhookSources(model.secrets ?? [], secretValues, apiUrl),
      consoleUrl: consoleServer.url,
      consoleToken: consoleServer.token,
    };
    writeStateFile(stateFile, state);
    cleanups.push(async () => removeStateFile(stateFile, process.pid));

    for (const line of banner(model, state, stateFile)) print(line);
    const watched = options.watch !== false && options.synth !== false ? watchRoots(projectDir) : [];
    // After the ready line: indexing the bundles (their first esbuild builds) must not delay it.
    if (watched.length > 0) {
      const hotReload = startHotReload({
        projectDir,
        roots: watched,
        host,
        model: () => model,
        setModel: (next) => (model = next),
        synthesize: async () => {
          await synthesize(projectDir, assemblyDir);
          return read();
        },
        print,
        printError,
      });
      cleanups.push(() => hotReload.close());
      print(`hot reload: watching ${watched.join(', ')} (cdk.json watch.include)`);
    }
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
    ...(state.consoleUrl ? [`  console    ${state.consoleUrl}  (queues, dead letters, event traces)`] : []),
    `  data       ${state.dataDir}`,
    `  state      ${stateFile}`,
    '',
    READY_LINE,
  ];
}

/**
 * Where the functions' output goes: with the `json` log format, each raw line prefixed with the
 * function's name (`--quiet`: error lines only); else through an {@link InvocationPrinter}, coloured
 * when `print` is the terminal's stdout (styleText heeds NO_COLOR, FORCE_COLOR and the TTY).
 */
function functionOutput(options: LocalRuntimeOptions, print: (line: string) => void, model: () => LocalModel) {
  if (options.logFormat === LogFormats.Json) {
    const log: LambdaHostOptions['log'] = (functionName, line, stream) => {
      if (!options.quiet || isErrorLine(line, stream)) print(`${shortName(functionName, model().stackNames)} │ ${line}`);
    };
    return { hostOptions: { log }, prefix: (source: string, line: string) => `${source} │ ${line}`, flush: () => {} };
  }
  const style: Style = options.print ? plain : (format, text) => styleText(format, text, { stream: process.stdout });
  const labelOf = (functionName: string) => {
    const fn = model().functions.find((f) => f.name === functionName);
    return fn ? functionLabel(fn, model().stackNames) : shortName(functionName, model().stackNames);
  };
  const printer = new InvocationPrinter({
    print,
    labelOf,
    labelWidth: () => Math.max(0, ...model().functions.map((fn) => functionLabel(fn, model().stackNames).length)),
    style,
    ...(options.verbose ? { verbose: true } : {}),
    ...(options.quiet ? { quiet: true } : {}),
  });
  return {
    hostOptions: { log: printer.line, onInvocation: printer.invocation },
    // The poller's and the gateway's failure lines, timed like the invocation lines around them.
    prefix: (source: string, line: string) => `${style('dim', clockTime(new Date()))} ${style('cyan', source)} ${style('red', line)}`,
    flush: () => printer.flush(),
  };
}

/** A free loopback port for `--port 0` (the gateway is started after the model is read). */
async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server, 0, '--port');
  await new Promise((done) => server.close(done));
  return port;
}
