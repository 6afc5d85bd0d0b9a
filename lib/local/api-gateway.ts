/**
 * The REST API (API Gateway v1, Lambda proxy integration) on a local HTTP port.
 *
 * Enforced, in API Gateway's order: route match, API key, throttle, body size, request validation
 * (required parameters, then the body against the request model selected by its Content-Type, as
 * request-model-selector.ts describes), then the integration with its 29 s timeout. Every
 * gateway error is rendered from the template's gateway responses (gateway-responses.ts), so the
 * local errors have the deployed API's body format.
 *
 * Local extensions: an unknown path answers 404 and a known path with another method 405 with
 * `Allow` (AWS answers 403 "Missing Authentication Token" to both), using the
 * MISSING_AUTHENTICATION_TOKEN response's template; a numeric `status` member of a JSON body is
 * set to the status sent. Paths are accepted with or without the stage prefix (`/prod/orders`).
 * A request whose Host is not a loopback name (request-guard.ts) answers 403 ACCESS_DENIED.
 * Routes, validators and templates are compiled once at start: no per-request compile.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { compileBodyValidator, type BodyValidator } from '../../lambdas/shared/validation.ts';
import { GatewayResponses, type GatewayErrorContext, type GatewayResponseType } from './gateway-responses.ts';
import type { InvokeOptions, InvokeResult } from './lambda-host.ts';
import type { LocalRestApi, LocalRoute } from './model.ts';
import { requestModelSelector, type RequestModelSelector } from './request-model-selector.ts';
import { hostRefusal } from './request-guard.ts';
import type { TraceObserver } from './trace-events.ts';

/** What the gateway needs from the Lambda host. */
export interface GatewayHost {
  invoke(functionLogicalId: string, event: unknown, options?: InvokeOptions): Promise<InvokeResult>;
}

export interface ApiGatewayOptions {
  readonly api: LocalRestApi;
  readonly host: GatewayHost;
  /** 0 picks a free port. */
  readonly port: number;
  /** Receives one line per integration failure (502/504); other requests are quiet. */
  readonly log: (line: string) => void;
  /** @default 29_000, API Gateway's integration timeout */
  readonly integrationTimeoutMs?: number;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** Told of every answered request (trace-events.ts), for the trace store. */
  readonly observe?: TraceObserver;
}

export interface LocalApiGateway {
  /** Base URL, ending in `/`. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, waits for in-flight requests (at most the integration timeout), then closes. */
  close(): Promise<void>;
}

/** API Gateway's payload limit for REST APIs. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const RESULT_KEYS = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded']);

type Segment = { readonly kind: 'literal'; readonly value: string } | { readonly kind: 'param' | 'greedy'; readonly name: string };

interface CompiledRoute {
  readonly route: LocalRoute;
  /** The body validator of the request model API Gateway would pick for a Content-Type, if any. */
  readonly selectValidator: RequestModelSelector<BodyValidator>;
  /** Required parameters as `[location, name]`, e.g. `['querystring', 'page']`. */
  readonly required: readonly (readonly [string, string])[];
}

interface Resource {
  readonly path: string;
  readonly segments: readonly Segment[];
  readonly methods: ReadonlyMap<string, CompiledRoute>;
}

/** A request's parts that the gateway's checks and the proxy event share. */
interface Request {
  readonly req: IncomingMessage;
  readonly requestId: string;
  readonly startedAt: number;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly multiValueHeaders: Record<string, string[]>;
  readonly query: URLSearchParams;
  pathParameters?: Record<string, string>;
}

function compileSegments(resourcePath: string): Segment[] {
  return resourcePath
    .split('/')
    .filter(Boolean)
    .map((part) => {
      const param = /^\{([^}+]+)(\+?)\}$/.exec(part);
      if (!param) return { kind: 'literal', value: part };
      return { kind: param[2] ? 'greedy' : 'param', name: param[1]! };
    });
}

