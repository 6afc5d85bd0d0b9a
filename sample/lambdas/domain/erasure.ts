/** Erasing a user's data, for every sample consumer that holds personal data. */
import type { UserErasureRequestedData } from '../../events.ts';
import { Effects } from './effect-ledger.ts';
import type { EffectLedger } from './effect-ledger.ts';
import { parseEventData } from './event-data.ts';
import type { SampleEvent } from './sample-event.ts';

/** @throws {InvalidEventDataError} when the data carries no valid `userId`. */
export const eraseUserData = async (event: SampleEvent, ledger: EffectLedger): Promise<void> => {
  const { userId } = parseEventData<UserErasureRequestedData>(event.eventType, event.data);
  await ledger.record({ consumer: event.consumer, eventId: event.eventId, effect: Effects.UserErased, userId });
};
