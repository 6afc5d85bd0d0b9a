/**
 * The webhook receiver's contract (docs/webhooks.md): a delivery is verified on its raw bytes
 * with the source's secrets from Secrets Manager (one fresh read on a miss), published once per
 * delivery id, and answered 202 / 200 (a retry) only after SNS accepted it; a bad signature is a
 * 401 problem, never a 410. Deliveries are signed by the providers' own libraries.
 */
import { createHmac } from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { PublishCommand } from '@aws-sdk/client-sns';
import { sign as signGitHub } from '@octokit/webhooks-methods';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../../lambdas/shared/env.ts';
import { WEBHOOK_IDEMPOTENCY_KEY_PREFIX } from '../../../../lambdas/shared/webhooks/sources.ts';
import { apiEvent, baseLambdaEnv, captureLogs, lambdaContext, setEnv } from '../../../helpers/lambda.ts';
import { FakeDynamoDb, resetSdkMocks, secretsManagerMock, snsMock } from '../../../helpers/sdk-mocks.ts';

const stripe = new Stripe('sk_test_not_a_real_key');
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:queueflow-events';
const TABLE = 'queueflow-idempotency';
const SECRETS = { stripe: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:stripe-AbCdEf', github: 'github-secret', shopify: 'shopify-secret', acme: 'acme-secret' };

const restoreEnv = setEnv({
  ...baseLambdaEnv,
  TOPIC_ARN,
  IDEMPOTENCY_TABLE_NAME: TABLE,
  EVENT_SOURCE: 'queueflow/sample',
  WEBHOOK_SOURCES: JSON.stringify([
    { name: 'stripe', path: '/webhooks/stripe', verify: 'stripe', deliveryId: { bodyField: '/id' }, eventType: { bodyField: '/type' }, secretId: SECRETS.stripe },
    { name: 'github', path: '/webhooks/github', verify: 'github', deliveryId: { header: 'X-GitHub-Delivery' }, eventType: { header: 'X-GitHub-Event' }, secretId: SECRETS.github },
    { name: 'shopify', path: '/webhooks/shopify', verify: 'shopify', deliveryId: { header: 'X-Shopify-Webhook-Id' }, eventType: { header: 'X-Shopify-Topic' }, secretId: SECRETS.shopify },
    {
      name: 'acme',
      path: '/webhooks/acme',
      verify: { scheme: 'hmac', header: 'X-Acme-Signature', encoding: 'base64', algorithm: 'sha256', prefix: '', signedContent: '{body}', toleranceSeconds: 300, secretEncoding: 'utf8' },
      deliveryId: { bodyField: '/delivery' },
      eventType: { bodyField: '/event' },
      secretId: SECRETS.acme,
    },
  ]),
});
const { createWebhookReceiverHandler, webhookEventId } = await import('../../../../lambdas/shared/webhook-receiver.ts');
afterAll(restoreEnv);

let secretValues: Record<string, { current: string; previous?: string }>;
let handler: ReturnType<typeof createWebhookReceiverHandler>;
let dynamo: FakeDynamoDb;
let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  dynamo = resetSdkMocks();
  snsMock.on(PublishCommand).resolves({ MessageId: 'sns-1' });
  secretValues = { stripe: { current: 'whsec_current' }, github: { current: 'gh-secret' }, shopify: { current: 'shpss_secret' }, acme: { current: 'acme' } };
  secretsManagerMock.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
    const name = Object.entries(SECRETS).find(([, id]) => id === input.SecretId)?.[0] as keyof typeof SECRETS;
    return { ARN: input.SecretId, SecretString: JSON.stringify(secretValues[name]) };
  });
  // A fresh handler: its secret cache and refresh clock start empty.
  handler = createWebhookReceiverHandler();
  logs = captureLogs();
});
afterEach(() => logs.restore());

const deliver = (resource: string, body: string, headers: Record<string, string>, multiValueHeaders?: Record<string, string[]>) => {
  const event: APIGatewayProxyEvent = { ...apiEvent({ resource, body, headers: { 'Content-Type': 'application/json', ...headers } }) };
  if (multiValueHeaders) event.multiValueHeaders = { ...event.multiValueHeaders, ...multiValueHeaders };
  return handler(event, lambdaContext()) as Promise<APIGatewayProxyResult>;
};
const json = (result: APIGatewayProxyResult) => JSON.parse(result.body) as Record<string, any>;
const published = () => snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
const secretReads = () => secretsManagerMock.commandCalls(GetSecretValueCommand).length;

