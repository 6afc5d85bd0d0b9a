/** The sample's webhook consumers record one effect per event with the provider's id, and refuse data that is not a delivery. */
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../../../lambdas/shared/errors.ts';
import { Effects } from '../../../../sample/lambdas/domain/effect-ledger.ts';
import { recordWebhookEffect } from '../../../../sample/lambdas/domain/webhook-effects.ts';
import { memoryLedger } from '../../../helpers/memory-ledger.ts';

const event = (data: unknown) => ({ consumer: 'payments', eventId: 'e-1', eventType: 'stripe.payment_intent.succeeded', data });

describe('recordWebhookEffect', () => {
  it('records the effect with the provider event id', async () => {
    // Prepare
    const { entries, ledger } = memoryLedger();

    // Act
    await recordWebhookEffect(Effects.PaymentRecorded, event({ source: 'stripe', deliveryId: 'evt_1', providerEventType: 'payment_intent.succeeded', payload: {} }), ledger);

    // Assess
    expect(entries).toEqual([{ consumer: 'payments', eventId: 'e-1', effect: 'payment.recorded', providerEventId: 'evt_1' }]);
  });

  it.each([
    ['no delivery id', { source: 'stripe', providerEventType: 'x', payload: {} }],
    ['no payload', { source: 'stripe', deliveryId: 'evt_1', providerEventType: 'x' }],
    ['an order', { orderId: 'ord-1' }],
  ])('fails permanently on data with %s, recording nothing', async (_, data) => {
    // Prepare
    const { entries, ledger } = memoryLedger();

    // Act
    const act = recordWebhookEffect(Effects.PaymentRecorded, event(data), ledger);

    // Assess
    await expect(act).rejects.toBeInstanceOf(PermanentError);
    expect(entries).toEqual([]);
  });
});
