import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiGateway, type LocalApiGateway } from '../../../lib/local/api-gateway.ts';
import { GatewayResponses } from '../../../lib/local/gateway-responses.ts';
import type { InvokeResult } from '../../../lib/local/lambda-host.ts';
import type { LocalGatewayResponse, LocalRestApi, LocalRoute } from '../../../lib/local/model.ts';
import { rawRequest } from '../../helpers/raw-http.ts';

const API_KEY = 'local-key-0123456789';

/** Gateway responses shaped as the QueueWorkflow construct declares them (problem+json). */
function problem(slug: string, detail: string, status?: number): LocalGatewayResponse {
  return {
    ...(status === undefined ? {} : { statusCode: String(status) }),
    responseParameters: { 'gatewayresponse.header.Content-Type': "'application/problem+json'" },
    responseTemplates: {
      'application/json': `{"type":"urn:queueflow:problem:${slug}","title":"${slug}",${status === undefined ? '' : `"status":${status},`}"detail":${detail},"requestId":"$context.requestId"}`,
    },
  };
}

const orderSchema = {
  $schema: 'http://json-schema.org/draft-04/schema#',
  type: 'object',
  required: ['orderId', 'customer'],
  properties: {
    orderId: { type: 'string', minLength: 1 },
    customer: { type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' } } },
  },
};

function route(overrides: Partial<LocalRoute> & Pick<LocalRoute, 'method' | 'resourcePath'>): LocalRoute {
  return {
    functionLogicalId: 'ProducerFn',
    apiKeyRequired: false,
    authorizationType: 'NONE',
    validateRequestBody: false,
    validateRequestParameters: false,
    requestModels: {},
    requestParameters: {},
    ...overrides,
  };
}

function api(overrides: Partial<LocalRestApi> = {}): LocalRestApi {
  return {
    logicalId: 'EventsApi',
    name: 'events',
    stageName: 'prod',
    routes: [
      route({ method: 'POST', resourcePath: '/orders', apiKeyRequired: true, validateRequestBody: true, requestModels: { 'application/json': orderSchema } }),
      route({
        method: 'POST',
        resourcePath: '/users/{userId}/erasure',
        validateRequestParameters: true,
        requestParameters: { 'method.request.path.userId': true },
      }),
      route({ method: 'GET', resourcePath: '/reports', validateRequestParameters: true, requestParameters: { 'method.request.querystring.month': true } }),
      route({ method: 'GET', resourcePath: '/files/{proxy+}' }),
      route({ method: 'GET', resourcePath: '/files/latest' }),
    ],
    apiKeys: [{ logicalId: 'Key', id: 'key-id-1', value: API_KEY }],
    gatewayResponses: {
      BAD_REQUEST_BODY: problem('validation-failed', '"$context.error.validationErrorString"', 400),
      MISSING_AUTHENTICATION_TOKEN: problem('not-found', '"Check the method and the path."', 404),
      INVALID_API_KEY: problem('forbidden', '"Send a valid API key in the x-api-key header."', 403),
      THROTTLED: problem('too-many-requests', '"Slow down and retry with backoff."', 429),
      REQUEST_TOO_LARGE: problem('payload-too-large', '$context.error.messageString', 413),
      DEFAULT_4XX: problem('client-error', '$context.error.messageString'),
      DEFAULT_5XX: problem('server-error', '"Retry later."'),
    },
    ...overrides,
  };
}

type Answer = (event: APIGatewayProxyEvent) => Promise<Partial<InvokeResult>> | Partial<InvokeResult>;

/** A fake Lambda host that records each proxy event and answers with `answer`. */
function fakeHost(answer: Answer = () => ({ ok: true, result: { statusCode: 202, headers: { 'Content-Type': 'application/json' }, body: '{"eventId":"e-1"}' } })) {
  const events: APIGatewayProxyEvent[] = [];
  return {
    events,
    async invoke(_id: string, event: unknown): Promise<InvokeResult> {
      events.push(event as APIGatewayProxyEvent);
      return { requestId: 'r', durationMs: 1, ...(await answer(event as APIGatewayProxyEvent)) } as InvokeResult;
    },
  };
}

let gateway: LocalApiGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

async function start(host: ReturnType<typeof fakeHost>, restApi = api(), extra: { integrationTimeoutMs?: number } = {}): Promise<string> {
  gateway = await startApiGateway({ api: restApi, host, port: 0, log: () => undefined, ...extra });
  return gateway.url.replace(/\/$/, '');
}

const order = JSON.stringify({ orderId: 'o-1', customer: { email: 'ada@example.com' } });
const orderHeaders = { 'content-type': 'application/json', 'x-api-key': API_KEY };

async function problemOf(response: Response): Promise<Record<string, unknown>> {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return (await response.json()) as Record<string, unknown>;
}

describe('startApiGateway', () => {
  it('invokes the route\'s function with a v1 proxy event and maps its result to HTTP', async () => {
    // Prepare
    const host = fakeHost(() => ({
      ok: true,
      result: { statusCode: 202, headers: { 'Content-Type': 'application/json', 'X-Correlation-Id': 'c-1' }, multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] }, body: '{"eventId":"e-1"}' },
    }));
    const base = await start(host);

    // Act
    const response = await fetch(`${base}/prod/orders?tag=a&tag=b&one=1`, {
      method: 'POST',
      headers: { ...orderHeaders, 'X-Correlation-Id': 'c-1', 'User-Agent': 'tests/1.0' },
      body: order,
    });

    // Assess
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ eventId: 'e-1' });
    expect(response.headers.get('x-correlation-id')).toBe('c-1');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    const requestId = response.headers.get('x-amzn-requestid');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const [event] = host.events;
    expect(event).toMatchObject({
      resource: '/orders',
      path: '/orders',
      httpMethod: 'POST',
      queryStringParameters: { tag: 'b', one: '1' },
      multiValueQueryStringParameters: { tag: ['a', 'b'], one: ['1'] },
      pathParameters: null,
      stageVariables: null,
      body: order,
      isBase64Encoded: false,
      requestContext: {
        requestId,
        stage: 'prod',
        resourcePath: '/orders',
        httpMethod: 'POST',
        path: '/prod/orders',
        protocol: 'HTTP/1.1',
        identity: { sourceIp: '127.0.0.1', apiKey: API_KEY, apiKeyId: 'key-id-1', userAgent: 'tests/1.0' },
      },
    });
    expect(event!.headers['X-Correlation-Id']).toBe('c-1');
    expect(event!.multiValueHeaders['X-Correlation-Id']).toEqual(['c-1']);
    expect(event!.requestContext.requestTimeEpoch).toBeGreaterThan(Date.now() - 10_000);
  });

  it('routes without the stage prefix, decodes path parameters and prefers literal segments', async () => {
    // Prepare
    const host = fakeHost(() => ({ ok: true, result: { statusCode: 200, body: '' } }));
    const base = await start(host);

    // Act
    const statuses = [
      (await fetch(`${base}/users/u%2D1/erasure`, { method: 'POST' })).status,
      (await fetch(`${base}/prod/files/a/b%20c`)).status,
      (await fetch(`${base}/files/latest`)).status,
    ];

    // Assess
    expect(statuses).toEqual([200, 200, 200]);
    expect(host.events.map((e) => [e.resource, e.path, e.pathParameters])).toEqual([
      ['/users/{userId}/erasure', '/users/u%2D1/erasure', { userId: 'u-1' }],
      ['/files/{proxy+}', '/files/a/b%20c', { proxy: 'a/b c' }],
      ['/files/latest', '/files/latest', null],
    ]);
  });

  it('answers an unknown path with 404 in the template\'s problem format', async () => {
    // Prepare
    const host = fakeHost();
    const base = await start(host);

    // Act
    const response = await fetch(`${base}/nope`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(404);
    expect(await problemOf(response)).toEqual({
      type: 'urn:queueflow:problem:not-found',
      title: 'not-found',
      status: 404,
      detail: 'Check the method and the path.',
      requestId: response.headers.get('x-amzn-requestid'),
    });
    expect(host.events).toEqual([]);
  });

  it('answers a known path with another method with 405 and Allow', async () => {
    // Prepare
    const host = fakeHost();
    const base = await start(host);

    // Act
    const response = await fetch(`${base}/orders`, { method: 'GET', headers: { 'x-api-key': API_KEY } });

    // Assess
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(await problemOf(response)).toMatchObject({ type: 'urn:queueflow:problem:not-found', status: 405 });
    expect(host.events).toEqual([]);
  });

  it.each([
    ['a missing', {}],
    ['a wrong', { 'x-api-key': 'guess' }],
  ])('answers %s API key with 403 INVALID_API_KEY', async (_, keyHeader) => {
    // Prepare
    const host = fakeHost();
    const base = await start(host);

    // Act
    const response = await fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', ...keyHeader }, body: order });

    // Assess
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('ForbiddenException');
    expect(await problemOf(response)).toMatchObject({ type: 'urn:queueflow:problem:forbidden', status: 403 });
    expect(host.events).toEqual([]);
  });

  it('throttles beyond the burst with 429 THROTTLED', async () => {
    // Prepare
    const host = fakeHost();
    const base = await start(host, api({ throttle: { rateLimit: 1, burstLimit: 2 } }));
    const post = () => fetch(`${base}/orders`, { method: 'POST', headers: orderHeaders, body: order });

    // Act
    const statuses = [(await post()).status, (await post()).status];
    const third = await post();

    // Assess
    expect(statuses).toEqual([202, 202]);
    expect(third.status).toBe(429);
    expect(await problemOf(third)).toMatchObject({ type: 'urn:queueflow:problem:too-many-requests', status: 429 });
    expect(host.events).toHaveLength(2);
  });

  it('rejects a body that violates the request model with 400 naming the field', async () => {
    // Prepare
    const host = fakeHost();
    const base = await start(host);

    // Act
    const response = await fetch(`${base}/orders`, {
      method: 'POST',
      headers: orderHeaders,
      body: JSON.stringify({ orderId: 'o-1', customer: { email: 'not-an-email' } }),
    });

    // Assess
    expect(response.status).toBe(400);
    const body = await problemOf(response);
    expect(body).toMatchObject({ type: 'urn:queueflow:problem:validation-failed', status: 400 });
    expect(body.detail).toContain('/customer/email');
    expect(host.events).toEqual([]);
  });

  it('rejects malformed JSON with 400 without echoing it', async () => {
    // Prepare
    const host = fakeHost();
    const base = await start(host);

    // Act
    const response = await fetch(`${base}/orders`, { method: 'POST', headers: orderHeaders, body: '{"orderId": secret' });

    // Assess
    expect(response.status).toBe(400);
    const body = await problemOf(response);
    expect(body.detail).toBe('[The request body is not valid JSON]');
    expect(host.events).toEqual([]);
  });

  it('passes a content type without a request model to the function unvalidated', async () => {
    // Prepare
    const host = fakeHost(() => ({ ok: true, result: { statusCode: 415, body: 'use JSON' } }));
    const base = await start(host);

    // Act
    const response = await fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'text/plain', 'x-api-key': API_KEY }, body: 'hello' });

    // Assess
    expect(response.status).toBe(415);
    expect(host.events[0]).toMatchObject({ body: 'hello', isBase64Encoded: false });
  });

  it('validates a body of any other content type, or with parameters, against the $default model', async () => {
    // Prepare: the models as the QueueWorkflow construct declares them.
    const host = fakeHost();
    const models = { 'application/json': orderSchema, $default: orderSchema };
    const restApi = api();
    const base = await start(host, { ...restApi, routes: restApi.routes.map((each) => (each.resourcePath === '/orders' ? { ...each, requestModels: models } : each)) });
    const bad = JSON.stringify({ orderId: '', customer: {} });

    // Act
    const answers = await Promise.all(
      ['text/plain', 'application/json; charset=utf-8', 'application/vnd.api+json'].map((contentType) =>
        fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': contentType, 'x-api-key': API_KEY }, body: bad }),
      ),
    );

    // Assess: rejected before the function, every failing field named as API Gateway lists them.
    for (const response of answers) {
      expect(response.status).toBe(400);
      const body = await problemOf(response);
      expect(body.detail).toContain('/orderId');
      expect(body.detail).toContain('/customer/email');
    }
    expect(host.events).toEqual([]);
  });

  it('rejects a missing required query parameter with 400 BAD_REQUEST_PARAMETERS', async () => {
    // Prepare
    const host = fakeHost();
    const base = await start(host);

    // Act
    const response = await fetch(`${base}/reports`);

    // Assess
    expect(response.status).toBe(400);
    expect(await problemOf(response)).toMatchObject({ type: 'urn:queueflow:problem:client-error', detail: 'Missing required request parameters: [month]' });
    expect(host.events).toEqual([]);
  });

  it('rejects a body over 10 MB with 413', async () => {
    // Prepare
    const host = fakeHost();
    const base = await start(host);

    // Act
    const response = await fetch(`${base}/orders`, { method: 'POST', headers: orderHeaders, body: 'x'.repeat(10 * 1024 * 1024 + 1) });

    // Assess
    expect(response.status).toBe(413);
    expect(await problemOf(response)).toMatchObject({ type: 'urn:queueflow:problem:payload-too-large', detail: 'Request Too Long' });
    expect(host.events).toEqual([]);
  });

  it('sends a body whose type is in binaryMediaTypes base64-encoded and decodes a base64 result', async () => {
    // Prepare
    const host = fakeHost((event) => ({ ok: true, result: { statusCode: 200, headers: { 'Content-Type': 'image/png' }, body: event.body, isBase64Encoded: true } }));
    const base = await start(host, api({ binaryMediaTypes: ['image~1*', 'application/octet-stream'] }));
    const bytes = Buffer.from([0, 1, 2, 250, 255]);

    // Act
    const response = await fetch(`${base}/users/u-1/erasure`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: bytes });
    await fetch(`${base}/users/u-1/erasure`, { method: 'POST', headers: { 'content-type': 'application/octet-stream; x=1' }, body: bytes });

    // Assess
    expect(host.events[0]).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true });
    expect(host.events[1]).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true });
    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
  });

  it('sends a body whose type is not in binaryMediaTypes as UTF-8 text, whatever the type, as API Gateway does', async () => {
    // Prepare
    const host = fakeHost();
    const base = await start(host, api({ binaryMediaTypes: ['image/png'] }));
    const form = 'payload=%7B%22zen%22%3A1%7D&x=%C3%A9';

    // Act
    await fetch(`${base}/users/u-1/erasure`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    await fetch(`${base}/users/u-1/erasure`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'caf\u00e9' });

    // Assess: byte-exact for UTF-8 text; before the fix, the second was base64 though no entry listed it.
    expect(host.events[0]).toMatchObject({ body: form, isBase64Encoded: false });
    expect(host.events[1]).toMatchObject({ body: 'caf\u00e9', isBase64Encoded: false });
  });

  it.each([
    ['a function error', { ok: false, errorType: 'Error', errorMessage: 'boom', timedOut: false }],
    ['a body that is not a string', { ok: true, result: { statusCode: 200, body: { eventId: 'e-1' } } }],
    ['no statusCode', { ok: true, result: { body: 'x' } }],
    ['an unexpected field', { ok: true, result: { statusCode: 200, body: 'x', extra: 1 } }],
  ])('answers %s with 502 through DEFAULT_5XX', async (_, answer) => {
    // Prepare
    const base = await start(fakeHost(() => answer as Partial<InvokeResult>));

    // Act
    const response = await fetch(`${base}/users/u-1/erasure`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(502);
    const body = await problemOf(response);
    expect(body).toMatchObject({ type: 'urn:queueflow:problem:server-error', detail: 'Retry later.' });
    expect(JSON.stringify(body)).not.toContain('boom');
  });

  it('answers 502 when the route names a function the host does not run', async () => {
    // Prepare
    const host = { invoke: () => Promise.reject(new Error('No local function with logical id ProducerFn')) };
    gateway = await startApiGateway({ api: api(), host, port: 0, log: () => undefined });

    // Act
    const response = await fetch(`${gateway.url}users/u-1/erasure`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(502);
    expect(await problemOf(response)).toMatchObject({ type: 'urn:queueflow:problem:server-error' });
  });

  it('answers a function error with AWS\'s default body when the API declares no DEFAULT_5XX', async () => {
    // Prepare
    const base = await start(fakeHost(() => ({ ok: false, errorType: 'Error', errorMessage: 'boom', timedOut: false })), api({ gatewayResponses: {} }));

    // Act
    const response = await fetch(`${base}/users/u-1/erasure`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ message: 'Internal server error' });
  });

  it('answers 504 when the integration exceeds its timeout', async () => {
    // Prepare
    const base = await start(fakeHost(() => new Promise(() => undefined)), api(), { integrationTimeoutMs: 200 });

    // Act
    const response = await fetch(`${base}/users/u-1/erasure`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(504);
    expect(await problemOf(response)).toMatchObject({ type: 'urn:queueflow:problem:server-error' });
  });
});

