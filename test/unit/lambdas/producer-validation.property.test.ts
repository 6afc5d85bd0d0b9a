/**
 * Property-based specification of the producer's validation: first the body validator the
 * construct generates at synth (ajv standalone) from the draft-4 document it derives from each
 * sample zod schema, then the whole producer handler (SNS and DynamoDB mocked) under arbitrary
 * requests. The generated validator also agrees with the one compiled at run time from the same
 * document (the local API gateway's) on validity, whatever the input.
 *
 * Every generated valid body is accepted; every mutation that breaks the schema is rejected with
 * the broken field named by its JSON pointer (the only error: the validator stops at the first);
 * no input makes the validator throw; and no request
 * whatsoever gets a 5xx from the handler or publishes unless it was answered 202.
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import type { APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { OrderPlacedBody, UserErasureRequestedBody } from '../../../sample/events.ts';
import { compileBodyValidator } from '../../../lambdas/shared/validation.ts';
import { runValidator, type ValidationResult } from '../../../lambdas/shared/validation-errors.ts';
import { installEventValidators } from '../../helpers/event-validators.ts';
import { apiEvent, baseLambdaEnv, captureLogs, lambdaContext, setEnv } from '../../helpers/lambda.ts';
import { resetSdkMocks, snsMock } from '../../helpers/sdk-mocks.ts';

// The same conversion the construct performs for the API Gateway model and the producer.
const orderSchema = z.toJSONSchema(OrderPlacedBody, { target: 'draft-4' });
const erasureSchema = z.toJSONSchema(UserErasureRequestedBody, { target: 'draft-4' });
const catalog = [
  { eventType: 'order.placed', method: 'POST', resourcePath: '/orders', schema: orderSchema },
  { eventType: 'user.erasure_requested', method: 'POST', resourcePath: '/users/{userId}/erasure', schema: erasureSchema },
];
// The validators the producer runs: generated from the catalog, as QueueWorkflow does at synth.
const generated = await installEventValidators(catalog);
const validateOrder = (body: unknown) => runValidator(generated['order.placed']!.body!, body);
const validateErasure = (body: unknown) => runValidator(generated['user.erasure_requested']!.body!, body);
const compiledAtRunTime = { order: compileBodyValidator(orderSchema, { allErrors: true }), erasure: compileBodyValidator(erasureSchema, { allErrors: true }) };

type Json = Record<string, unknown>;

const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const email = fc
  .tuple(
    fc.stringMatching(/^[A-Za-z0-9._%+'-]{1,40}$/),
    fc.stringMatching(/^[a-z0-9-]{1,30}$/),
    fc.stringMatching(/^[a-z]{2,10}$/),
  )
  .map(([local, domain, tld]) => `${local}@${domain}.${tld}`);
const phone = fc.stringMatching(/^\+[1-9][0-9]{6,14}$/);
const item = fc.record({
  sku: fc.stringMatching(/^[A-Z0-9-]{1,32}$/),
  quantity: fc.integer({ min: 1, max: 1000 }),
});
const validOrder = fc.record({
  orderId: id,
  customer: fc.record({ id, email, phone }),
  items: fc.array(item, { minLength: 1, maxLength: 100 }),
});

/** A schema-breaking change to a valid order, and the JSON pointer the rejection must name. */
interface Mutation {
  readonly body: Json;
  readonly field: string;
}

const clone = (order: Json): Json => structuredClone(order);

/** Sets an own property, even one named `__proto__` (which plain assignment would not create). */
const set = (target: Json, key: string, value: unknown): void => {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
};

/** Applies `change` to the object at `path` in a copy of `order`. */
const mutateAt = (order: Json, path: readonly (string | number)[], change: (target: Json) => void): Json => {
  const copy = clone(order);
  let target: Record<string | number, unknown> = copy;
  for (const key of path) target = target[key] as Record<string | number, unknown>;
  change(target as Json);
  return copy;
};

/** A value of any JSON type other than the one the field requires. */
const notA = (kind: 'string' | 'integer' | 'object' | 'array') =>
  fc.oneof(
    ...[
      kind !== 'string' ? fc.string({ maxLength: 10 }) : undefined,
      kind !== 'integer' ? fc.integer() : fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
      kind !== 'array' ? fc.array(fc.integer(), { maxLength: 3 }) : undefined,
      kind !== 'object' ? fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }) : undefined,
    ].filter((arbitrary) => arbitrary !== undefined),
  );