function compileRoute(route: LocalRoute): CompiledRoute {
  // Every failing field, listed as in API Gateway's validationErrorString. Running every keyword
  // is safe here: the construct rejects a schema whose pattern can backtrack catastrophically.
  const validators = route.validateRequestBody
    ? Object.fromEntries(Object.entries(route.requestModels).map(([contentType, schema]) => [contentType, compileBodyValidator(schema, { allErrors: true })]))
    : {};
  const required: [string, string][] = [];
  if (route.validateRequestParameters) {
    for (const [key, isRequired] of Object.entries(route.requestParameters)) {
      const match = /^method\.request\.(path|querystring|header|multivaluequerystring|multivalueheader)\.(.+)$/.exec(key);
      if (isRequired && match) required.push([match[1]!.replace('multivalue', ''), match[2]!]);
    }
  }
  return { route, selectValidator: requestModelSelector(validators), required };
}

function compileResources(routes: readonly LocalRoute[]): Resource[] {
  const byPath = new Map<string, Map<string, CompiledRoute>>();
  for (const route of routes) {
    const methods = byPath.get(route.resourcePath) ?? new Map<string, CompiledRoute>();
    methods.set(route.method.toUpperCase(), compileRoute(route));
    byPath.set(route.resourcePath, methods);
  }
  return [...byPath].map(([path, methods]) => ({ path, segments: compileSegments(path), methods }));
}

const RANK = { literal: 0, param: 1, greedy: 2 } as const;

/** Matches path segments against a resource; API Gateway prefers literal over `{param}` over `{proxy+}`. */
function matchResource(resources: readonly Resource[], parts: readonly string[]): { resource: Resource; params: Record<string, string> } | undefined {
  let best: { resource: Resource; params: Record<string, string>; rank: number[] } | undefined;
  for (const resource of resources) {
    const params: Record<string, string> = {};
    const rank: number[] = [];
    let matched = true;
    let i = 0;
    for (const segment of resource.segments) {
      rank.push(RANK[segment.kind]);
      if (segment.kind === 'greedy') {
        if (i >= parts.length) matched = false;
        else params[segment.name] = parts.slice(i).map(decodeSegment).join('/');
        i = parts.length;
        break;
      }
      const part = parts[i++];
      if (part === undefined) {
        matched = false;
        break;
      }
      if (segment.kind === 'literal' ? segment.value !== part : part === '') matched = false;
      else if (segment.kind === 'param') params[segment.name] = decodeSegment(part);
      if (!matched) break;
    }
    if (!matched || i !== parts.length) continue;
    if (!best || compareRanks(rank, best.rank) < 0) best = { resource, params, rank };
  }
  return best && { resource: best.resource, params: best.params };
}

function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return b.length - a.length;
}

