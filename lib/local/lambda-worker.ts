/**
 * One Lambda execution environment: a worker thread that imports one function's bundle once
 * (the init phase) and runs one invocation at a time, as Lambda does.
 *
 * This file runs in a bare worker (`execArgv: []`, so no tsx loader, like Lambda's runtime) and
 * relies on Node's built-in type stripping: erasable TypeScript only, no imports of project files.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { StringDecoder } from 'node:string_decoder';
import { Script } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import type { InvokeMessage, OutputChunk, WorkerInit, WorkerReply } from './lambda-protocol.ts';

type Handler = (event: unknown, context: object) => unknown;

const init = workerData as WorkerInit;
const port = parentPort!;

function post(reply: WorkerReply): void {
  flushOutput();
  port.postMessage(reply);
}

/*
 * What the function writes to stdout and stderr (console, Powertools' logger) reaches the host on
 * this port, batched per turn of the event loop and always ahead of the reply that follows it, so
 * an invocation's lines arrive before its result. Worker stdio would cost the host's thread a
 * message per chunk and another per chunk for flow control (ReadableWorkerStdio asking for more),
 * which was the largest share of its postMessage time under load (docs/performance.md).
 */
const output: OutputChunk[] = [];
let flushScheduled = false;

function flushOutput(): void {
  flushScheduled = false;
  if (output.length > 0) port.postMessage({ type: 'output', chunks: output.splice(0) } satisfies WorkerReply);
}

function captureWrites(stream: NodeJS.WriteStream, name: OutputChunk['stream']): void {
  // Bytes may end inside a character; the decoder keeps them for the next write.
  const decoder = new StringDecoder('utf8');
  stream.write = ((chunk: string | Uint8Array, encodingOrCallback?: BufferEncoding | ((error?: Error | null) => void), callback?: (error?: Error | null) => void) => {
    const encoding = typeof encodingOrCallback === 'string' ? encodingOrCallback : undefined;
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    const text = typeof chunk === 'string' && (encoding === undefined || encoding === 'utf8' || encoding === 'utf-8') ? chunk : decoder.write(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
    const last = output.at(-1);
    if (last?.stream === name) output[output.length - 1] = { stream: name, text: last.text + text };
    else output.push({ stream: name, text });
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushOutput);
    }
    if (done) process.nextTick(done);
    return true;
  }) as typeof stream.write;
}
captureWrites(process.stdout, 'stdout');
captureWrites(process.stderr, 'stderr');

function describe(error: unknown): { errorType: string; errorMessage: string; stack?: string } {
  if (error instanceof Error) return { errorType: error.name, errorMessage: error.message, stack: error.stack };
  return { errorType: 'Error', errorMessage: String(error) };
}

class RuntimeError extends Error {
  constructor(name: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = name;
  }
}

/** Resolves `file.export` (or `dir/file.export`) the way Lambda's Node.js runtime does. */
async function loadHandler(): Promise<Handler> {
  const dot = init.handler.lastIndexOf('.');
  if (dot <= 0 || dot === init.handler.length - 1) {
    throw new RuntimeError('Runtime.MalformedHandlerName', `Bad handler ${init.handler}`);
  }
  const modulePath = init.handler.slice(0, dot);
  const exportName = init.handler.slice(dot + 1);
  const file = ['.mjs', '.js', '.cjs'].map((ext) => join(init.assetDir, modulePath + ext)).find((f) => existsSync(f));
  if (!file) {
    throw new RuntimeError('Runtime.ImportModuleError', `Error: Cannot find module '${modulePath}' in ${init.assetDir}`);
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    const { errorType, errorMessage } = describe(error);
    throw new RuntimeError('Runtime.ImportModuleError', `${errorType}: ${errorMessage}`, { cause: error });
  }
  const handler = module[exportName] ?? (module.default as Record<string, unknown> | undefined)?.[exportName];
  if (typeof handler !== 'function') {
    throw new RuntimeError('Runtime.HandlerNotFound', `${init.handler} is undefined or not exported`);
  }
  return handler as Handler;
}

function createContext(message: InvokeMessage): object {
  return {
    functionName: init.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: init.invokedFunctionArn,
    memoryLimitInMB: String(init.memorySizeMb),
    awsRequestId: message.awsRequestId,
    logGroupName: init.logGroupName,
    logStreamName: init.logStreamName,
    // Lambda's Node.js 24 runtime has no callbacks; the flag stays for code that sets it.
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
  };
}

async function invoke(handler: Handler, message: InvokeMessage): Promise<void> {
  try {
    const result = await handler(message.event, createContext(message));
    // Lambda returns the result as JSON: Dates become strings, undefined becomes null.
    let payload: string;
    try {
      payload = JSON.stringify(result) ?? 'null';
    } catch (error) {
      post({ type: 'error', id: message.id, errorType: 'Runtime.ResultSerializationError', errorMessage: describe(error).errorMessage });
      return;
    }
    post({ type: 'result', id: message.id, payload });
  } catch (error) {
    post({ type: 'error', id: message.id, ...describe(error) });
  }
}

