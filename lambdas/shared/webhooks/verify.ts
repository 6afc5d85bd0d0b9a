/**
 * Signature verification of webhook deliveries, on the raw bytes of the body as they arrived and
 * before anything parses them: a body parsed and re-serialized (other whitespace, key order or
 * escapes) no longer matches, by design. Every comparison is constant-time; a header a scheme
 * reads that arrives more than once is refused rather than picked from, since two values leave it
 * to the receiver to guess which one the provider meant. Each active secret is tried (two during
 * a rotation), and so is each signature a header carries (providers send several while they roll
 * their own keys).
 *
 * The schemes, as each provider documents them:
 * - Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 of `<t>.<body>` keyed
 *   with the endpoint secret's UTF-8 bytes (`whsec_…` included); tolerance 300 s.
 * - GitHub: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the body.
 * - Shopify: `X-Shopify-Hmac-Sha256: <base64>`, HMAC-SHA256 of the body.
 * - Standard Webhooks (and Svix, with `svix-` headers): `webhook-signature: v1,<base64> [v1,<base64>…]`,
 *   HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` keyed with the base64 part of the
 *   `whsec_` secret; tolerance 5 minutes either way.
 * - `hmac`: any of the above shapes, described by configuration (sources.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  resolveHmacVerification,
  STANDARD_WEBHOOKS_TOLERANCE_SECONDS,
  STRIPE_TOLERANCE_SECONDS,
  type ResolvedHmacVerification,
  type Verification,
} from './sources.ts';

/** A delivery as it arrived: the body's bytes, and every value of every header by lower-case name. */
export interface RawDelivery {
  readonly body: Buffer;
  readonly headers: ReadonlyMap<string, readonly string[]>;
}

export type Verdict = { readonly valid: true } | { readonly valid: false; readonly reason: string };

const VALID: Verdict = { valid: true };
const invalid = (reason: string): Verdict => ({ valid: false, reason });

/** A header a scheme reads arrived more than once. */
class RepeatedHeaderError extends Error {
  readonly header: string;

  constructor(header: string) {
    super(`header ${header} is repeated`);
    this.name = 'RepeatedHeaderError';
    this.header = header;
  }
}

/**
 * The one value of a header, or undefined when absent.
 *
 * @throws {RepeatedHeaderError} when it arrived more than once
 */
export const singleHeader = (delivery: RawDelivery, name: string): string | undefined => {
  const values = delivery.headers.get(name.toLowerCase());
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1) throw new RepeatedHeaderError(name);
  return values[0];
};

const hmac = (algorithm: string, key: Buffer, parts: readonly (string | Buffer)[]): Buffer => {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
};

/** Constant-time for equal lengths; a length mismatch reveals only the digest's (public) size. */
const sameDigest = (expected: Buffer, candidate: Buffer): boolean =>
  expected.length === candidate.length && timingSafeEqual(expected, candidate);

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const decode = (text: string, encoding: 'hex' | 'base64'): Buffer | undefined => {
  if (encoding === 'hex') return HEX.test(text) && text.length % 2 === 0 ? Buffer.from(text, 'hex') : undefined;
  return BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
};

/** The `whsec_…` secret's key bytes: base64 after the prefix (Standard Webhooks, Svix). */
const base64Key = (secret: string): Buffer => Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');

const UNIX_SECONDS = /^\d{1,12}$/;
const outsideTolerance = (timestamp: string, nowSeconds: number, toleranceSeconds: number): boolean =>
  !UNIX_SECONDS.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds;

/** True when any candidate signature equals the digest of `parts` under any secret. */
const anyMatch = (
  secrets: readonly string[],
  keyOf: (secret: string) => Buffer,
  algorithm: string,
  parts: readonly (string | Buffer)[],
  candidates: readonly Buffer[],
): boolean => {
  let matched = false;
  // Every pair is compared (no early exit), so the time does not tell which secret matched.
  for (const secret of secrets) {
    const expected = hmac(algorithm, keyOf(secret), parts);
    for (const candidate of candidates) matched = sameDigest(expected, candidate) || matched;
  }
  return matched;
};

const utf8Key = (secret: string): Buffer => Buffer.from(secret, 'utf8');

function verifyStripe(delivery: RawDelivery, secrets: readonly string[], nowSeconds: number): Verdict {
  const header = singleHeader(delivery, 'Stripe-Signature');
  if (header === undefined) return invalid('missing Stripe-Signature header');
  const timestamps: string[] = [];
  const signatures: Buffer[] = [];
  for (const item of header.split(',')) {
    const at = item.indexOf('=');
    const [key, value] = [item.slice(0, at).trim(), item.slice(at + 1).trim()];
    if (key === 't') timestamps.push(value);
    if (key === 'v1') {
      const decoded = decode(value, 'hex');
      if (decoded) signatures.push(decoded);
    }
  }
  if (timestamps.length !== 1) return invalid('Stripe-Signature must carry exactly one timestamp');
  if (signatures.length === 0) return invalid('Stripe-Signature carries no v1 signature');
  if (outsideTolerance(timestamps[0]!, nowSeconds, STRIPE_TOLERANCE_SECONDS)) return invalid('timestamp outside the tolerance');
  return anyMatch(secrets, utf8Key, 'sha256', [`${timestamps[0]}.`, delivery.body], signatures) ? VALID : invalid('no signature matches');
}

