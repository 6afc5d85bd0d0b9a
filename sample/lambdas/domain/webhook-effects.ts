/**
 * The sample's webhook consumers: each records the provider event it received as one effect in
 * the ledger, keyed on the provider's own id (Stripe's event id, GitHub's delivery id), so the
 * ledger shows which delivery caused which effect, and that a provider's retry caused none.
 */
import { PermanentError, readWebhookEventData } from 'queueflow/lambda';
import type { Effect, EffectLedger } from './effect-ledger.ts';
import type { SampleEvent } from './sample-event.ts';

/** A webhook event whose data is not what the receiver publishes; retrying cannot help. */
export class InvalidWebhookDataError extends PermanentError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidWebhookDataError';
  }
}

/**
 * Records `effect` for a webhook event, with the provider's delivery id.
 *
 * @throws {InvalidWebhookDataError} when the event's data is not a webhook delivery.
 */
export const recordWebhookEffect = async (effect: Effect, event: SampleEvent, ledger: EffectLedger): Promise<void> => {
  const delivery = readWebhookEventData(event.data);
  if (delivery === undefined) throw new InvalidWebhookDataError(`Invalid ${event.eventType} data: not a webhook delivery (source, deliveryId, providerEventType, payload)`);
  await ledger.record({ consumer: event.consumer, eventId: event.eventId, effect, providerEventId: delivery.deliveryId });
};
