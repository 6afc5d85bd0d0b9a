/** Sample consumer `payments`: records each Stripe payment event it receives (webhook source `stripe`). */
import { Effects } from '../domain/effect-ledger.ts';
import { recordWebhookEffect } from '../domain/webhook-effects.ts';
import { createSampleConsumerHandler } from '../sample-consumer.ts';

export const handler = createSampleConsumerHandler((event, ledger) => recordWebhookEffect(Effects.PaymentRecorded, event, ledger));
