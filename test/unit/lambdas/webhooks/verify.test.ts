/**
 * Signature verification against the providers' own libraries as independent signers: Stripe's
 * test header helper, GitHub's `@octokit/webhooks-methods` (and GitHub's documented test vector),
 * the Standard Webhooks reference library, and Shopify's documented HMAC computed with node:crypto.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { sign as signGitHub } from '@octokit/webhooks-methods';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { verifySignature, type RawDelivery } from '../../../../lambdas/shared/webhooks/verify.ts';
import type { HmacVerification } from '../../../../lambdas/shared/webhooks/sources.ts';

const stripe = new Stripe('sk_test_not_a_real_key');
const NOW = 1_796_000_000;

const delivery = (body: string | Buffer, headers: Record<string, string | string[]>): RawDelivery => ({
  body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
  headers: new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), Array.isArray(value) ? value : [value]])),
});

const stripeEvent = JSON.stringify({ id: 'evt_1Q', object: 'event', type: 'payment_intent.succeeded', data: { object: { id: 'pi_1', amount: 2000 } } }, null, 2);
/** The same JSON, parsed and serialized again the way a proxy or framework would: other bytes, same data. */
const reserialized = (body: string) => JSON.stringify(JSON.parse(body));

describe('stripe', () => {
  const secret = 'whsec_test_current';
  const signed = (payload: string, options: { secret?: string; timestamp?: number } = {}) =>
    stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? secret, timestamp: options.timestamp ?? NOW });
  const verify = (body: string | Buffer, header: string | string[], secrets = [secret]) =>
    verifySignature('stripe', delivery(body, { 'Stripe-Signature': header }), secrets, { nowSeconds: NOW });

  it('accepts a delivery signed by stripe.webhooks.generateTestHeaderString', () => {
    expect(verify(stripeEvent, signed(stripeEvent))).toEqual({ valid: true });
  });

  it('refuses a tampered body', () => {
    expect(verify(stripeEvent.replace('2000', '1'), signed(stripeEvent))).toEqual({ valid: false, reason: 'no signature matches' });
  });

  it('refuses a body re-serialized in transit', () => {
    expect(reserialized(stripeEvent)).not.toBe(stripeEvent);
    expect(verify(reserialized(stripeEvent), signed(stripeEvent)).valid).toBe(false);
  });

  it('refuses the wrong secret', () => {
    expect(verify(stripeEvent, signed(stripeEvent, { secret: 'whsec_someone_else' })).valid).toBe(false);
  });

  it('refuses a timestamp older than 300 s, and accepts one just inside', () => {
    expect(verify(stripeEvent, signed(stripeEvent, { timestamp: NOW - 301 }))).toEqual({ valid: false, reason: 'timestamp outside the tolerance' });
    expect(verify(stripeEvent, signed(stripeEvent, { timestamp: NOW - 300 }))).toEqual({ valid: true });
  });

  it('accepts a delivery signed with the previous secret during a rotation', () => {
    expect(verify(stripeEvent, signed(stripeEvent, { secret: 'whsec_previous' }), [secret, 'whsec_previous'])).toEqual({ valid: true });
    expect(verify(stripeEvent, signed(stripeEvent, { secret: 'whsec_previous' }), [secret]).valid).toBe(false);
  });

  it('accepts a header with several v1 signatures when any one matches (Stripe rolling its secret)', () => {
    const ours = signed(stripeEvent);
    const other = signed(stripeEvent, { secret: 'whsec_rolled' }).split(',v1=')[1];
    expect(verify(stripeEvent, `${ours.split(',')[0]},v1=${other},${ours.split(',')[1]}`)).toEqual({ valid: true });
  });

  it('refuses a repeated Stripe-Signature header, even when one of them is valid', () => {
    expect(verify(stripeEvent, [signed(stripeEvent), signed(stripeEvent, { secret: 'whsec_x' })])).toEqual({ valid: false, reason: 'header Stripe-Signature is repeated' });
  });

  it('refuses a missing header, a header without v1, and one with two timestamps', () => {
    expect(verifySignature('stripe', delivery(stripeEvent, {}), [secret], { nowSeconds: NOW }).valid).toBe(false);
    expect(verify(stripeEvent, `t=${NOW},v0=abcd`).valid).toBe(false);
    expect(verify(stripeEvent, `t=${NOW - 9999},${signed(stripeEvent)}`).valid).toBe(false);
  });
});