const requiredFields: readonly { path: (string | number)[]; key: string; pointer: string }[] = [
  { path: [], key: 'orderId', pointer: '/orderId' },
  { path: [], key: 'customer', pointer: '/customer' },
  { path: [], key: 'items', pointer: '/items' },
  { path: ['customer'], key: 'id', pointer: '/customer/id' },
  { path: ['customer'], key: 'email', pointer: '/customer/email' },
  { path: ['customer'], key: 'phone', pointer: '/customer/phone' },
  { path: ['items', 0], key: 'sku', pointer: '/items/0/sku' },
  { path: ['items', 0], key: 'quantity', pointer: '/items/0/quantity' },
];

const typedFields: readonly { path: (string | number)[]; key: string; kind: 'string' | 'integer' | 'object' | 'array' }[] =
  [
    { path: [], key: 'orderId', kind: 'string' },
    { path: [], key: 'customer', kind: 'object' },
    { path: [], key: 'items', kind: 'array' },
    { path: ['customer'], key: 'email', kind: 'string' },
    { path: ['customer'], key: 'phone', kind: 'string' },
    { path: ['items', 0], key: 'sku', kind: 'string' },
    { path: ['items', 0], key: 'quantity', kind: 'integer' },
  ];

const pointerOf = (path: readonly (string | number)[], key: string): string => `/${[...path, key].join('/')}`;

const missingField = (order: Json) =>
  fc.constantFrom(...requiredFields).map(({ path, key, pointer }): Mutation => ({
    body: mutateAt(order, path, (target) => delete target[key]),
    field: pointer,
  }));

const wrongType = (order: Json) =>
  fc
    .constantFrom(...typedFields)
    .chain(({ path, key, kind }) =>
      notA(kind).map((value): Mutation => ({
        body: mutateAt(order, path, (target) => set(target, key, value)),
        field: pointerOf(path, key),
      })),
    );

const extraField = (order: Json) =>
  fc
    .tuple(
      fc.constantFrom<(string | number)[]>([], ['customer'], ['items', 0]),
      fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !['orderId', 'customer', 'items', 'id', 'email', 'phone', 'sku', 'quantity'].includes(key)),
      fc.jsonValue({ maxDepth: 2 }),
    )
    .map(([path, key, value]): Mutation => ({
      body: mutateAt(order, path, (target) => set(target, key, value)),
      field: pointerOf(path, key.replaceAll('~', '~0').replaceAll('/', '~1')),
    }));

const outOfRange = (order: Json) =>
  fc.oneof(
    fc
      .oneof(fc.integer({ max: 0 }), fc.integer({ min: 1001 }))
      .map((quantity): Mutation => ({
        body: mutateAt(order, ['items', 0], (target) => set(target, 'quantity', quantity)),
        field: '/items/0/quantity',
      })),
    fc.stringMatching(/^[A-Za-z0-9_-]{65,200}$/).map((orderId): Mutation => ({
      body: { ...clone(order), orderId },
      field: '/orderId',
    })),
    fc.constant<Mutation>({ body: { ...clone(order), items: [] }, field: '/items' }),
    fc.constant<Mutation>({
      body: { ...clone(order), items: Array.from({ length: 101 }, () => ({ sku: 'BOOK-1', quantity: 1 })) },
      field: '/items',
    }),
  );

// Each string picked so that it breaks exactly the field's pattern and nothing else.
const badPattern = (order: Json) =>
  fc.oneof(
    fc.constantFrom('a b', 'ä', '../x', 'o%00', '<script>', "o'1", 'x\u0000').map((orderId): Mutation => ({
      body: { ...clone(order), orderId },
      field: '/orderId',
    })),
    fc.constantFrom('plain', 'a@b', 'a b@c.de', '@c.de', 'a@@c.de').map((value): Mutation => ({
      body: mutateAt(order, ['customer'], (target) => set(target, 'email', value)),
      field: '/customer/email',
    })),
    fc.constantFrom('12345678', '+0123456789', '+1234', '+1-555-0100', '+1234567890123456').map((value): Mutation => ({
      body: mutateAt(order, ['customer'], (target) => set(target, 'phone', value)),
      field: '/customer/phone',
    })),
    fc.constantFrom('book-1', 'BOOK 1', 'BOOK_1', '').map((value): Mutation => ({
      body: mutateAt(order, ['items', 0], (target) => set(target, 'sku', value)),
      field: '/items/0/sku',
    })),
  );

