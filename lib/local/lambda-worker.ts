/**
 * One Lambda execution environment: a worker thread that imports one function's bundle once
 * (the init phase) and runs one invocation at a time, as Lambda does.
 *
 * This file runs in a bare worker (`execArgv: []`, so no tsx loader, like Lambda's runtime) and
 * relies on Node's built-in type stripping: erasable TypeScript only, no imports of project files.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { InvokeMessage, WorkerInit, WorkerReply } from './lambda-protocol.ts';

type Handler = (event: unknown, context: object) => unknown;

const init = workerData as WorkerInit;
const port = parentPort!;

function post(reply: WorkerReply): void {
  port.postMessage(reply);
}

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

if (init.sourceMaps) process.setSourceMapsEnabled(true);

try {
  const handler = await loadHandler();
  port.on('message', (message: InvokeMessage) => void invoke(handler, message));
  post({ type: 'ready' });
} catch (error) {
  post({ type: 'init-error', ...describe(error) });
}
