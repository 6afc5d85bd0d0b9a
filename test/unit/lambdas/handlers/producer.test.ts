/**
 * The producer's HTTP contract (docs/architecture.md, "Producer HTTP contract"): accepted events
 * are wrapped and published once; every error is a problem document; `Idempotency-Key` makes
 * client retries safe through Powertools idempotency over a DynamoDB table.
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { OrderPlacedBody, UserErasureRequestedBody } from '../../../../sample/events.ts';
import { PRODUCER_IDEMPOTENCY_KEY_PREFIX } from '../../../../lambdas/shared/idempotent-request.ts';
import { installEventValidators } from '../../../helpers/event-validators.ts';
import { apiEvent, baseLambdaEnv, captureLogs, lambdaContext, setEnv } from '../../../helpers/lambda.ts';
import type { ApiRequest } from '../../../helpers/lambda.ts';
import { FakeDynamoDb, dynamoDbMock, resetSdkMocks, snsMock } from '../../../helpers/sdk-mocks.ts';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:queueflow-events';
const IDEMPOTENCY_TABLE = 'queueflow-idempotency';
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MAX_BYTES = 262_144;

// The catalog the construct builds from the sample schemas, plus a permissive route that lets a
// test reach the envelope size limit, which the strict sample schemas cannot.
const catalog = [
  { eventType: 'order.placed', method: 'POST', resourcePath: '/orders', schema: z.toJSONSchema(OrderPlacedBody, { target: 'draft-4' }) },
  {
    eventType: 'user.erasure_requested',
    method: 'POST',
    resourcePath: '/users/{userId}/erasure',
    schema: z.toJSONSchema(UserErasureRequestedBody, { target: 'draft-4' }),
  },
  { eventType: 'note.added', method: 'POST', resourcePath: '/notes', schema: { type: 'object' } },
];

const restoreEnv = setEnv({
  ...baseLambdaEnv,
  TOPIC_ARN,
  IDEMPOTENCY_TABLE_NAME: IDEMPOTENCY_TABLE,
  EVENT_SOURCE: 'queueflow/orders',
  QUEUEFLOW_EVENT_CATALOG: JSON.stringify(catalog),
});
// The body validators QueueWorkflow generates from the catalog and injects into the producer's bundle.
await installEventValidators(catalog);
const { handler } = await import('../../../../lambdas/handlers/producer.ts');
afterAll(restoreEnv);

const order = {
  orderId: 'ord-1001',
  customer: { id: 'cus-42', email: 'ada@example.com', phone: '+15555550100' },
  items: [{ sku: 'BOOK-1', quantity: 1 }],
};

const post = (request: ApiRequest = {}) =>
  handler(apiEvent({ body: JSON.stringify(order), ...request }), lambdaContext()) as Promise<APIGatewayProxyResult>;

const json = (result: APIGatewayProxyResult) => JSON.parse(result.body) as Record<string, any>;
const publishedEnvelopes = () =>
  snsMock.commandCalls(PublishCommand).map((call) => JSON.parse(call.args[0].input.Message ?? '') as Record<string, any>);

/** Asserts an RFC 9457 problem with the contract's slug, and returns its body. */
const expectProblem = (result: APIGatewayProxyResult, status: number, slug: string) => {
  expect(result.statusCode).toBe(status);
  expect(result.headers?.['Content-Type']).toBe('application/problem+json');
  const body = json(result);
  expect(body).toMatchObject({ type: `urn:queueflow:problem:${slug}`, status, title: expect.any(String), detail: expect.any(String) });
  return body;
};

let dynamo: FakeDynamoDb;
let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  dynamo = resetSdkMocks();
  snsMock.on(PublishCommand).resolves({ MessageId: 'sns-1' });
  logs = captureLogs();
});
afterEach(() => logs.restore());