describe('LocalApiGateway.close', () => {
  it('stops accepting, lets an in-flight request finish, then closes', async () => {
    // Prepare
    let answered = false;
    const host = fakeHost(async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      answered = true;
      return { ok: true, result: { statusCode: 202, body: '{}' } };
    });
    const base = await start(host);
    const inFlight = fetch(`${base}/users/u-1/erasure`, { method: 'POST' });
    while (host.events.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));

    // Act
    const closing = gateway!.close();
    gateway = undefined;
    const late = await fetch(`${base}/users/u-2/erasure`, { method: 'POST' }).then(() => 'answered', () => 'refused');
    const response = await inFlight;
    await closing;

    // Assess
    expect(answered).toBe(true);
    expect(response.status).toBe(202);
    expect(late).toBe('refused');
  });

  it('gives up on a request still running after the integration timeout', async () => {
    // Prepare
    const host = fakeHost(() => new Promise(() => undefined));
    const base = await start(host, api(), { integrationTimeoutMs: 200 });
    void fetch(`${base}/users/u-1/erasure`, { method: 'POST' }).catch(() => undefined);
    while (host.events.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));

    // Act
    const started = performance.now();
    await gateway!.close();
    gateway = undefined;

    // Assess
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('GatewayResponses', () => {
  const context = { requestId: 'req-1', path: '/prod/orders', 'identity.sourceIp': '127.0.0.1' };
  const requestParameter = (name: string) => (name === 'header.x-trace' ? 'trace-1' : undefined);

  it('substitutes the supported $context variables, in both notations', () => {
    // Prepare
    const responses = new GatewayResponses({
      BAD_REQUEST_BODY: {
        responseParameters: { 'gatewayresponse.header.X-Trace': 'method.request.header.x-trace', 'gatewayresponse.header.X-Static': "'yes'" },
        responseTemplates: {
          'application/json': '{"m":$context.error.messageString,"v":"$context.error.validationErrorString","id":"${context.requestId}","p":"$!{context.path}","ip":"$context.identity.sourceIp","t":"$context.error.responseType","u":"$context.unknown"}',
        },
      },
    });

    // Act
    const rendered = responses.render('BAD_REQUEST_BODY', { message: 'Invalid request body', validationErrorString: '[/a: must be "b"]', context, requestParameter });

    // Assess
    expect(rendered.statusCode).toBe(400);
    expect(rendered.headers).toMatchObject({ 'Content-Type': 'application/json', 'X-Trace': 'trace-1', 'X-Static': 'yes' });
    expect(JSON.parse(rendered.body)).toEqual({
      m: 'Invalid request body',
      v: '[/a: must be "b"]',
      id: 'req-1',
      p: '/prod/orders',
      ip: '127.0.0.1',
      t: 'BAD_REQUEST_BODY',
      u: '',
    });
  });

  it('falls back to DEFAULT_4XX, whose status code then applies to every 4xx type', () => {
    // Prepare
    const responses = new GatewayResponses({ DEFAULT_4XX: { statusCode: '418', responseParameters: {}, responseTemplates: { 'application/json': '{"e":$context.error.messageString}' } } });

    // Act
    const rendered = responses.render('THROTTLED', { message: 'Too Many Requests', context, requestParameter });

    // Assess
    expect(rendered).toMatchObject({ statusCode: 418, body: '{"e":"Too Many Requests"}' });
  });
});

describe('startApiGateway and the Host header', () => {
  const erasure = '/users/u-1/erasure';
  const withAccessDenied = () => api({ gatewayResponses: { ...api().gatewayResponses, ACCESS_DENIED: problem('forbidden', '$context.error.messageString', 403) } });

  it('refuses a DNS-rebinding request (Host: evil.example) with 403 ACCESS_DENIED in the template\'s format, before the route or the function', async () => {
    // Prepare
    const host = fakeHost();
    const url = await start(host, withAccessDenied());

    // Act
    const reply = await rawRequest(`${url}${erasure}`, { method: 'POST', headers: { host: 'evil.example', 'content-type': 'application/json' }, body: '{}' });

    // Assess
    expect(reply.status).toBe(403);
    expect(reply.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(reply.body)).toMatchObject({ type: 'urn:queueflow:problem:forbidden', status: 403, detail: expect.stringContaining('Host "evil.example"') });
    expect(host.events).toEqual([]);
  });

  it("answers AWS's default body when the API declares neither ACCESS_DENIED nor DEFAULT_4XX", async () => {
    const url = await start(fakeHost(), api({ gatewayResponses: {} }));
    const reply = await rawRequest(`${url}${erasure}`, { method: 'POST', headers: { host: 'evil.example:3000' }, body: '{}' });
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.body)).toEqual({ message: expect.stringContaining('DNS rebinding') });
  });

  it.each(['localhost:3000', 'api.localhost:3000', '127.0.0.1', '[::1]:3000'])('serves Host %s', async (name) => {
    const host = fakeHost();
    const url = await start(host, withAccessDenied());
    const reply = await rawRequest(`${url}${erasure}`, { method: 'POST', headers: { host: name, 'content-type': 'application/json' }, body: '{}' });
    expect(reply.status).toBe(202);
    expect(host.events).toHaveLength(1);
  });
});