function verifyStandardWebhooks(delivery: RawDelivery, secrets: readonly string[], nowSeconds: number): Verdict {
  // Svix sends the same scheme under `svix-` names.
  const prefix = singleHeader(delivery, 'webhook-signature') !== undefined ? 'webhook' : 'svix';
  const id = singleHeader(delivery, `${prefix}-id`);
  const timestamp = singleHeader(delivery, `${prefix}-timestamp`);
  const header = singleHeader(delivery, `${prefix}-signature`);
  if (id === undefined || timestamp === undefined || header === undefined) return invalid('missing webhook-id, webhook-timestamp or webhook-signature header');
  if (outsideTolerance(timestamp, nowSeconds, STANDARD_WEBHOOKS_TOLERANCE_SECONDS)) return invalid('timestamp outside the tolerance');
  const signatures = header
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => decode(entry.slice(3), 'base64'))
    .filter((decoded): decoded is Buffer => decoded !== undefined);
  if (signatures.length === 0) return invalid('webhook-signature carries no v1 signature');
  return anyMatch(secrets, base64Key, 'sha256', [`${id}.${timestamp}.`, delivery.body], signatures) ? VALID : invalid('no signature matches');
}

/** Splits `{timestamp}.{body}` into literal text and placeholders, the body kept as raw bytes. */
function signedParts(template: string, values: Readonly<Record<string, string>>, body: Buffer): (string | Buffer)[] {
  return template.split(/(\{body\}|\{timestamp\}|\{deliveryId\})/).filter(Boolean).map((part) => {
    if (part === '{body}') return body;
    const name = /^\{(timestamp|deliveryId)\}$/.exec(part)?.[1];
    return name === undefined ? part : (values[name] ?? '');
  });
}

function verifyHmac(config: ResolvedHmacVerification, delivery: RawDelivery, secrets: readonly string[], nowSeconds: number, deliveryId: () => string | undefined): Verdict {
  const header = singleHeader(delivery, config.header);
  if (header === undefined) return invalid(`missing ${config.header} header`);
  const values: Record<string, string> = {};
  if (config.timestampHeader !== undefined) {
    const timestamp = singleHeader(delivery, config.timestampHeader);
    if (timestamp === undefined) return invalid(`missing ${config.timestampHeader} header`);
    if (outsideTolerance(timestamp, nowSeconds, config.toleranceSeconds)) return invalid('timestamp outside the tolerance');
    values.timestamp = timestamp;
  }
  if (config.signedContent.includes('{deliveryId}')) {
    const id = deliveryId();
    if (id === undefined) return invalid('the signed content names a delivery id the delivery lacks');
    values.deliveryId = id;
  }
  const signatures = (config.separator === undefined ? [header] : header.split(config.separator))
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith(config.prefix))
    .map((entry) => decode(entry.slice(config.prefix.length), config.encoding))
    .filter((decoded): decoded is Buffer => decoded !== undefined);
  if (signatures.length === 0) return invalid(`${config.header} carries no signature`);
  const keyOf = config.secretEncoding === 'base64' ? base64Key : utf8Key;
  return anyMatch(secrets, keyOf, config.algorithm, signedParts(config.signedContent, values, delivery.body), signatures) ? VALID : invalid('no signature matches');
}

const GITHUB = resolveHmacVerification({ scheme: 'hmac', header: 'X-Hub-Signature-256', encoding: 'hex', prefix: 'sha256=' });
const SHOPIFY = resolveHmacVerification({ scheme: 'hmac', header: 'X-Shopify-Hmac-Sha256', encoding: 'base64' });

export interface VerifyOptions {
  /** Unix seconds. @default now */
  readonly nowSeconds?: number;
  /** The delivery id, for an `hmac` scheme whose signed content includes `{deliveryId}` (read from a header). */
  readonly deliveryId?: () => string | undefined;
}

/**
 * Verifies a delivery's signature against every active secret.
 *
 * @example
 * verifySignature('stripe', { body, headers }, ['whsec_…']); // { valid: true } or { valid: false, reason }
 */
export function verifySignature(verification: Verification, delivery: RawDelivery, secrets: readonly string[], options: VerifyOptions = {}): Verdict {
  const nowSeconds = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  try {
    if (verification === 'stripe') return verifyStripe(delivery, secrets, nowSeconds);
    if (verification === 'standardWebhooks') return verifyStandardWebhooks(delivery, secrets, nowSeconds);
    const config = verification === 'github' ? GITHUB : verification === 'shopify' ? SHOPIFY : resolveHmacVerification(verification);
    return verifyHmac(config, delivery, secrets, nowSeconds, options.deliveryId ?? (() => undefined));
  } catch (error) {
    if (error instanceof RepeatedHeaderError) return invalid(error.message);
    throw error;
  }
}

/** Every value of every header of an API Gateway proxy event, by lower-case name. */
export function headersOf(event: { headers?: Record<string, string | undefined> | null; multiValueHeaders?: Record<string, string[] | undefined> | null }): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  // multiValueHeaders holds every value; `headers` only the last one of a repeated header.
  const source = event.multiValueHeaders ?? Object.fromEntries(Object.entries(event.headers ?? {}).map(([name, value]) => [name, value === undefined ? [] : [value]]));
  for (const [name, values] of Object.entries(source)) {
    const key = name.toLowerCase();
    headers.set(key, [...(headers.get(key) ?? []), ...(values ?? [])]);
  }
  return headers;
}