const brokenOrder = validOrder.chain((order) =>
  fc.oneof(missingField(order), wrongType(order), extraField(order), outOfRange(order), badPattern(order)),
);

const namedFields = (result: ValidationResult): string[] => (result.valid ? [] : result.errors.map((error) => error.field));

describe('producer validation (order.placed)', () => {
  it('accepts every order that follows the schema', () => {
    fc.assert(
      fc.property(validOrder, (order) => {
        expect(validateOrder(order)).toEqual({ valid: true });
      }),
      { numRuns: 500 },
    );
  });

  it('accepts every valid order the zod schema also accepts, so gateway model and producer agree', () => {
    fc.assert(
      fc.property(validOrder, (order) => {
        expect(OrderPlacedBody.safeParse(order).success).toBe(true);
      }),
    );
  });

  it('rejects any schema-breaking mutation and names the broken field', () => {
    fc.assert(
      fc.property(brokenOrder, ({ body, field }) => {
        // Prepare: the oracle is zod itself, so the mutation really breaks the schema.
        expect(OrderPlacedBody.safeParse(body).success).toBe(false);

        // Act
        const result = validateOrder(body);

        // Assess: the validator stops at the first error, and the mutation broke only this field.
        expect(result.valid).toBe(false);
        expect(namedFields(result)).toEqual([field]);
      }),
      { numRuns: 1_000 },
    );
  });

  it('agrees with the validator compiled at run time from the same document, whatever the body', () => {
    fc.assert(
      fc.property(fc.oneof(validOrder, brokenOrder.map(({ body }) => body), fc.jsonValue()), (body) => {
        expect(validateOrder(body).valid).toBe(compiledAtRunTime.order(body).valid);
        expect(validateErasure(body).valid).toBe(compiledAtRunTime.erasure(body).valid);
      }),
      { numRuns: 1_000 },
    );
  });

  it('never throws, and names only JSON pointers, whatever the input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (input) => {
        const result = validateOrder(input);

        for (const error of result.valid ? [] : result.errors) {
          expect(error.field).toMatch(/^\//);
          expect(error.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('producer validation (user.erasure_requested)', () => {
  it('accepts an empty body and any reason of 1–500 characters', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ minLength: 1, maxLength: 500, unit: 'binary' }), { nil: undefined }), (reason) => {
        const body = reason === undefined ? {} : { reason };
        expect(validateErasure(body)).toEqual({ valid: true });
      }),
    );
  });

  it('rejects a reason that is empty, too long or not a string, naming /reason', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(''), fc.string({ minLength: 501, maxLength: 600 }), notA('string')),
        (reason) => {
          const result = validateErasure({ reason });
          expect(result.valid).toBe(false);
          expect(namedFields(result)).toContain('/reason');
        },
      ),
    );
  });

  it('rejects a userId in the body: it only comes from the path', () => {
    fc.assert(
      fc.property(id, (userId) => {
        expect(namedFields(validateErasure({ userId }))).toContain('/userId');
      }),
    );
  });
});

