/** The `data` of a webhook event, as the receiver publishes it and consumers read it. */

export interface WebhookEventData {
  /** The webhook source's name, e.g. `stripe`. */
  readonly source: string;
  /** The provider's id of the delivery: Stripe's event id, `X-GitHub-Delivery`, `X-Shopify-Webhook-Id`, `webhook-id`. */
  readonly deliveryId: string;
  /** The event type as the provider wrote it (`payment_intent.succeeded`, `push`, `orders/create`). */
  readonly providerEventType: string;
  /** The body: parsed JSON, form fields (a JSON `payload` field parsed), text, or base64 (then `payloadEncoding`). */
  readonly payload: unknown;
  readonly payloadEncoding?: 'base64';
}

/**
 * The event's data as {@link WebhookEventData}, or undefined when it is not one.
 *
 * @example
 * const delivery = readWebhookEventData(envelope.data);
 * if (!delivery) throw new PermanentError('not a webhook event');
 */
export const readWebhookEventData = (data: unknown): WebhookEventData | undefined => {
  if (typeof data !== 'object' || data === null) return undefined;
  const { source, deliveryId, providerEventType, payloadEncoding } = data as Record<string, unknown>;
  const valid =
    typeof source === 'string' &&
    typeof deliveryId === 'string' &&
    typeof providerEventType === 'string' &&
    'payload' in data &&
    (payloadEncoding === undefined || payloadEncoding === 'base64');
  return valid ? (data as WebhookEventData) : undefined;
};
