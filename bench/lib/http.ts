/**
 * Raw HTTP for the measurements: requests go out exactly as written (percent-encodings, odd
 * headers, arbitrary bytes), which `fetch` would normalize or refuse.
 */
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RawRequest {
  readonly method: string;
  /** Absolute URL of the API's base (its path prefix is kept), e.g. `http://127.0.0.1:3000/`. */
  readonly baseUrl: string;
  /** Sent as is after the base path. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
  readonly agent?: Agent;
  /** @default 30_000 (API Gateway's integration timeout is 29 s) */
  readonly timeoutMs?: number;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** The request did not complete: connection refused or reset, or no answer in time. */
export class RequestFailedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RequestFailedError';
  }
}

/** Sends one request and reads the whole response. */
export const sendRaw = (options: RawRequest): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const base = new URL(options.baseUrl);
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        method: options.method,
        path: `${base.pathname.replace(/\/$/, '')}${options.path}`,
        headers: body === undefined ? options.headers : { ...options.headers, 'Content-Length': String(body.length) },
        agent: options.agent ?? false,
        timeout: options.timeoutMs ?? 30_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on('error', (error) => reject(new RequestFailedError(`${options.method} ${options.path}: ${error.message}`, { cause: error })));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${options.timeoutMs ?? 30_000} ms`)));
    req.on('error', (error) => reject(new RequestFailedError(`${options.method} ${options.path}: ${error.message}`, { cause: error })));
    req.end(body);
  });

/** Parses a JSON response body, or returns undefined when it is not JSON. */
export const jsonOf = (response: RawResponse): unknown => {
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch {
    return undefined;
  }
};

/** Where a runtime's producer API answers, and the API key it wants. */
export interface ProducerApi {
  readonly apiUrl: string;
  readonly apiKey: string;
}

/**
 * An answer a client retries with the same `Idempotency-Key`: 409 (the key's first request is
 * still in progress, or was when the runtime died), 429 (the usage plan's throttle) or a 5xx.
 */
export const isRetryableStatus = (status: number): boolean => status === 409 || status === 429 || status >= 500;

export interface PostUntilAnsweredOptions {
  /** How many requests at the most; the last answer is returned even if retryable. @default 60 */
  readonly attempts?: number;
  /** The pause before a retry. @default 500 */
  readonly pauseMs?: number;
  /** Awaited before every attempt, e.g. a restart of the runtime under way. */
  readonly beforeAttempt?: () => Promise<unknown> | undefined;
  /** Called once per retry, before its pause. */
  readonly onRetry?: () => void;
}

/**
 * POSTs `body` (JSON) with `key` as its `Idempotency-Key` until the answer is neither retryable
 * ({@link isRetryableStatus}) nor a broken connection, at most `attempts` times; a broken last
 * attempt throws its {@link RequestFailedError}. `api` is read again before every attempt, so a
 * function of a runtime that restarts follows it.
 */
export const postUntilAnswered = async (
  api: ProducerApi | (() => ProducerApi),
  path: string,
  body: string,
  key: string,
  { attempts = 60, pauseMs = 500, beforeAttempt, onRetry }: PostUntilAnsweredOptions = {},
): Promise<{ status: number; eventId?: string; text: string }> => {
  for (let attempt = 1; ; attempt += 1) {
    await beforeAttempt?.();
    const { apiUrl, apiKey } = typeof api === 'function' ? api() : api;
    try {
      const response = await sendRaw({
        baseUrl: apiUrl,
        method: 'POST',
        path,
        headers: { 'Content-Type': 'application/json', 'x-api-key': apiKey, 'Idempotency-Key': key },
        body,
        timeoutMs: 35_000,
      });
      if (!isRetryableStatus(response.status) || attempt >= attempts) {
        const eventId = (jsonOf(response) as { eventId?: unknown } | undefined)?.eventId;
        return { status: response.status, ...(typeof eventId === 'string' ? { eventId } : {}), text: response.body.toString('utf8') };
      }
    } catch (error) {
      if (!(error instanceof RequestFailedError) || attempt >= attempts) throw error;
    }
    onRetry?.();
    await sleep(pauseMs);
  }
};