describe('github', () => {
  const secret = "It's a Secret to Everybody";
  const verify = (body: string, header: string | string[], secrets = [secret]) =>
    verifySignature('github', delivery(body, { 'X-Hub-Signature-256': header }), secrets, { nowSeconds: NOW });

  it("matches GitHub's documented test vector", () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    expect(verify('Hello, World!', 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17')).toEqual({ valid: true });
  });

  it('accepts a delivery signed by @octokit/webhooks-methods and refuses it tampered, re-serialized or under another secret', async () => {
    const body = JSON.stringify({ zen: 'Design for failure.', hook_id: 1 }, null, 2);
    const signature = await signGitHub(secret, body);
    expect(verify(body, signature)).toEqual({ valid: true });
    expect(verify(`${body} `, signature).valid).toBe(false);
    expect(verify(reserialized(body), signature).valid).toBe(false);
    expect(verify(body, await signGitHub('another secret', body)).valid).toBe(false);
  });

  it('accepts the previous secret during a rotation; refuses a repeated header', async () => {
    const body = '{"zen":"Keep it logically awesome."}';
    expect(verify(body, await signGitHub('old secret', body), [secret, 'old secret'])).toEqual({ valid: true });
    expect(verify(body, [await signGitHub(secret, body), await signGitHub(secret, body)]).valid).toBe(false);
  });

  it('refuses the SHA-1 header alone', () => {
    const body = '{"zen":"x"}';
    const sha1 = `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
    expect(verifySignature('github', delivery(body, { 'X-Hub-Signature': sha1 }), [secret]).valid).toBe(false);
  });
});

describe('shopify', () => {
  const secret = 'shpss_0123456789abcdef';
  // As Shopify documents it: base64 of HMAC-SHA256 over the raw body, keyed with the app's client secret.
  const shopifySign = (body: string, key = secret) => createHmac('sha256', key).update(body, 'utf8').digest('base64');
  const verify = (body: string, header: string, secrets = [secret]) =>
    verifySignature('shopify', delivery(body, { 'X-Shopify-Hmac-Sha256': header }), secrets);

  it('accepts a valid delivery; refuses tampered, re-serialized and wrong-secret ones', () => {
    const body = '{"id": 820982911946154500, "email": "jon@example.com"}';
    expect(verify(body, shopifySign(body))).toEqual({ valid: true });
    expect(verify(body.replace('jon', 'bob'), shopifySign(body)).valid).toBe(false);
    expect(verify(body, shopifySign(body, 'shpss_other')).valid).toBe(false);
    // JSON.parse loses the big integer's digits: exactly the corruption a raw-bytes check catches.
    expect(verify(reserialized(body), shopifySign(body)).valid).toBe(false);
  });

  it('accepts the previous secret during a rotation', () => {
    const body = '{"id":1}';
    expect(verify(body, shopifySign(body, 'shpss_old'), [secret, 'shpss_old'])).toEqual({ valid: true });
  });
});

describe('standardWebhooks (and Svix)', () => {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const body = '{"type":"invoice.paid","data":{"id":"inv_1"}}';
  const headers = (signature: string, id = 'msg_2Kx', timestamp = NOW, prefix = 'webhook') => ({
    [`${prefix}-id`]: id,
    [`${prefix}-timestamp`]: String(timestamp),
    [`${prefix}-signature`]: signature,
  });
  const verify = (payload: string, hdrs: Record<string, string | string[]>, secrets = [secret]) =>
    verifySignature('standardWebhooks', delivery(payload, hdrs), secrets, { nowSeconds: NOW });
  const sign = (payload: string, options: { key?: string; id?: string; at?: number } = {}) =>
    new Webhook(options.key ?? secret).sign(options.id ?? 'msg_2Kx', new Date((options.at ?? NOW) * 1000), payload);

  it('accepts a delivery signed by standardwebhooks Webhook.sign, and under svix- headers', () => {
    expect(verify(body, headers(sign(body)))).toEqual({ valid: true });
    expect(verify(body, headers(sign(body), 'msg_2Kx', NOW, 'svix'))).toEqual({ valid: true });
  });

  it('refuses a tampered body, a re-serialized one, another message id and the wrong secret', () => {
    expect(verify(body.replace('inv_1', 'inv_2'), headers(sign(body))).valid).toBe(false);
    expect(verify(JSON.stringify(JSON.parse(body), null, 1), headers(sign(body))).valid).toBe(false);
    expect(verify(body, headers(sign(body), 'msg_other')).valid).toBe(false);
    expect(verify(body, headers(sign(body, { key: `whsec_${randomBytes(24).toString('base64')}` }))).valid).toBe(false);
  });

  it('refuses a timestamp more than 5 minutes off either way', () => {
    expect(verify(body, headers(sign(body, { at: NOW - 301 }), 'msg_2Kx', NOW - 301))).toEqual({ valid: false, reason: 'timestamp outside the tolerance' });
    expect(verify(body, headers(sign(body, { at: NOW + 301 }), 'msg_2Kx', NOW + 301)).valid).toBe(false);
    expect(verify(body, headers(sign(body, { at: NOW - 299 }), 'msg_2Kx', NOW - 299))).toEqual({ valid: true });
  });

  it('accepts any one of several signatures, and the previous secret during a rotation', () => {
    const old = `whsec_${randomBytes(24).toString('base64')}`;
    expect(verify(body, headers(`${sign(body, { key: old })} ${sign(body)}`))).toEqual({ valid: true });
    expect(verify(body, headers(sign(body, { key: old })), [secret, old])).toEqual({ valid: true });
  });
});

describe('generic hmac', () => {
  // A form-encoded provider: hex HMAC-SHA256 of "<timestamp>:<body>", prefixed, with a delivery id field.
  const config: HmacVerification = {
    scheme: 'hmac',
    header: 'X-Acme-Signature',
    encoding: 'hex',
    prefix: 'v1=',
    separator: ',',
    signedContent: '{timestamp}:{body}',
    timestampHeader: 'X-Acme-Timestamp',
    toleranceSeconds: 60,
  };
  const secret = 'acme-secret';
  const body = new URLSearchParams({ event: 'invoice.paid', delivery: 'd-17', amount: '12.50', note: 'a&b=c' }).toString();
  const sign = (payload: string, at = NOW, key = secret) => `v1=${createHmac('sha256', key).update(`${at}:${payload}`).digest('hex')}`;
  const verify = (payload: string, signature: string, at = NOW) =>
    verifySignature(config, delivery(payload, { 'content-type': 'application/x-www-form-urlencoded', 'X-Acme-Signature': signature, 'X-Acme-Timestamp': String(at) }), [secret], { nowSeconds: NOW });

  it('verifies a form-encoded delivery on its raw bytes', () => {
    expect(verify(body, sign(body))).toEqual({ valid: true });
    expect(verify(body, `v1=00,${sign(body)}`)).toEqual({ valid: true });
  });

  it('refuses the same fields encoded differently, a stale timestamp and the wrong secret', () => {
    // Same fields, other bytes (spaces as %20 vs +, field order): a re-encoding breaks the signature.
    const reencoded = 'delivery=d-17&event=invoice.paid&amount=12.50&note=a%26b%3Dc';
    expect(Object.fromEntries(new URLSearchParams(reencoded))).toEqual(Object.fromEntries(new URLSearchParams(body)));
    expect(verify(reencoded, sign(body)).valid).toBe(false);
    expect(verify(body, sign(body, NOW - 61), NOW - 61).valid).toBe(false);
    expect(verify(body, sign(body, NOW, 'nope')).valid).toBe(false);
  });
});