/**
 * Packages the Lambda Node.js runtime provides: an asset may `require` or `import` them without
 * bundling them. They are resolved from queueflow's own dependencies, and only when the asset's
 * own resolution fails, so a bundled or vendored copy still wins as it does on AWS.
 */
const RUNTIME_PROVIDED = ['@aws-sdk/', '@smithy/'];
/** Resolving from this file finds queueflow's node_modules, wherever the asset lives. */
const RUNTIME_PROVIDED_PARENT = import.meta.url;

type ResolveResult = { url: string; format?: string | null; shortCircuit?: boolean };
type ResolveContext = { parentURL?: string; conditions?: readonly string[] };

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/**
 * The format Lambda gives a `.js` file of the asset. On AWS the asset is the whole file system
 * above /var/task, so only a package.json inside the asset sets its module type; locally the
 * asset sits in cdk.out inside a project whose package.json (often "type": "module") Node would
 * otherwise apply. Without one, Node's own rule applies: CommonJS unless the file has module
 * syntax (import/export, import.meta, top-level await).
 */
function lambdaFormat(path: string): string | undefined {
  // Asked by the resolve hook, the load hook and the CommonJS loader for each file: decide once.
  if (!formats.has(path)) formats.set(path, decideFormat(path));
  return formats.get(path);
}
const formats = new Map<string, string | undefined>();

function decideFormat(path: string): string | undefined {
  const inAsset = relative(init.assetDir, path);
  if (inAsset.startsWith('..') || !path.endsWith('.js')) return undefined;
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return undefined;
    if (dir === init.assetDir || !dir.startsWith(init.assetDir + sep)) break;
  }
  try {
    new Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(path, 'utf8')}\n})`, { filename: path });
    return 'commonjs';
  } catch (error) {
    return error instanceof SyntaxError && /import|export|await|module/.test(error.message) ? 'module' : 'commonjs';
  }
}

function resolveAsLambda(specifier: string, context: ResolveContext, nextResolve: (specifier: string, context?: ResolveContext) => ResolveResult): ResolveResult {
  let result: ResolveResult;
  try {
    result = nextResolve(specifier, context);
  } catch (error) {
    if (!isModuleNotFound(error) || !RUNTIME_PROVIDED.some((prefix) => specifier.startsWith(prefix))) throw error;
    // require() resolves from its parent module, not from parentURL: ask a require of our own.
    result = context.conditions?.includes('require')
      ? { url: pathToFileURL(nodeModule.createRequire(RUNTIME_PROVIDED_PARENT).resolve(specifier)).href }
      : nextResolve(specifier, { ...context, parentURL: RUNTIME_PROVIDED_PARENT });
  }
  if (!result.url.startsWith('file:')) return result;
  const format = lambdaFormat(fileURLToPath(result.url));
  return format ? { ...result, format } : result;
}

type LoadResult = { format?: string | null; source?: unknown; shortCircuit?: boolean };
type LoadContext = { format?: string | null; conditions?: readonly string[] };

/** Applies the format `resolveAsLambda` chose; the default loader would consult the project's package.json. */
function loadAsLambda(url: string, context: LoadContext, nextLoad: (url: string, context?: LoadContext) => LoadResult): LoadResult {
  const format = url.startsWith('file:') ? lambdaFormat(fileURLToPath(url)) : undefined;
  if (!format) return nextLoad(url, context);
  const result = nextLoad(url, { ...context, format });
  return { ...result, format, source: result.source ?? readFileSync(fileURLToPath(url)) };
}

// Node's CommonJS loader reads the nearest package.json itself, whatever the load hook said; a
// CommonJS file of the asset is compiled here instead, so the project's "type" does not apply.
type CjsModule = { _compile(source: string, filename: string): unknown };
const extensions = (nodeModule as unknown as { default: { _extensions: Record<string, (module: CjsModule, filename: string) => unknown> } }).default._extensions;
const loadJs = extensions['.js']!;
extensions['.js'] = function loadJsAsLambda(module: CjsModule, filename: string) {
  if (lambdaFormat(filename) === 'commonjs') return module._compile(readFileSync(filename, 'utf8'), filename);
  return loadJs.call(this, module, filename);
};

// registerHooks arrived in Node 22.15; on older versions assets must bundle the SDK.
const registerHooks = (nodeModule as { registerHooks?: (hooks: { resolve: typeof resolveAsLambda; load: typeof loadAsLambda }) => unknown }).registerHooks;
registerHooks?.({ resolve: resolveAsLambda, load: loadAsLambda });

if (init.sourceMaps) process.setSourceMapsEnabled(true);

try {
  const handler = await loadHandler();
  port.on('message', (message: InvokeMessage) => void invoke(handler, message));
  post({ type: 'ready' });
} catch (error) {
  post({ type: 'init-error', ...describe(error) });
}
