/**
 * Reading an API Gateway proxy (v1) request: headers, body and path parameters, each check
 * answering a precise problem (see the producer HTTP contract in docs/architecture.md).
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ProblemError } from './problem.ts';

/** SNS's message size limit, which the body must leave room for. */
export const MAX_BODY_BYTES = 262_144;

/** What a path parameter must be: it becomes event data and appears in logs. */
export const PATH_PARAMETER = /^[A-Za-z0-9_-]{1,64}$/;
const RESOURCE_PATH_PARAMETER = /\{([^}+]+)\+?\}/g;
const IDEMPOTENCY_KEY = /^[\x20-\x7E]{1,255}$/;
const JSON_MEDIA_TYPE = /^application\/json\s*(;.*)?$/i;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A request header by case-insensitive name: clients and API Gateway do not agree on case. */
export const headerValue = (event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined => {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
};

/** @throws {ProblemError} 415 unless the body is declared `application/json`. */
export const requireJsonContentType = (event: Pick<APIGatewayProxyEvent, 'headers'>): void => {
  const contentType = headerValue(event, 'content-type');
  if (contentType === undefined || !JSON_MEDIA_TYPE.test(contentType.trim())) {
    throw new ProblemError(415, 'unsupported-media-type', 'Send the body as Content-Type: application/json.');
  }
};

/**
 * The body as a JSON object.
 *
 * @throws {ProblemError} 413 over {@link MAX_BODY_BYTES}; 400 `malformed-json` when it is not a JSON object.
 */
export const readJsonObjectBody = (event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): Record<string, unknown> => {
  const bytes = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  if (bytes.byteLength > MAX_BODY_BYTES) {
    throw new ProblemError(413, 'payload-too-large', `The body must not exceed ${MAX_BODY_BYTES} bytes.`);
  }
  let body: unknown;
  try {
    // Fatal decoding: JSON must be UTF-8 (RFC 8259), and a lenient decoder would turn bad bytes
    // into U+FFFD that then pass as data.
    body = JSON.parse(utf8.decode(bytes));
  } catch (error) {
    throw new ProblemError(400, 'malformed-json', 'The body is not valid JSON.', { cause: error });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProblemError(400, 'malformed-json', 'The body must be a JSON object.');
  }
  return body as Record<string, unknown>;
};

/** The parameter names of an API Gateway resource path: `/users/{userId}/erasure` → `['userId']`. */
export const pathParameterNames = (resourcePath: string): string[] =>
  [...resourcePath.matchAll(RESOURCE_PATH_PARAMETER)].map((match) => match[1]!);

/**
 * The resource path with the parameter values: `/users/{userId}/erasure` → `/users/alice/erasure`.
 * Built from the route and the checked parameters rather than taken from `event.path`, which
 * carries a stage or base-path prefix depending on how the API was called.
 *
 * @throws {RangeError} when a parameter of the path has no value (read them with {@link readPathParameters} first).
 */
export const concretePath = (resourcePath: string, parameters: Readonly<Record<string, string>>): string =>
  resourcePath.replace(RESOURCE_PATH_PARAMETER, (_placeholder, name: string) => {
    const value = parameters[name];
    if (value === undefined) throw new RangeError(`No value for path parameter ${name}`);
    return value;
  });

/**
 * The route's path parameters, each checked, since they become event data and appear in logs.
 *
 * @throws {ProblemError} 400 `invalid-path-parameter` when one is missing or not a safe token.
 */
export const readPathParameters = (
  event: Pick<APIGatewayProxyEvent, 'pathParameters'>,
  names: readonly string[],
): Record<string, string> => {
  const parameters: Record<string, string> = {};
  for (const name of names) {
    const value = event.pathParameters?.[name];
    if (value === undefined || !PATH_PARAMETER.test(value)) {
      throw new ProblemError(400, 'invalid-path-parameter', `Path parameter ${name} must match ${PATH_PARAMETER.source}.`);
    }
    parameters[name] = value;
  }
  return parameters;
};

/**
 * The `Idempotency-Key` header, if sent.
 *
 * @throws {ProblemError} 400 `invalid-idempotency-key` when it is empty, over 255 characters or not printable ASCII.
 */
export const readIdempotencyKey = (event: Pick<APIGatewayProxyEvent, 'headers'>): string | undefined => {
  const key = headerValue(event, 'idempotency-key');
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new ProblemError(400, 'invalid-idempotency-key', 'Idempotency-Key must be 1 to 255 printable ASCII characters.');
  }
  return key;
};
