/**
 * The sample app's consumers: the shared consumer pipeline, plus the ledger as their effect port
 * and the optional simulated latency.
 */
import { createDynamoDbLedger } from './adapters/ledger.ts';
import type { EffectLedger } from './domain/effect-ledger.ts';
import type { SampleEvent } from './domain/sample-event.ts';
import { createConsumerHandler } from 'queueflow/lambda';
import { readSampleConsumerEnv } from './env.ts';
import { simulateLatency } from './simulated-latency.ts';

/** A sample consumer's domain logic: performs the event's effect through the ledger. */
export type SampleEffect = (event: SampleEvent, ledger: EffectLedger) => Promise<void>;

/** @throws {ConfigurationError} when the environment is invalid. */
export const createSampleConsumerHandler = (perform: SampleEffect) => {
  const env = readSampleConsumerEnv();
  const ledger = createDynamoDbLedger(env.ledgerTableName);
  return createConsumerHandler({
    handle: async (envelope, { consumerName }) => {
      await simulateLatency(env.simulatedLatency);
      await perform({ consumer: consumerName, eventId: envelope.id, eventType: envelope.type, data: envelope.data }, ledger);
    },
    // The domain records the skipped effect in the ledger, so the ledger shows why it is absent.
    onErasedSubject: async (envelope, { consumerName, erasure }) => {
      const { erasedAt, erasureEventId } = erasure;
      await perform(
        { consumer: consumerName, eventId: envelope.id, eventType: envelope.type, data: envelope.data, erasure: { erasedAt, erasureEventId } },
        ledger,
      );
    },
  });
};