describe('producer handler under arbitrary requests', () => {
  type Handler = (event: ReturnType<typeof apiEvent>, context: ReturnType<typeof lambdaContext>) => Promise<APIGatewayProxyResult>;
  let handler: Handler;
  let restoreEnv: () => void;
  let logs: ReturnType<typeof captureLogs>;

  beforeAll(async () => {
    restoreEnv = setEnv({
      ...baseLambdaEnv,
      TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:queueflow-events',
      IDEMPOTENCY_TABLE_NAME: 'idempotency',
      EVENT_SOURCE: 'queueflow/orders',
      QUEUEFLOW_EVENT_CATALOG: JSON.stringify(catalog),
    });
    // The handler reads its environment and catalog when built, so import it only now.
    const { createProducerHandler } = await import('../../../lambdas/shared/producer.ts');
    handler = createProducerHandler() as unknown as Handler;
    logs = captureLogs();
  });

  afterAll(() => {
    logs?.restore();
    restoreEnv?.();
  });

  /** Invokes the handler against fresh mocks; returns the answer and what was published. */
  const invoke = async (event: ReturnType<typeof apiEvent>) => {
    resetSdkMocks();
    snsMock.on(PublishCommand).resolves({ MessageId: 'message-1' });
    const response = await handler(event, lambdaContext());
    const published = snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
    return { response, published, body: JSON.parse(response.body) as Record<string, unknown> };
  };

  const jsonBody = (value: unknown) => JSON.stringify(value);
  const anyBody = fc.oneof(
    validOrder.map(jsonBody),
    brokenOrder.map(({ body }) => jsonBody(body)),
    fc.jsonValue().map(jsonBody),
    fc.string({ maxLength: 200, unit: 'binary' }),
    fc.constant(''),
  );
  const anyRequest = fc.record({
    method: fc.constantFrom('POST', 'GET', 'PUT', 'DELETE', 'post'),
    resource: fc.constantFrom('/orders', '/users/{userId}/erasure', '/unknown', '/orders/{id}'),
    userId: fc.oneof(id, fc.string({ maxLength: 80, unit: 'binary' })),
    contentType: fc.option(
      fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/jsonp', 'APPLICATION/JSON', ''),
      { nil: undefined },
    ),
    idempotencyKey: fc.option(fc.oneof(id, fc.string({ maxLength: 300, unit: 'binary' })), { nil: undefined }),
    correlationId: fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
    body: fc.option(anyBody, { nil: null }),
  });

  it('answers every request with a 202 or a 4xx problem, never a 5xx, and publishes only on 202', async () => {
    await fc.assert(
      fc.asyncProperty(anyRequest, async (request) => {
        // Prepare
        const headers: Record<string, string> = {};
        if (request.contentType !== undefined) headers['Content-Type'] = request.contentType;
        if (request.idempotencyKey !== undefined) headers['Idempotency-Key'] = request.idempotencyKey;
        if (request.correlationId !== undefined) headers['X-Correlation-Id'] = request.correlationId;
        const event = apiEvent({
          method: request.method,
          resource: request.resource,
          path: request.resource.replace('{userId}', request.userId),
          pathParameters: request.resource.includes('{userId}') ? { userId: request.userId } : undefined,
          headers,
          body: request.body,
        });

        // Act
        const { response, published, body } = await invoke(event);

        // Assess
        expect(response.statusCode).toBeLessThan(500);
        if (response.statusCode === 202) {
          expect(published).toHaveLength(1);
          expect(body).toEqual({ eventId: expect.any(String), correlationId: expect.any(String) });
        } else {
          expect(response.statusCode).toBeGreaterThanOrEqual(400);
          expect(published).toHaveLength(0);
          expect(response.headers?.['Content-Type']).toBe('application/problem+json');
          expect(body).toMatchObject({ type: expect.stringMatching(/^urn:queueflow:problem:[a-z-]+$/), status: response.statusCode });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('publishes every valid order once, with the body as the event data', async () => {
    await fc.assert(
      fc.asyncProperty(validOrder, async (order) => {
        const { response, published } = await invoke(apiEvent({ body: JSON.stringify(order) }));

        expect(response.statusCode).toBe(202);
        expect(published).toHaveLength(1);
        const envelope = JSON.parse(published[0]!.Message!) as { type: string; data: unknown };
        expect(envelope).toMatchObject({ type: 'order.placed', data: order });
        expect(published[0]!.MessageAttributes?.eventType?.StringValue).toBe('order.placed');
      }),
      { numRuns: 100 },
    );
  });

  it('rejects every schema-breaking order with 400 validation-failed naming the field, publishing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(brokenOrder, async ({ body: order, field }) => {
        const { response, published, body } = await invoke(apiEvent({ body: JSON.stringify(order) }));

        expect(response.statusCode).toBe(400);
        expect(body.type).toBe('urn:queueflow:problem:validation-failed');
        expect((body.errors as { field: string }[]).map((error) => error.field)).toContain(field);
        expect(published).toHaveLength(0);
      }),
      { numRuns: 300 },
    );
  });
});
