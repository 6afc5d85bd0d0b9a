/** The sample's notification consumers: an order confirmation by email or SMS, and erasure. */
import { EventTypes } from '../../event-types.ts';
import type { OrderPlacedData } from '../../events.ts';
import { Effects } from './effect-ledger.ts';
import type { EffectLedger } from './effect-ledger.ts';
import { eraseUserData } from './erasure.ts';
import { UnsupportedEventTypeError, parseEventData } from './event-data.ts';
import type { SampleEvent } from './sample-event.ts';

export type NotificationChannel = 'email' | 'sms';

const sentEffect = { email: Effects.EmailSent, sms: Effects.SmsSent } as const;

/**
 * Confirms a placed order on the channel, or erases the user's data the channel holds.
 *
 * @throws {UnsupportedEventTypeError} for any other event type.
 * @throws {InvalidEventDataError} when the data does not match its event type.
 */
export const notify = async (channel: NotificationChannel, event: SampleEvent, ledger: EffectLedger): Promise<void> => {
  switch (event.eventType) {
    case EventTypes.OrderPlaced: {
      const order = parseEventData<OrderPlacedData>(event.eventType, event.data);
      // The confirmation would carry the customer's email or phone: after their erasure it is not sent.
      const skipped = event.erasure === undefined ? undefined : { reason: 'subject-erased' as const, erasureEventId: event.erasure.erasureEventId };
      await ledger.record({ consumer: event.consumer, eventId: event.eventId, effect: sentEffect[channel], orderId: order.orderId, skipped });
      return;
    }
    case EventTypes.UserErasureRequested:
      await eraseUserData(event, ledger);
      return;
    default:
      throw new UnsupportedEventTypeError(event.consumer, event.eventType);
  }
};
