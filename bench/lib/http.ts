/**
 * Raw HTTP for the measurements: requests go out exactly as written (percent-encodings, odd
 * headers, arbitrary bytes), which `fetch` would normalize or refuse.
 */
import { Agent, request } from 'node:http';

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