describe('producer: accepted events', () => {
  it('answers 202 with the event id and publishes one CloudEvent to the topic', async () => {
    // Act
    const result = await post({ headers: { 'Content-Type': 'application/json', 'X-Correlation-Id': 'corr-1' } });

    // Assess
    expect(result.statusCode).toBe(202);
    expect(result.headers).toMatchObject({ 'Content-Type': 'application/json', 'X-Correlation-Id': 'corr-1' });
    const body = json(result);
    expect(body).toEqual({ eventId: expect.stringMatching(UUID_V7), correlationId: 'corr-1' });
    const calls = snsMock.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toMatchObject({
      TopicArn: TOPIC_ARN,
      MessageAttributes: {
        eventType: { DataType: 'String', StringValue: 'order.placed' },
        correlationId: { DataType: 'String', StringValue: 'corr-1' },
      },
    });
    const [envelope] = publishedEnvelopes();
    expect(envelope).toEqual({
      specversion: '1.0',
      id: body.eventId,
      source: 'queueflow/orders',
      type: 'order.placed',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      datacontenttype: 'application/json',
      correlationid: 'corr-1',
      data: order,
    });
  });

  it('gives every request its own event id', async () => {
    // Act
    const first = json(await post());
    const second = json(await post());

    // Assess
    expect(first.eventId).not.toBe(second.eventId);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(2);
  });

  it('merges the path parameters into the event data', async () => {
    // Act
    const result = await post({
      resource: '/users/{userId}/erasure',
      path: '/users/u-1/erasure',
      pathParameters: { userId: 'u-1' },
      body: JSON.stringify({ reason: 'gdpr' }),
    });

    // Assess
    expect(result.statusCode).toBe(202);
    expect(publishedEnvelopes()[0]).toMatchObject({ type: 'user.erasure_requested', data: { reason: 'gdpr', userId: 'u-1' } });
  });

  it.each([
    ['a hostile one', '<script>alert(1)</script>'],
    ['one over 128 characters', 'c'.repeat(129)],
    ['none', undefined],
  ])('replaces %s as correlation id with a new UUID', async (_case, header) => {
    // Act
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (header !== undefined) headers['x-correlation-id'] = header;
    const body = json(await post({ headers }));

    // Assess
    expect(body.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(publishedEnvelopes()[0]!.correlationid).toBe(body.correlationId);
  });

  it('accepts a JSON content type with parameters, in any case', async () => {
    // Act
    const result = await post({ headers: { 'CONTENT-TYPE': 'Application/JSON; charset="UTF-8"' } });

    // Assess
    expect(result.statusCode).toBe(202);
  });

  it('accepts a body of exactly 256 KiB and a base64-encoded body', async () => {
    // Prepare
    const text = JSON.stringify(order);
    const padded = `${text.slice(0, -1)}${' '.repeat(MAX_BYTES - text.length)}}`;

    // Act
    const exact = await post({ body: padded });
    const encoded = await post({ body: Buffer.from(text).toString('base64'), isBase64Encoded: true });

    // Assess
    expect(exact.statusCode).toBe(202);
    expect(encoded.statusCode).toBe(202);
    expect(publishedEnvelopes().map((envelope) => envelope.data)).toEqual([order, order]);
  });

  it('logs the event id and correlation id, never the event data', async () => {
    // Act
    const body = json(await post({ headers: { 'Content-Type': 'application/json', 'X-Correlation-Id': 'corr-log' } }));

    // Assess
    const published = logs.entries().find((entry) => entry.message === 'Event published');
    expect(published).toMatchObject({ eventId: body.eventId, correlationId: 'corr-log', level: 'INFO' });
    expect(logs.text()).not.toContain('ada@example.com');
  });
});

describe('producer: rejected requests', () => {
  it('answers 404 not-found for a method and resource with no event type', async () => {
    // Act
    const result = await post({ method: 'PUT' });

    // Assess
    expectProblem(result, 404, 'not-found');
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it.each([['text/plain'], ['application/json5'], ['application/problem+json'], [undefined]])(
    'answers 415 unsupported-media-type for Content-Type %s',
    async (contentType) => {
      // Act
      const result = await post({ headers: contentType === undefined ? {} : { 'Content-Type': contentType } });

      // Assess
      expectProblem(result, 415, 'unsupported-media-type');
      expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    },
  );

  it('answers 413 payload-too-large for a body one byte over 256 KiB', async () => {
    // Prepare
    const text = JSON.stringify(order);
    const padded = `${text.slice(0, -1)}${' '.repeat(MAX_BYTES + 1 - text.length)}}`;

    // Act
    const result = await post({ body: padded });

    // Assess
    expectProblem(result, 413, 'payload-too-large');
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('answers 413 payload-too-large when the body fits but the envelope would not', async () => {
    // Prepare: a body just under the limit; the envelope adds its own fields around it
    const note = JSON.stringify({ text: 'n'.repeat(MAX_BYTES - 20) });

    // Act
    const result = await post({ resource: '/notes', body: note });

    // Assess
    expect(Buffer.byteLength(note)).toBeLessThanOrEqual(MAX_BYTES);
    expectProblem(result, 413, 'payload-too-large');
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it.each([
    ['not JSON', 'not json'],
    ['truncated JSON', '{"orderId":'],
    ['an empty body', ''],
    ['a JSON array', JSON.stringify([order])],
    ['JSON null', 'null'],
    ['a JSON string', '"order"'],
    ['a byte order mark before the JSON', `\uFEFF${JSON.stringify(order)}`],
  ])('answers 400 malformed-json for %s', async (_case, body) => {
    // Act
    const result = await post({ body });

    // Assess
    expectProblem(result, 400, 'malformed-json');
  });

  it('answers 400 malformed-json for a base64 body that is not UTF-8', async () => {
    // Prepare: 0xC0 0xAF is an overlong "/", invalid UTF-8
    const bytes = Buffer.concat([Buffer.from('{"orderId":"a'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]);

    // Act
    const result = await post({ body: bytes.toString('base64'), isBase64Encoded: true });

    // Assess
    expectProblem(result, 400, 'malformed-json');
  });

  it('answers 400 validation-failed naming the first failing field by JSON pointer, and only that one', async () => {
    // Prepare
    const { orderId: _omitted, ...withoutOrderId } = order;
    const body = {
      ...withoutOrderId,
      customer: { ...order.customer, email: 'not-an-email' },
      items: [{ sku: 'book-1', quantity: 0 }],
      price: 1,
    };

    // Act
    const result = await post({ body: JSON.stringify(body) });

    // Assess
    const problem = expectProblem(result, 400, 'validation-failed');
    // The validator stops at the first error, so no check runs on a value already rejected
    // (a pattern never runs on a string that broke maxLength): required properties come first.
    expect(problem.errors).toEqual([{ field: '/orderId', message: "must have required property 'orderId'" }]);
    expect(JSON.stringify(problem)).not.toContain('not-an-email');
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it.each([['../x'], ['a'.repeat(65)], ['u 1'], [undefined]])(
    'answers 400 invalid-path-parameter for userId %s',
    async (userId) => {
      // Act
      const result = await post({
        resource: '/users/{userId}/erasure',
        pathParameters: userId === undefined ? undefined : { userId },
        body: '{}',
      });

      // Assess
      expectProblem(result, 400, 'invalid-path-parameter');
    },
  );

  it.each([['256 characters', 'k'.repeat(256)], ['a tab', 'a\tb'], ['a Latin-1 letter', 'clé'], ['empty', '']])(
    'answers 400 invalid-idempotency-key for a key with %s',
    async (_case, key) => {
      // Act
      const result = await post({ headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key } });

      // Assess
      expectProblem(result, 400, 'invalid-idempotency-key');
    },
  );
});

describe('producer: Idempotency-Key', () => {
  const withKey = (key: string, extra: Record<string, string> = {}) => ({
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key, ...extra },
  });

  it('returns the first eventId for a replay and publishes nothing more', async () => {
    // Act
    const first = await post(withKey('key-1', { 'X-Correlation-Id': 'corr-first' }));
    const replay = await post(withKey('key-1', { 'X-Correlation-Id': 'corr-second' }));

    // Assess
    expect(first.statusCode).toBe(202);
    expect(replay.statusCode).toBe(202);
    expect(json(replay)).toEqual(json(first));
    expect(json(replay).correlationId).toBe('corr-first');
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
    expect(dynamo.items(IDEMPOTENCY_TABLE)).toEqual([
      expect.objectContaining({ status: 'COMPLETED', data: json(first) }),
    ]);
  });

  it('treats the same key on another route as another key', async () => {
    // Act
    const order1 = await post(withKey('shared-key'));
    const erasure = await post({
      ...withKey('shared-key'),
      resource: '/users/{userId}/erasure',
      pathParameters: { userId: 'u-1' },
      body: '{}',
    });

    // Assess
    expect(erasure.statusCode).toBe(202);
    expect(json(erasure).eventId).not.toBe(json(order1).eventId);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(2);
  });

  it('answers 422 idempotency-key-reused for the same key with a different body', async () => {
    // Prepare
    await post(withKey('key-2'));

    // Act
    const reused = await post({ ...withKey('key-2'), body: JSON.stringify({ ...order, orderId: 'ord-other' }) });

    // Assess
    expectProblem(reused, 422, 'idempotency-key-reused');
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it('answers 409 idempotency-in-progress while the first request is still publishing', async () => {
    // Prepare: hold the first publish open until the second request has been answered
    let releasePublish: () => void = () => undefined;
    snsMock.on(PublishCommand).callsFakeOnce(
      () => new Promise((resolve) => (releasePublish = () => resolve({ MessageId: 'sns-slow' }))),
    );
    const first = post(withKey('key-3'));
    await vi_waitFor(() => snsMock.commandCalls(PublishCommand).length === 1);

    // Act
    const concurrent = await post(withKey('key-3'));
    releasePublish();

    // Assess
    expectProblem(concurrent, 409, 'idempotency-in-progress');
    expect((await first).statusCode).toBe(202);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it('answers 502 publish-failed without internals when SNS fails, and records nothing as accepted', async () => {
    // Prepare
    snsMock.on(PublishCommand).rejectsOnce(new Error('AuthorizationError: arn:aws:iam::123456789012:role/secret-role'));

    // Act
    const failed = await post(withKey('key-4'));

    // Assess
    const problem = expectProblem(failed, 502, 'publish-failed');
    expect(JSON.stringify(problem)).not.toMatch(/secret-role|AuthorizationError|arn:/);
    expect(dynamo.items(IDEMPOTENCY_TABLE)).toEqual([]);
  });

  it('publishes on a retry with the same key after SNS failed', async () => {
    // Prepare
    snsMock.on(PublishCommand).rejectsOnce(new Error('throttled')).resolves({ MessageId: 'sns-2' });
    const failed = await post(withKey('key-5'));

    // Act
    const retried = await post(withKey('key-5'));
    const replayed = await post(withKey('key-5'));

    // Assess: both attempts carry the UUIDv5 of "anonymous POST /orders key-5 <sha256 of the
    // canonical order>" (computed independently with Python's uuid.uuid5 and hashlib)
    expect(failed.statusCode).toBe(502);
    expect(retried.statusCode).toBe(202);
    expect(json(replayed).eventId).toBe(json(retried).eventId);
    expect(publishedEnvelopes().map((envelope) => envelope.id)).toEqual([
      'be7e9281-22da-5746-8fe9-b2ed0ac7df3a',
      'be7e9281-22da-5746-8fe9-b2ed0ac7df3a',
    ]);
    expect(json(retried).eventId).toBe('be7e9281-22da-5746-8fe9-b2ed0ac7df3a');
  });

  it('re-publishes with the same event id when the idempotency record is gone (e.g. a crashed first attempt)', async () => {
    // Prepare: the first attempt published, then its record vanished as an expired in-progress record would
    const first = await post(withKey('key-6'));
    dynamo.tables.get(IDEMPOTENCY_TABLE)!.clear();

    // Act
    const retried = await post(withKey('key-6'));

    // Assess: published twice, but as one event the consumers' idempotency absorbs
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(2);
    expect(json(retried).eventId).toBe(json(first).eventId);
    expect(publishedEnvelopes().map((envelope) => envelope.id)).toEqual([
      '9bb5aa40-3f17-5e18-a989-3dd8bc37699b',
      '9bb5aa40-3f17-5e18-a989-3dd8bc37699b',
    ]);
  });

  it('answers 502 publish-failed without a key too', async () => {
    // Prepare
    snsMock.on(PublishCommand).rejectsOnce(new Error('boom'));

    // Act
    const failed = await post();

    // Assess
    expectProblem(failed, 502, 'publish-failed');
  });

  it('answers a bare 500 internal-error when the idempotency table fails', async () => {
    // Prepare
    dynamoDbMock.reset();
    dynamoDbMock.onAnyCommand().rejects(new Error('ResourceNotFoundException: table queueflow-idempotency'));

    // Act
    const result = await post(withKey('key-6'));

    // Assess
    const problem = expectProblem(result, 500, 'internal-error');
    expect(JSON.stringify(problem)).not.toContain('queueflow-idempotency');
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });
});

describe('producer: what an Idempotency-Key covers', () => {
  const ALICE_KEY_ID = 'a1b2c3d4e5';
  const erasure = (userId: string, request: ApiRequest = {}) =>
    post({
      resource: '/users/{userId}/erasure',
      path: `/users/${userId}/erasure`,
      pathParameters: { userId },
      body: JSON.stringify({ reason: 'gdpr' }),
      apiKeyId: ALICE_KEY_ID,
      ...request,
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'K', ...request.headers },
    });
  /** Drops every producer record, as their TTL would. */
  const expireRecords = () => dynamo.tables.get(IDEMPOTENCY_TABLE)?.clear();

  it('keys its records producer#…, whatever the function is called', async () => {
    // Act
    await erasure('alice');

    // Assess
    expect(PRODUCER_IDEMPOTENCY_KEY_PREFIX).toBe('producer');
    expect(dynamo.items(IDEMPOTENCY_TABLE)).toEqual([expect.objectContaining({ id: expect.stringMatching(/^producer#/) })]);
  });

  it('never gives bob the event of alice under the same key, also after alice\'s record expired', async () => {
    // Prepare
    const alice = json(await erasure('alice'));
    expireRecords();

    // Act
    const bob = await erasure('bob');

    // Assess
    expect(bob.statusCode).toBe(202);
    expect(json(bob).eventId).not.toBe(alice.eventId);
    expect(publishedEnvelopes().map((envelope) => [envelope.id, envelope.data.userId])).toEqual([
      [alice.eventId, 'alice'],
      [json(bob).eventId, 'bob'],
    ]);
  });

  it('keeps two paths apart while both records live: no replay, no 422', async () => {
    // Act
    const alice = await erasure('alice');
    const bob = await erasure('bob');

    // Assess
    expect([alice.statusCode, bob.statusCode]).toEqual([202, 202]);
    expect(json(bob).eventId).not.toBe(json(alice).eventId);
    expect(dynamo.items(IDEMPOTENCY_TABLE)).toHaveLength(2);
  });

  it('keeps two callers (API keys) apart on the same path with the same body', async () => {
    // Act
    const first = await erasure('alice');
    const second = await erasure('alice', { apiKeyId: 'z9y8x7w6v5' });
    const anonymous = await erasure('alice', { apiKeyId: undefined });

    // Assess
    expect([first.statusCode, second.statusCode, anonymous.statusCode]).toEqual([202, 202, 202]);
    expect(new Set([first, second, anonymous].map((result) => json(result).eventId)).size).toBe(3);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(3);
  });

  it('gives a different body under the same key another id once the record is gone (422 while it lives)', async () => {
    // Prepare
    const first = json(await erasure('alice'));
    const whileLive = await erasure('alice', { body: JSON.stringify({ reason: 'account closed' }) });
    expireRecords();

    // Act
    const afterExpiry = await erasure('alice', { body: JSON.stringify({ reason: 'account closed' }) });

    // Assess
    expectProblem(whileLive, 422, 'idempotency-key-reused');
    expect(afterExpiry.statusCode).toBe(202);
    expect(json(afterExpiry).eventId).not.toBe(first.eventId);
  });

  it('gives the same request the same id, also once the record is gone, whatever its key order or whitespace', async () => {
    // Prepare
    const compact = JSON.stringify(order);
    const reordered = `{ "items" : [ { "quantity": 1, "sku": "BOOK-1" } ],\n  "customer": ${JSON.stringify(order.customer, null, 2)}, "orderId": "ord-1001" }`;
    const withKey = (body: string) => ({ body, apiKeyId: ALICE_KEY_ID, headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'K' } });
    const first = await post(withKey(compact));

    // Act
    const replay = await post(withKey(reordered));
    expireRecords();
    const republished = await post(withKey(reordered));

    // Assess: a replay while the record lives (no 422, nothing published), the same id after
    expect(replay.statusCode).toBe(202);
    expect(json(replay).eventId).toBe(json(first).eventId);
    expect(json(republished).eventId).toBe(json(first).eventId);
    expect(publishedEnvelopes().map((envelope) => envelope.id)).toEqual([json(first).eventId, json(first).eventId]);
  });

  it('derives the id as UUIDv5 of "<caller> <METHOD> <path> <key> <sha256 of the canonical data>"', async () => {
    // Act
    const result = await erasure('alice');

    // Assess: computed independently with Python's uuid.uuid5 and hashlib.sha256 over
    // 'key:a1b2c3d4e5 POST /users/alice/erasure K ' + sha256('{"reason":"gdpr","userId":"alice"}')
    expect(json(result).eventId).toBe('6476e513-eeee-594a-a3ba-44a4ec10fe81');
  });
});

/** Polls until the condition holds, letting pending promises run in between. */
const vi_waitFor = async (condition: () => boolean, attempts = 100): Promise<void> => {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('condition never held');
};
