/** Erasing a user's data, for every sample consumer that holds personal data. */
import { UserErasureRequestedData } from '#shared/events';
import { Effects } from '#domain/effect-ledger';
import type { EffectLedger } from '#domain/effect-ledger';
import { parseEventData } from '#domain/event-data';
import type { SampleEvent } from '#domain/sample-event';

/** @throws {InvalidEventDataError} when the data carries no valid `userId`. */
export const eraseUserData = async (event: SampleEvent, ledger: EffectLedger): Promise<void> => {
  const { userId } = parseEventData(UserErasureRequestedData, event.eventType, event.data);
  await ledger.record({ consumer: event.consumer, eventId: event.eventId, effect: Effects.UserErased, userId });
};
