/**
 * Request and response between two threads over one message port (a `Worker` on the main side,
 * `parentPort` on the worker side): each side calls the other's methods by name and gets a
 * promise of the answer. Errors cross as data and are rebuilt on the calling side, so a typed
 * error thrown in a worker (a {@link PortInUseError} at start-up) rejects the caller's promise
 * with the same class.
 */
import { PortInUseError } from './errors.ts';

/** The methods one side answers: each takes at most one structured-cloneable argument. */
export type Methods = { [name: string]: (argument: never) => unknown };

/** How one side answers the methods it offers: with the value, or a promise of it. */
export type Handlers<M extends Methods> = { [K in keyof M]: (...args: Parameters<M[K]>) => ReturnType<M[K]> | Promise<ReturnType<M[K]>> };

/** What both a `Worker` and a `MessagePort` offer. */
export interface MessageEndpoint {
  postMessage(value: unknown): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
}

type Message =
  | { readonly kind: 'call'; readonly id: number; readonly method: string; readonly argument: unknown }
  | { readonly kind: 'result'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'error'; readonly id: number; readonly error: SerializedError };

/**
 * `Remote` names the methods the other side answers, `Local` the ones this side answers.
 *
 * @example
 * const channel = new ThreadChannel<EndpointMethods, MainThreadMethods>(worker, { lambdaStats: () => host.stats() });
 * const stats = await channel.call('stats');
 */
export class ThreadChannel<Remote extends Methods, Local extends Methods> {
  readonly #port: MessageEndpoint;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #nextId = 0;
  #failure?: Error;

  constructor(port: MessageEndpoint, local: Handlers<Local>) {
    this.#port = port;
    port.on('message', (message) => this.#receive(message as Message, local));
  }

  call<K extends keyof Remote & string>(method: K, ...args: Parameters<Remote[K]>): Promise<Awaited<ReturnType<Remote[K]>>> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = ++this.#nextId;
    const argument: unknown = args[0];
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#port.postMessage({ kind: 'call', id, method, argument } satisfies Message);
    });
  }

  /** Rejects every call waiting for an answer, and every later one, with `error` (the other side is gone). */
  fail(error: Error): void {
    this.#failure ??= error;
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }

  #receive(message: Message, local: Handlers<Local>): void {
    if (message.kind === 'call') {
      const answer = (reply: Message) => this.#port.postMessage(reply);
      const handler = local[message.method] as ((argument: unknown) => unknown) | undefined;
      // In the executor, a handler that throws synchronously is answered like one that rejects.
      new Promise((resolve) => {
        if (!handler) throw new Error(`No method ${message.method} on this side of the channel`);
        resolve(handler(message.argument));
      }).then(
        (value) => answer({ kind: 'result', id: message.id, value }),
        (error: unknown) => answer({ kind: 'error', id: message.id, error: serializeError(error) }),
      );
      return;
    }
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    if (message.kind === 'result') pending.resolve(message.value);
    else pending.reject(reviveError(message.error));
  }
}

/** An error as data: structured cloning keeps neither an error's class nor fields such as `code`. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: string;
  /** Own fields of the error classes rebuilt by name (PortInUseError's `port` and `flag`). */
  readonly fields?: Record<string, unknown>;
  readonly cause?: SerializedError;
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const { code } = error as { code?: unknown };
  return {
    name: error.name,
    message: error.message,
    ...(error.stack === undefined ? {} : { stack: error.stack }),
    ...(typeof code === 'string' ? { code } : {}),
    ...(error instanceof PortInUseError ? { fields: { port: error.port, flag: error.flag } } : {}),
    ...(error.cause === undefined ? {} : { cause: serializeError(error.cause) }),
  };
}

/**
 * The error again, on this side: the classes callers tell apart by `instanceof` (the ones a
 * worker throws at start-up) with their class, any other as an `Error` with the same name,
 * message, stack and code.
 */
export function reviveError(data: SerializedError): Error {
  const options = data.cause === undefined ? undefined : { cause: reviveError(data.cause) };
  const error =
    data.name === 'PortInUseError' && data.fields
      ? new PortInUseError(data.fields.port as number, data.fields.flag as string, options)
      : Object.assign(new Error(data.message, options), { name: data.name });
  if (data.stack !== undefined) error.stack = data.stack;
  if (data.code !== undefined) Object.assign(error, { code: data.code });
  return error;
}
