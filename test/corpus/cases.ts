/**
 * The bad-input corpus for the producer API: hostile and broken requests with the answer each
 * must get. Most cases live in `producer-requests.json`; the big ones (oversized bodies, fields
 * and headers, deep nesting) are generated here so the repository holds no multi-megabyte files.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const CorpusCase = z
  .strictObject({
    name: z.string().min(1),
    /** Why the expected answer is right, where it is not obvious. */
    why: z.string().optional(),
    method: z.string().min(1),
    /** Sent as is (percent-encodings and all), relative to the API's base path. */
    path: z.string().startsWith('/'),
    headers: z.record(z.string(), z.string()),
    body: z.string().optional(),
    bodyBase64: z.string().optional(),
    /** `valid` (default) sends the API key, `missing` sends none, `wrong` sends another one. */
    apiKey: z.enum(['valid', 'missing', 'wrong']).default('valid'),
    expectStatus: z.number().int().min(200).max(599),
    expectAccepted: z.boolean(),
    /** The problem slug (`urn:queueflow:problem:<slug>`) when only one is right. */
    expectType: z.string().optional(),
    /** JSON pointers a `validation-failed` answer must name. */
    expectFields: z.array(z.string()).optional(),
    /** The name of an earlier case whose eventId this idempotent replay must return. */
    replayOf: z.string().optional(),
    expectCorrelationId: z.string().optional(),
    expectCorrelationIdNot: z.string().optional(),
  })
  .refine((c) => (c.body === undefined) !== (c.bodyBase64 === undefined), 'give exactly one of body and bodyBase64')
  .refine((c) => c.expectAccepted === (c.expectStatus === 202), 'expectAccepted must agree with expectStatus');
export type CorpusCase = z.infer<typeof CorpusCase>;

/** The corpus fixture is inconsistent: a repeated name, or a replay of no earlier case. */
export class CorpusError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CorpusError';
  }
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };

/** The API Gateway and SNS limit the producer enforces (docs/architecture.md, 413). */
export const MAX_BODY_BYTES = 262_144;

const validOrder = {
  orderId: 'ord-corpus-big',
  customer: { id: 'cust-1', email: 'ann@example.com', phone: '+14155550100' },
  items: [{ sku: 'BOOK-1', quantity: 1 }],
};
const orderJson = JSON.stringify(validOrder);

/** A valid order padded with insignificant whitespace to exactly `bytes` bytes. */
const paddedOrder = (bytes: number): string => `${orderJson.slice(0, -1)}${' '.repeat(bytes - orderJson.length)}}`;

const accepted = { expectStatus: 202, expectAccepted: true } as const;
const rejected = (status: number, expectType?: string) =>
  ({ expectStatus: status, expectAccepted: false, ...(expectType ? { expectType } : {}) }) as const;

