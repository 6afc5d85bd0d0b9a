/**
 * What a webhook source is, as the construct declares it and the receiver reads it (env
 * `WEBHOOK_SOURCES`, JSON). Types, defaults and the small checks the receiver makes; no schema
 * library (the construct validates a declaration with source-schema.ts at synth) and no SDK
 * client, since lib/ imports this module too.
 */

/** Where a value of the delivery is: a request header, or a field of the body (a JSON pointer; for a form body, `/<field>`). */
export type FieldLocation = { readonly header: string } | { readonly bodyField: string };

/** Where the event type is: a header, a body field, or a fixed type. */
export type EventTypeLocation = FieldLocation | { readonly fixed: string };

/**
 * A provider's HMAC scheme described by configuration: the signature header (one or more
 * signatures, with a prefix), the digest's encoding, the signed content as a template over the
 * raw body, the timestamp header and its tolerance.
 */
export interface HmacVerification {
  readonly scheme: 'hmac';
  /** Header carrying the signature(s), e.g. `X-Signature`. */
  readonly header: string;
  /** @default 'sha256' */
  readonly algorithm?: 'sha1' | 'sha256' | 'sha512';
  readonly encoding: 'hex' | 'base64';
  /** Text before each signature in the header, e.g. `sha256=`. @default '' */
  readonly prefix?: string;
  /** Separates several signatures in the header (e.g. ' ' or ','). @default - one signature */
  readonly separator?: string;
  /**
   * The signed content: `{body}` (the raw bytes), `{timestamp}`, `{deliveryId}` and literal text,
   * e.g. `{timestamp}.{body}`. @default '{body}'
   */
  readonly signedContent?: string;
  /** Header with the signed Unix timestamp (seconds); required when `signedContent` uses `{timestamp}`. */
  readonly timestampHeader?: string;
  /** How far the timestamp may be from now, either way. @default 300 */
  readonly toleranceSeconds?: number;
  /** The secret's UTF-8 bytes as the key, or its base64 decoding (after an optional `whsec_`). @default 'utf8' */
  readonly secretEncoding?: 'utf8' | 'base64';
}

/** An HMAC configuration with its defaults applied. */
export type ResolvedHmacVerification = Required<Omit<HmacVerification, 'separator' | 'timestampHeader'>> & Pick<HmacVerification, 'separator' | 'timestampHeader'>;

/** Applies the defaults of {@link HmacVerification}. */
export const resolveHmacVerification = (config: HmacVerification): ResolvedHmacVerification => ({
  algorithm: 'sha256',
  prefix: '',
  signedContent: '{body}',
  toleranceSeconds: 300,
  secretEncoding: 'utf8',
  ...config,
});

/** The provider schemes queueflow verifies, by name. */
export const NamedSchemes = ['stripe', 'github', 'shopify', 'standardWebhooks'] as const;
export type NamedScheme = (typeof NamedSchemes)[number];

export type Verification = NamedScheme | HmacVerification;

/** One source as the receiver reads it from `WEBHOOK_SOURCES`. */
export interface WebhookSourceConfig {
  readonly name: string;
  /** API Gateway resource path, e.g. `/webhooks/stripe`. */
  readonly path: string;
  readonly verify: NamedScheme | ResolvedHmacVerification;
  readonly deliveryId: FieldLocation;
  readonly eventType: EventTypeLocation;
  /** ARN (or name) of the Secrets Manager secret: `{"current": "…", "previous": "…"}`. */
  readonly secretId: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isLocation = (value: unknown): boolean =>
  isObject(value) && (typeof value.header === 'string' || typeof value.bodyField === 'string' || typeof value.fixed === 'string');

/**
 * The sources of `WEBHOOK_SOURCES`, as the construct wrote them (validated at synth).
 *
 * @throws {Error} naming what is missing, when the text is not such a list
 */
export const parseWebhookSources = (text: string): WebhookSourceConfig[] => {
  const parsed = JSON.parse(text) as unknown;
  if (!Array.isArray(parsed) || parsed.length === 0) throw new Error('must be a non-empty JSON list');
  return parsed.map((source: unknown, index) => {
    const valid =
      isObject(source) &&
      typeof source.name === 'string' &&
      typeof source.path === 'string' &&
      typeof source.secretId === 'string' &&
      ((NamedSchemes as readonly unknown[]).includes(source.verify) || (isObject(source.verify) && source.verify.scheme === 'hmac')) &&
      isLocation(source.deliveryId) &&
      isLocation(source.eventType);
    if (!valid) throw new Error(`entry ${index} needs name, path, verify, deliveryId, eventType and secretId`);
    const config = source as unknown as WebhookSourceConfig;
    return typeof config.verify === 'string' ? config : { ...config, verify: resolveHmacVerification(config.verify) };
  });
};

/** Where each named scheme finds the delivery id and the event type, unless the source says otherwise. */
export const SCHEME_DEFAULTS: Readonly<Record<NamedScheme, { deliveryId: FieldLocation; eventType: EventTypeLocation }>> = {
  // Stripe retries the same event object: its `id` (evt_…) names the event, not the attempt.
  stripe: { deliveryId: { bodyField: '/id' }, eventType: { bodyField: '/type' } },
  github: { deliveryId: { header: 'X-GitHub-Delivery' }, eventType: { header: 'X-GitHub-Event' } },
  shopify: { deliveryId: { header: 'X-Shopify-Webhook-Id' }, eventType: { header: 'X-Shopify-Topic' } },
  // The Standard Webhooks `webhook-id` (Svix: `svix-id`) is the same across retries of a message.
  standardWebhooks: { deliveryId: { header: 'webhook-id' }, eventType: { bodyField: '/type' } },
};

/** Timestamp tolerance of the schemes that sign one: Stripe's library default (300 s) and the Standard Webhooks spec (5 min). */
export const STRIPE_TOLERANCE_SECONDS = 300;
export const STANDARD_WEBHOOKS_TOLERANCE_SECONDS = 300;

/**
 * How long a delivery id is remembered: beyond the longest provider retry horizon (Stripe retries
 * for up to 3 days; Shopify 8 times over 4 hours; Svix about 28 hours), so a late retry is still
 * recognised. The construct never sets less than {@link MIN_WEBHOOK_DEDUPE_SECONDS}.
 */
export const DEFAULT_WEBHOOK_DEDUPE_SECONDS = 5 * 86_400;
export const MIN_WEBHOOK_DEDUPE_SECONDS = 4 * 86_400;

/** Key prefix of the receiver's Powertools idempotency records (`webhook#<hash>`); IAM confines it to them. */
export const WEBHOOK_IDEMPOTENCY_KEY_PREFIX = 'webhook';

/** The JSON value of a source's secret: the active secret, and the previous one during a rotation. */
export interface WebhookSecretValue {
  readonly current: string;
  readonly previous?: string;
}

/** The active secrets of a secret's JSON value (current first), or undefined when it is not `{"current": "…", "previous"?: "…"}`. */
export const activeSecretsOf = (value: unknown): string[] | undefined => {
  if (!isObject(value) || typeof value.current !== 'string' || value.current === '') return undefined;
  if (value.previous === undefined) return [value.current];
  return typeof value.previous === 'string' && value.previous !== '' ? [value.current, value.previous] : undefined;
};