function decodeSegment(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** Token bucket, refilled continuously: `burstLimit` tokens, `rateLimit` per second. */
class TokenBucket {
  #tokens: number;
  #updatedAt = performance.now();
  readonly #rate: number;
  readonly #burst: number;

  constructor(rate: number, burst: number) {
    this.#rate = rate;
    this.#burst = Math.max(1, burst);
    this.#tokens = this.#burst;
  }

  take(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#updatedAt) / 1000) * this.#rate);
    this.#updatedAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

function requestTime(date: Date): string {
  const [, day, month, year, time] = /^\w+, (\d+) (\w+) (\d+) ([\d:]+)/.exec(date.toUTCString())!;
  return `${day}/${month}/${year}:${time} +0000`;
}

/**
 * Whether API Gateway hands a request body to a Lambda proxy integration base64-encoded: only when
 * its Content-Type matches an entry of the RestApi's `binaryMediaTypes` (`*` a wildcard for the
 * type or the subtype, as in `image/*`); any other body goes as a UTF-8 string, whatever its type
 * (docs/aws-behaviour.md, "Binary media types"). CloudFormation values may spell `/` as `~1`.
 */
export function isBinaryMediaType(mediaType: string, binaryMediaTypes: readonly string[]): boolean {
  const [type, subtype] = mediaType.toLowerCase().split('/');
  return binaryMediaTypes.some((entry) => {
    const [wantedType, wantedSubtype] = entry.replaceAll('~1', '/').split(';')[0]!.trim().toLowerCase().split('/');
    return (wantedType === '*' || wantedType === type) && (wantedSubtype === '*' || wantedSubtype === subtype);
  });
}

function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]!.trim().toLowerCase() || undefined;
}

/**
 * Serves a REST API's routes on 127.0.0.1.
 *
 * @example
 * ```ts
 * const gateway = await startApiGateway({ api: model.api, host, port: 3000, log: console.log });
 * // curl -X POST http://127.0.0.1:3000/orders -H 'x-api-key: …' -H 'content-type: application/json' -d '{…}'
 * await gateway.close();
 * ```
 */
export async function startApiGateway(options: ApiGatewayOptions): Promise<LocalApiGateway> {
  const { api, host, log } = options;
  const accountId = options.accountId ?? '000000000000';
  const integrationTimeoutMs = options.integrationTimeoutMs ?? 29_000;
  const resources = compileResources(api.routes);
  const responses = new GatewayResponses(api.gatewayResponses);
  const apiKeys = new Map(api.apiKeys.map((key) => [key.value, key]));
  const buckets = new Map<string, TokenBucket>();
  const apiId = api.logicalId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 10) || 'localapi';
  let port = options.port;

  function bucketFor(apiKey: string): TokenBucket | undefined {
    if (!api.throttle) return undefined;
    let bucket = buckets.get(apiKey);
    if (!bucket) buckets.set(apiKey, (bucket = new TokenBucket(api.throttle.rateLimit, api.throttle.burstLimit)));
    return bucket;
  }

  function contextOf(request: Request, route?: LocalRoute): Record<string, string> {
    return {
      requestId: request.requestId,
      extendedRequestId: request.requestId,
      path: `/${api.stageName}${request.path}`,
      resourcePath: route?.resourcePath ?? request.path,
      httpMethod: request.req.method ?? 'GET',
      stage: api.stageName,
      apiId,
      accountId,
      domainName: `127.0.0.1:${port}`,
      protocol: `HTTP/${request.req.httpVersion}`,
      requestTime: requestTime(new Date(request.startedAt)),
      requestTimeEpoch: String(request.startedAt),
      'identity.sourceIp': request.req.socket.remoteAddress ?? '127.0.0.1',
      'identity.userAgent': request.headers[headerKey(request, 'user-agent')] ?? '',
      'identity.apiKey': request.headers[headerKey(request, 'x-api-key')] ?? '',
    };
  }

  function headerKey(request: Request, lowercase: string): string {
    return Object.keys(request.headers).find((key) => key.toLowerCase() === lowercase) ?? lowercase;
  }

  function sendGatewayError(
    request: Request,
    res: ServerResponse,
    type: GatewayResponseType,
    message: string,
    extra: { validationErrorString?: string; status?: number; headers?: Record<string, string>; route?: LocalRoute } = {},
  ): void {
    const error: GatewayErrorContext = {
      message,
      ...(extra.validationErrorString === undefined ? {} : { validationErrorString: extra.validationErrorString }),
      context: contextOf(request, extra.route),
      requestParameter: (name) => {
        const [location, key = ''] = [name.slice(0, name.indexOf('.')), name.slice(name.indexOf('.') + 1)];
        if (location === 'header') return request.headers[headerKey(request, key.toLowerCase())];
        if (location === 'querystring') return request.query.get(key) ?? undefined;
        if (location === 'path') return request.pathParameters?.[key];
        return undefined;
      },
    };
    const rendered = responses.render(type, error, extra.status);
    let body = rendered.body;
    if (extra.status !== undefined) body = withStatus(body, extra.status);
    send(res, rendered.statusCode, { ...rendered.headers, ...extra.headers, 'x-amzn-RequestId': request.requestId }, body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = Date.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!;
      const value = req.rawHeaders[i + 1]!;
      headers[name] = value;
      (multiValueHeaders[name] ??= []).push(value);
    }
    const parts = url.pathname.split('/').filter(Boolean);
    // The stage prefix first, as in the deployed URL; then the bare path.
    const staged = parts[0] === api.stageName ? matchResource(resources, parts.slice(1)) : undefined;
    const matched = staged ?? matchResource(resources, parts);
    const path = staged ? url.pathname.slice(api.stageName.length + 1) || '/' : url.pathname;
    const request: Request = { req, requestId: randomUUID(), startedAt, path, headers, multiValueHeaders, query: url.searchParams };
    traced.set(res, { requestId: request.requestId });
    // Local extension: a page that rebinds its own DNS name to 127.0.0.1 must not reach the API.
    const foreignHost = hostRefusal(req.headers);
    if (foreignHost) {
      sendGatewayError(request, res, 'ACCESS_DENIED', foreignHost);
      return;
    }
    if (!matched) {
      sendGatewayError(request, res, 'MISSING_AUTHENTICATION_TOKEN', 'Missing Authentication Token', { status: 404 });
      return;
    }
    request.pathParameters = matched.params;
    const method = (req.method ?? 'GET').toUpperCase();
    const compiled = matched.resource.methods.get(method) ?? matched.resource.methods.get('ANY');
    if (!compiled) {
      const allow = [...matched.resource.methods.keys()].sort().join(', ');
      sendGatewayError(request, res, 'MISSING_AUTHENTICATION_TOKEN', 'Method Not Allowed', { status: 405, headers: { Allow: allow } });
      return;
    }
    const { route } = compiled;

    const apiKey = headers[headerKey(request, 'x-api-key')];
    if (route.apiKeyRequired && (apiKey === undefined || !apiKeys.has(apiKey))) {
      sendGatewayError(request, res, 'INVALID_API_KEY', 'Forbidden', { route });
      return;
    }
    if (bucketFor(apiKey ?? '')?.take() === false) {
      sendGatewayError(request, res, 'THROTTLED', 'Too Many Requests', { route });
      return;
    }

    const body = await readBody(req);
    if (body === undefined) {
      sendGatewayError(request, res, 'REQUEST_TOO_LARGE', 'Request Too Long', { route });
      return;
    }

    const missing = compiled.required.filter(([location, name]) => {
      if (location === 'path') return !request.pathParameters?.[name];
      if (location === 'querystring') return !request.query.has(name);
      return headers[headerKey(request, name.toLowerCase())] === undefined;
    });
    if (missing.length > 0) {
      const names = missing.map(([, name]) => name).join(', ');
      sendGatewayError(request, res, 'BAD_REQUEST_PARAMETERS', `Missing required request parameters: [${names}]`, { route });
      return;
    }
    const contentTypeHeader = headers[headerKey(request, 'content-type')];
    const contentType = mediaType(contentTypeHeader);
    // No model for the content type (and no $default): API Gateway passes the body on unvalidated.
    const validator = compiled.selectValidator(contentTypeHeader);
    if (validator) {
      const problems = validateBody(validator, body);
      if (problems) {
        sendGatewayError(request, res, 'BAD_REQUEST_BODY', 'Invalid request body', { route, validationErrorString: problems });
        return;
      }
    }

    const event = proxyEvent(request, route, body, contentType, apiKey);
    await integrate(request, res, route, event);
  }

  function proxyEvent(request: Request, route: LocalRoute, body: Buffer, contentType: string | undefined, apiKey: string | undefined): APIGatewayProxyEvent {
    const { req, headers, multiValueHeaders, query } = request;
    const forwarded: Record<string, string> = {
      'X-Forwarded-For': req.socket.remoteAddress ?? '127.0.0.1',
      'X-Forwarded-Port': String(port),
      'X-Forwarded-Proto': 'http',
      'X-Amzn-Trace-Id': `Root=1-${Math.floor(request.startedAt / 1000).toString(16)}-${randomBytes(12).toString('hex')}`,
    };
    for (const [name, value] of Object.entries(forwarded)) {
      if (headers[headerKey(request, name.toLowerCase())] !== undefined) continue;
      headers[name] = value;
      multiValueHeaders[name] = [value];
    }
    const queryStringParameters: Record<string, string> = {};
    const multiValueQueryStringParameters: Record<string, string[]> = {};
    for (const [name, value] of query) {
      queryStringParameters[name] = value;
      (multiValueQueryStringParameters[name] ??= []).push(value);
    }
    const hasQuery = Object.keys(queryStringParameters).length > 0;
    const hasParams = Object.keys(request.pathParameters ?? {}).length > 0;
    const binary = body.length > 0 && contentType !== undefined && isBinaryMediaType(contentType, api.binaryMediaTypes ?? []);
    const context = contextOf(request, route);
    const resourcePath = route.resourcePath;
    return {
      resource: resourcePath,
      path: request.path,
      httpMethod: req.method ?? 'GET',
      headers,
      multiValueHeaders,
      queryStringParameters: hasQuery ? queryStringParameters : null,
      multiValueQueryStringParameters: hasQuery ? multiValueQueryStringParameters : null,
      pathParameters: hasParams ? request.pathParameters! : null,
      stageVariables: null,
      requestContext: {
        accountId,
        apiId,
        authorizer: undefined,
        domainName: context.domainName,
        domainPrefix: '127',
        extendedRequestId: request.requestId,
        httpMethod: req.method ?? 'GET',
        identity: {
          accessKey: null,
          accountId: null,
          apiKey: apiKey ?? null,
          apiKeyId: (apiKey && apiKeys.get(apiKey)?.id) || null,
          caller: null,
          clientCert: null,
          cognitoAuthenticationProvider: null,
          cognitoAuthenticationType: null,
          cognitoIdentityId: null,
          cognitoIdentityPoolId: null,
          principalOrgId: null,
          sourceIp: context['identity.sourceIp']!,
          user: null,
          userAgent: context['identity.userAgent'] || null,
          userArn: null,
        },
        path: context.path!,
        protocol: context.protocol!,
        requestId: request.requestId,
        requestTime: context.requestTime,
        requestTimeEpoch: request.startedAt,
        resourceId: resourcePath,
        resourcePath,
        stage: api.stageName,
      },
      body: body.length === 0 ? null : body.toString(binary ? 'base64' : 'utf8'),
      isBase64Encoded: binary,
    };
  }

  async function integrate(request: Request, res: ServerResponse, route: LocalRoute, event: APIGatewayProxyEvent): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), integrationTimeoutMs);
    });
    // A route to a function the host does not run is a broken integration: 502, as in AWS.
    const invocation = host
      .invoke(route.functionLogicalId, event, { source: 'api' })
      .catch((error: Error): InvokeResult => ({ ok: false, errorType: error.name, errorMessage: error.message, timedOut: false, requestId: '', durationMs: 0 }));
    const outcome = await Promise.race([invocation, timeout]).finally(() => clearTimeout(timer));
    if (outcome !== 'timeout' && outcome.requestId !== '') traced.set(res, { requestId: request.requestId, lambdaRequestId: outcome.requestId });
    if (outcome === 'timeout') {
      log(`${request.requestId} ${route.method} ${route.resourcePath}: integration timed out after ${integrationTimeoutMs} ms`);
      sendGatewayError(request, res, 'INTEGRATION_TIMEOUT', 'Endpoint request timed out', { route });
      return;
    }
    if (!outcome.ok) {
      log(`${request.requestId} ${route.method} ${route.resourcePath}: Lambda failed (${outcome.errorType}: ${outcome.errorMessage})`);
      sendGatewayError(request, res, 'DEFAULT_5XX', 'Internal server error', { route });
      return;
    }
    const mapped = toHttp(outcome.result);
    if (typeof mapped === 'string') {
      log(`${request.requestId} ${route.method} ${route.resourcePath}: malformed Lambda proxy response (${mapped})`);
      sendGatewayError(request, res, 'DEFAULT_5XX', 'Internal server error', { route });
      return;
    }
    send(res, mapped.statusCode, { ...mapped.headers, 'x-amzn-RequestId': request.requestId }, mapped.body);
  }

  // What the trace store is told of each answered request (the Lambda request id ties it to what the function published).
  const traced = new WeakMap<ServerResponse, { requestId: string; lambdaRequestId?: string }>();
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const server = createServer((req, res) => {
    inFlight += 1;
    const receivedAt = Date.now();
    res.once('close', () => {
      inFlight -= 1;
      const ids = traced.get(res);
      if (options.observe && ids) {
        const path = new URL(req.url ?? '/', 'http://localhost').pathname;
        options.observe({ kind: 'request', at: receivedAt, ...ids, method: req.method ?? 'GET', path, status: res.statusCode, latencyMs: Date.now() - receivedAt });
      }
      if (inFlight === 0) drained?.();
    });
    handle(req, res).catch((error: unknown) => {
      log(`request failed: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) send(res, 500, { 'Content-Type': 'application/json' }, '{"message":"Internal server error"}');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    // As a deployment drains: no new connections, requests already in flight get their answer.
    // Each is bounded by the integration timeout, so the wait is too; then every socket goes.
    async close() {
      const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      server.closeIdleConnections();
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          drained = resolve;
          timer = setTimeout(resolve, integrationTimeoutMs + 1_000);
        });
        clearTimeout(timer);
      }
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * The body, or undefined when it exceeds API Gateway's 10 MB payload limit. An oversized body is
 * read to its end and dropped, so the 413 reaches a client that is still uploading.
 */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      tooLarge ||= size > MAX_BODY_BYTES;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Validates a JSON body as API Gateway's validator does; returns the validationErrorString, or undefined when valid. */
function validateBody(validate: BodyValidator, body: Buffer): string | undefined {
  let parsed: unknown = {};
  if (body.length > 0) {
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      // Never echo the payload: JSON.parse's message quotes it.
      return '[The request body is not valid JSON]';
    }
  }
  const result = validate(parsed);
  if (result.valid) return undefined;
  return `[${result.errors.map((error) => `${error.field}: ${error.message}`).join(', ')}]`;
}

/** A JSON gateway error body whose `status` member says the status actually sent (local 404/405). */
function withStatus(body: string, status: number): string {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object' && typeof (parsed as { status?: unknown }).status === 'number') {
      return JSON.stringify({ ...parsed, status });
    }
  } catch {
    // Not JSON: sent as rendered.
  }
  return body;
}

/** Maps a Lambda proxy result to HTTP, or returns why it is malformed (API Gateway answers 502). */
function toHttp(result: unknown): { statusCode: number; headers: Record<string, string | string[]>; body: string | Buffer } | string {
  if (!result || typeof result !== 'object' || Array.isArray(result)) return 'not an object';
  const unknown = Object.keys(result).filter((key) => !RESULT_KEYS.has(key));
  if (unknown.length > 0) return `unexpected field(s) ${unknown.join(', ')}`;
  const { statusCode, headers = {}, multiValueHeaders = {}, body, isBase64Encoded } = result as Record<string, unknown>;
  const status = Number(statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) return 'statusCode is not an HTTP status';
  if (body !== undefined && body !== null && typeof body !== 'string') return 'body is not a string';
  if (typeof headers !== 'object' || headers === null || typeof multiValueHeaders !== 'object' || multiValueHeaders === null) return 'headers are not objects';
  // API Gateway merges both maps; for a name in both, multiValueHeaders wins.
  const merged: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) merged[name] = String(value);
  for (const [name, values] of Object.entries(multiValueHeaders)) {
    if (!Array.isArray(values)) return `multiValueHeaders.${name} is not an array`;
    for (const existing of Object.keys(merged)) if (existing.toLowerCase() === name.toLowerCase()) delete merged[existing];
    merged[name] = values.map(String);
  }
  if (!Object.keys(merged).some((name) => name.toLowerCase() === 'content-type')) merged['Content-Type'] = 'application/json';
  const text = (body as string | null | undefined) ?? '';
  return { statusCode: status, headers: merged, body: isBase64Encoded === true ? Buffer.from(text, 'base64') : text };
}

function send(res: ServerResponse, statusCode: number, headers: Record<string, string | string[]>, body: string | Buffer): void {
  if (res.destroyed) return;
  res.writeHead(statusCode, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
