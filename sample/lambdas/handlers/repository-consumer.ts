/** Sample consumer `repository`: records each GitHub delivery it receives (webhook source `github`). */
import { Effects } from '../domain/effect-ledger.ts';
import { recordWebhookEffect } from '../domain/webhook-effects.ts';
import { createSampleConsumerHandler } from '../sample-consumer.ts';

export const handler = createSampleConsumerHandler((event, ledger) => recordWebhookEffect(Effects.RepositoryEventRecorded, event, ledger));