const generatedCases = (): z.input<typeof CorpusCase>[] => [
  {
    name: 'whitespace-padded valid order of exactly 256 KiB',
    why: 'the limit is on the body bytes; padding is valid JSON and the envelope stays small',
    method: 'POST',
    path: '/orders',
    headers: JSON_HEADERS,
    body: paddedOrder(MAX_BODY_BYTES),
    ...accepted,
  },
  {
    name: 'whitespace-padded valid order one byte over 256 KiB',
    method: 'POST',
    path: '/orders',
    headers: JSON_HEADERS,
    body: paddedOrder(MAX_BODY_BYTES + 1),
    ...rejected(413, 'payload-too-large'),
  },
  {
    name: 'whitespace-padded valid order of 1 MiB',
    method: 'POST',
    path: '/orders',
    headers: JSON_HEADERS,
    body: paddedOrder(1_048_576),
    ...rejected(413, 'payload-too-large'),
  },
  {
    name: 'orderId of 100,000 characters',
    method: 'POST',
    path: '/orders',
    headers: JSON_HEADERS,
    body: JSON.stringify({ ...validOrder, orderId: 'o'.repeat(100_000) }),
    ...rejected(400, 'validation-failed'),
    expectFields: ['/orderId'],
  },
  {
    name: 'email of 255 characters',
    method: 'POST',
    path: '/orders',
    headers: JSON_HEADERS,
    body: JSON.stringify({ ...validOrder, customer: { ...validOrder.customer, email: `${'a'.repeat(243)}@example.com` } }),
    ...rejected(400, 'validation-failed'),
    expectFields: ['/customer/email'],
  },
  {
    name: '101 items',
    method: 'POST',
    path: '/orders',
    headers: JSON_HEADERS,
    body: JSON.stringify({ ...validOrder, items: Array.from({ length: 101 }, () => ({ sku: 'BOOK-1', quantity: 1 })) }),
    ...rejected(400, 'validation-failed'),
    expectFields: ['/items'],
  },
  {
    name: 'erasure reason of 501 characters',
    method: 'POST',
    path: '/users/u-corpus-big/erasure',
    headers: JSON_HEADERS,
    body: JSON.stringify({ reason: 'r'.repeat(501) }),
    ...rejected(400, 'validation-failed'),
    expectFields: ['/reason'],
  },
  {
    name: 'arrays nested 10,000 deep in an extra field',
    method: 'POST',
    path: '/orders',
    headers: JSON_HEADERS,
    body: `${orderJson.slice(0, -1)},"nest":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
    ...rejected(400, 'validation-failed'),
    expectFields: ['/nest'],
  },
  {
    name: 'objects nested 50,000 deep and never closed',
    method: 'POST',
    path: '/orders',
    headers: JSON_HEADERS,
    body: '{"a":'.repeat(50_000),
    ...rejected(400),
  },
  {
    name: 'an irrelevant header of 8 KiB',
    method: 'POST',
    path: '/orders',
    headers: { ...JSON_HEADERS, 'X-Padding': 'p'.repeat(8_192) },
    body: orderJson,
    ...accepted,
  },
  {
    name: '100 extra headers',
    method: 'POST',
    path: '/orders',
    headers: { ...JSON_HEADERS, ...Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`X-Extra-${i}`, `value-${i}`])) },
    body: orderJson,
    ...accepted,
  },
  {
    name: 'X-Correlation-Id of 8 KiB is replaced',
    method: 'POST',
    path: '/orders',
    headers: { ...JSON_HEADERS, 'X-Correlation-Id': 'c'.repeat(8_192) },
    body: orderJson,
    ...accepted,
    expectCorrelationIdNot: 'c'.repeat(8_192),
  },
  {
    name: 'Idempotency-Key of 8 KiB',
    method: 'POST',
    path: '/orders',
    headers: { ...JSON_HEADERS, 'Idempotency-Key': 'k'.repeat(8_192) },
    body: orderJson,
    ...rejected(400, 'invalid-idempotency-key'),
  },
  // The ordered account lifecycle (orderedBy /accountId): one valid request per route.
  {
    name: 'valid account opening',
    method: 'POST',
    path: '/accounts',
    headers: JSON_HEADERS,
    body: JSON.stringify({ accountId: 'acc-corpus-1', email: 'ann@example.com' }),
    ...accepted,
  },
  {
    name: 'valid account verification',
    method: 'POST',
    path: '/accounts/acc-corpus-1/verification',
    headers: JSON_HEADERS,
    body: '{}',
    ...accepted,
  },
  {
    name: 'valid account charge',
    method: 'POST',
    path: '/accounts/acc-corpus-1/charges',
    headers: JSON_HEADERS,
    body: JSON.stringify({ amountCents: 1250, currency: 'EUR' }),
    ...accepted,
  },
  {
    name: 'account id with a space, which no message group may hold',
    method: 'POST',
    path: '/accounts',
    headers: JSON_HEADERS,
    body: JSON.stringify({ accountId: 'acc corpus', email: 'ann@example.com' }),
    ...rejected(400, 'validation-failed'),
  },
];

/** Every corpus case, checked against the case schema so a typo in the fixture fails loudly. */
export const loadCorpus = (): CorpusCase[] => {
  const fixture: unknown = JSON.parse(readFileSync(new URL('./producer-requests.json', import.meta.url), 'utf8'));
  const cases = z.array(CorpusCase).parse([...(fixture as unknown[]), ...generatedCases()]);
  const names = new Set<string>();
  for (const c of cases) {
    if (names.has(c.name)) throw new CorpusError(`Duplicate corpus case name: ${c.name}`);
    if (c.replayOf !== undefined && !names.has(c.replayOf)) throw new CorpusError(`${c.name}: replayOf names no earlier case`);
    names.add(c.name);
  }
  return cases;
};

/** The request body as bytes. */
export const bodyOf = (c: CorpusCase): Buffer =>
  c.bodyBase64 !== undefined ? Buffer.from(c.bodyBase64, 'base64') : Buffer.from(c.body ?? '', 'utf8');
