/**
 * The metadata a webhook source's secret carries in the template, so that `queueflow local` can
 * list each source's local URL and signing secret in its state file without knowing the
 * constructs: written by lib/constructs/webhook-receiver.ts, read by lib/local.
 */
export const WEBHOOK_SOURCE_METADATA_KEY = 'queueflow:webhookSource';

export interface WebhookSourceMetadata {
  /** The source's name, e.g. `stripe`. */
  readonly name: string;
  /** Its API Gateway resource path, e.g. `/webhooks/stripe`. */
  readonly path: string;
  /** Its verification scheme's name (`stripe`, `github`, `shopify`, `standardWebhooks`, `hmac`). */
  readonly scheme: string;
}

export function isWebhookSourceMetadata(value: unknown): value is WebhookSourceMetadata {
  if (typeof value !== 'object' || value === null) return false;
  const { name, path, scheme } = value as Record<string, unknown>;
  return typeof name === 'string' && typeof path === 'string' && typeof scheme === 'string';
}