const stripeEvent = (id = 'evt_1QpX', type = 'payment_intent.succeeded') =>
  JSON.stringify({ id, object: 'event', type, data: { object: { id: 'pi_1', amount: 2000, currency: 'eur' } } }, null, 2);
const stripeHeaders = (body: string, secret = 'whsec_current') => ({ 'Stripe-Signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret }) });

const expectProblem = (result: APIGatewayProxyResult, status: number, slug: string) => {
  expect(result.statusCode).toBe(status);
  expect(result.headers?.['Content-Type']).toBe('application/problem+json');
  expect(json(result)).toMatchObject({ type: `urn:queueflow:problem:${slug}`, status });
};

describe('webhook receiver: accepted deliveries', () => {
  it('publishes a Stripe event once as stripe.<type> under an id derived from the event id, and answers 202', async () => {
    // Prepare
    const body = stripeEvent();

    // Act
    const result = await deliver('/webhooks/stripe', body, stripeHeaders(body));

    // Assess
    expect(result.statusCode).toBe(202);
    const eventId = webhookEventId('stripe', 'evt_1QpX');
    expect(json(result)).toEqual({ eventId, eventType: 'stripe.payment_intent.succeeded' });
    expect(published()).toHaveLength(1);
    const [publish] = published();
    expect(publish).toMatchObject({ TopicArn: TOPIC_ARN, MessageAttributes: { eventType: { DataType: 'String', StringValue: 'stripe.payment_intent.succeeded' } } });
    expect(JSON.parse(publish!.Message!)).toMatchObject({
      id: eventId,
      type: 'stripe.payment_intent.succeeded',
      source: 'queueflow/sample/webhooks/stripe',
      correlationid: 'evt_1QpX',
      data: { source: 'stripe', deliveryId: 'evt_1QpX', providerEventType: 'payment_intent.succeeded', payload: JSON.parse(body) },
    });
    expect(dynamo.tables.get(TABLE)?.size).toBe(1);
    expect([...dynamo.tables.get(TABLE)!.values()][0]!.id!.S).toMatch(new RegExp(`^${WEBHOOK_IDEMPOTENCY_KEY_PREFIX}#`));
  });

  it('answers a retry of the same event (a new signature and timestamp) 200 and publishes nothing more', async () => {
    // Prepare
    const body = stripeEvent();
    const first = await deliver('/webhooks/stripe', body, stripeHeaders(body));

    // Act
    const retry = await deliver('/webhooks/stripe', body, { 'Stripe-Signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_current', timestamp: Math.floor(Date.now() / 1000) - 5 }) });

    // Assess
    expect(retry.statusCode).toBe(200);
    expect(json(retry)).toEqual({ ...json(first), duplicate: true });
    expect(published()).toHaveLength(1);
  });

  it('reads the secret once and caches it', async () => {
    // Act
    for (const id of ['evt_a', 'evt_b', 'evt_c']) {
      const body = stripeEvent(id);
      expect((await deliver('/webhooks/stripe', body, stripeHeaders(body))).statusCode).toBe(202);
    }

    // Assess
    expect(secretReads()).toBe(1);
  });

  it('accepts a delivery signed with a secret rotated after the cache filled, by reading the secret once more', async () => {
    // Prepare
    const warm = stripeEvent('evt_warm');
    await deliver('/webhooks/stripe', warm, stripeHeaders(warm));
    secretValues.stripe = { current: 'whsec_rotated', previous: 'whsec_current' };
    const body = stripeEvent('evt_after_rotation');

    // Act
    const result = await deliver('/webhooks/stripe', body, stripeHeaders(body, 'whsec_rotated'));
    const old = stripeEvent('evt_old_secret');
    const signedWithPrevious = await deliver('/webhooks/stripe', old, stripeHeaders(old, 'whsec_current'));

    // Assess
    expect(result.statusCode).toBe(202);
    expect(signedWithPrevious.statusCode).toBe(202);
    expect(secretReads()).toBe(2);
  });

  it('publishes a GitHub delivery as github.<event>, keyed on X-GitHub-Delivery, a form-encoded one with its payload parsed', async () => {
    // Prepare
    const payload = JSON.stringify({ zen: 'Design for failure.', hook_id: 42 });
    const form = `payload=${encodeURIComponent(payload)}`;

    // Act
    const result = await deliver('/webhooks/github', form, {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Hub-Signature-256': await signGitHub('gh-secret', form),
      'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'X-GitHub-Event': 'ping',
    });

    // Assess
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(published()[0]!.Message!)).toMatchObject({
      id: webhookEventId('github', '72d3162e-cc78-11e3-81ab-4c9367dc0958'),
      type: 'github.ping',
      data: { deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958', payload: { payload: JSON.parse(payload) } },
    });
  });

  it("maps Shopify's topic orders/create to shopify.orders.create", async () => {
    // Prepare
    const body = '{"id":820982911946154508,"email":"jon@example.com"}';

    // Act
    const result = await deliver('/webhooks/shopify', body, {
      'X-Shopify-Hmac-Sha256': createHmac('sha256', 'shpss_secret').update(body).digest('base64'),
      'X-Shopify-Topic': 'orders/create',
      'X-Shopify-Webhook-Id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    });

    // Assess
    expect(result.statusCode).toBe(202);
    expect(json(result).eventType).toBe('shopify.orders.create');
  });

  it('takes the delivery id and event type of a form-encoded provider from its fields (generic HMAC)', async () => {
    // Prepare
    const body = 'event=invoice.paid&delivery=d-17&amount=12.50';

    // Act
    const result = await deliver('/webhooks/acme', body, {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Acme-Signature': createHmac('sha256', 'acme').update(body).digest('base64'),
    });

    // Assess
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(published()[0]!.Message!)).toMatchObject({ type: 'acme.invoice.paid', data: { deliveryId: 'd-17', payload: { event: 'invoice.paid', delivery: 'd-17', amount: '12.50' } } });
  });
});

describe('webhook receiver: refused deliveries', () => {
  it('answers a tampered body 401 problem+json after one fresh read of the secret, and publishes nothing', async () => {
    // Prepare
    const body = stripeEvent();

    // Act
    const result = await deliver('/webhooks/stripe', body.replace('2000', '1'), stripeHeaders(body));

    // Assess
    expectProblem(result, 401, 'invalid-signature');
    expect(published()).toEqual([]);
    expect(secretReads()).toBe(2);
  });

  it('does not read the secret again for every forged delivery', async () => {
    // Act
    for (let i = 0; i < 5; i++) {
      const result = await deliver('/webhooks/stripe', stripeEvent(`evt_${i}`), stripeHeaders(stripeEvent(`evt_${i}`), 'whsec_forger'));
      expectProblem(result, 401, 'invalid-signature');
    }

    // Assess: the cached read and one refresh; the refresh interval holds off the rest.
    expect(secretReads()).toBe(2);
  });

  it('answers a missing signature and a repeated signature header 401', async () => {
    // Prepare
    const body = '{"zen":"x"}';
    const signature = await signGitHub('gh-secret', body);
    const headers = { 'X-GitHub-Delivery': 'd-1', 'X-GitHub-Event': 'push' };

    // Act
    const missing = await deliver('/webhooks/github', body, headers);
    const repeated = await deliver('/webhooks/github', body, { ...headers, 'X-Hub-Signature-256': signature }, { 'X-Hub-Signature-256': [signature, signature] });

    // Assess
    expectProblem(missing, 401, 'invalid-signature');
    expectProblem(repeated, 401, 'invalid-signature');
    expect(json(repeated).detail).toContain('repeated');
    expect(published()).toEqual([]);
  });

  it('answers a body over 256 KiB 413 before reading any secret', async () => {
    // Prepare
    const body = JSON.stringify({ id: 'evt_big', type: 'x.y', padding: 'x'.repeat(262_144) });

    // Act
    const result = await deliver('/webhooks/stripe', body, stripeHeaders(body));

    // Assess
    expectProblem(result, 413, 'payload-too-large');
    expect(secretReads()).toBe(0);
    expect(published()).toEqual([]);
  });

  it('answers a signed delivery without a delivery id 400, never 410', async () => {
    // Prepare
    const body = '{"zen":"x"}';

    // Act
    const result = await deliver('/webhooks/github', body, { 'X-Hub-Signature-256': await signGitHub('gh-secret', body), 'X-GitHub-Event': 'push' });

    // Assess
    expectProblem(result, 400, 'unusable-delivery');
    expect(published()).toEqual([]);
  });

  it('answers 502 when SNS refuses the event, and publishes on the retry', async () => {
    // Prepare
    const body = stripeEvent('evt_retry');
    snsMock.on(PublishCommand).rejectsOnce(new Error('SNS down')).resolves({ MessageId: 'sns-2' });

    // Act
    const failed = await deliver('/webhooks/stripe', body, stripeHeaders(body));
    const retried = await deliver('/webhooks/stripe', body, stripeHeaders(body));

    // Assess
    expectProblem(failed, 502, 'publish-failed');
    expect(retried.statusCode).toBe(202);
    expect(published()).toHaveLength(2);
  });

  it('answers 404 on a route that is not a source', async () => {
    // Act
    const result = await deliver('/webhooks/paypal', '{}', {});

    // Assess
    expectProblem(result, 404, 'not-found');
  });
});

describe('webhook receiver: configuration', () => {
  /** Builds a handler with `change` applied to the environment, then puts the environment back. */
  const buildWith = (change: Record<string, string | undefined>) => {
    const restore = setEnv(change);
    try {
      return createWebhookReceiverHandler();
    } finally {
      restore();
    }
  };

  it('names every missing variable in one ConfigurationError', () => {
    // Act
    const build = () => buildWith({ TOPIC_ARN: undefined, IDEMPOTENCY_TABLE_NAME: '', EVENT_SOURCE: undefined, WEBHOOK_SOURCES: undefined });

    // Assess
    expect(build).toThrow(ConfigurationError);
    expect(build).toThrow('Invalid environment: WEBHOOK_SOURCES is required; TOPIC_ARN is required; IDEMPOTENCY_TABLE_NAME is required; EVENT_SOURCE is required');
  });

  it.each([
    [{ WEBHOOK_SOURCES: '[]' }, 'WEBHOOK_SOURCES must be a non-empty JSON list'],
    [{ WEBHOOK_SOURCES: 'not json' }, /WEBHOOK_SOURCES .*JSON/],
    [{ WEBHOOK_SOURCES: JSON.stringify([{ name: 'acme', path: '/webhooks/acme' }]) }, 'WEBHOOK_SOURCES entry 0 needs name, path, verify, deliveryId, eventType and secretId'],
    [{ WEBHOOK_SOURCES: '   ' }, 'WEBHOOK_SOURCES must not be blank'],
    [{ TOPIC_ARN: ' ' }, 'TOPIC_ARN must not be blank'],
    [{ WEBHOOK_DEDUPE_SECONDS: '0' }, 'WEBHOOK_DEDUPE_SECONDS must be at least 1'],
    [{ WEBHOOK_DEDUPE_SECONDS: '1.5' }, 'WEBHOOK_DEDUPE_SECONDS must be a whole number'],
    [{ WEBHOOK_SECRET_MAX_AGE_SECONDS: '-1' }, 'WEBHOOK_SECRET_MAX_AGE_SECONDS must be at least 0'],
    [{ WEBHOOK_SECRET_MAX_AGE_SECONDS: 'soon' }, 'WEBHOOK_SECRET_MAX_AGE_SECONDS must be a whole number'],
  ])('refuses %o: %s', (change, message) => {
    // Act
    const build = () => buildWith(change);

    // Assess
    expect(build).toThrow(ConfigurationError);
    expect(build).toThrow(message);
  });

  it('accepts a secret cache age of 0 (read on every delivery) and an explicit dedupe window', () => {
    // Act
    const build = () => buildWith({ WEBHOOK_SECRET_MAX_AGE_SECONDS: '0', WEBHOOK_DEDUPE_SECONDS: '86400' });

    // Assess
    expect(build).not.toThrow();
  });
});
