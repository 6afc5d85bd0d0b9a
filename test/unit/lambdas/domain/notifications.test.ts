/** The sample notification consumers: a confirmation per order on their channel, and erasure. */
import { describe, expect, it } from 'vitest';
import { installSampleEventValidators } from '../../../helpers/event-validators.ts';
import { memoryLedger } from '../../../helpers/memory-ledger.ts';
import { InvalidEventDataError, UnsupportedEventTypeError } from '../../../../sample/lambdas/domain/event-data.ts';
import { notify } from '../../../../sample/lambdas/domain/notifications.ts';

// The data validators QueueWorkflow generates from the sample's schemas and injects into each consumer's bundle.
await installSampleEventValidators();

const placed = {
  consumer: 'email',
  eventId: 'e1',
  eventType: 'order.placed',
  data: {
    orderId: 'ord-1',
    customer: { id: 'cus-1', email: 'ada@example.com', phone: '+15555550100' },
    items: [{ sku: 'ANY-SKU', quantity: 2 }],
  },
};

describe('notify', () => {
  it.each([
    ['email', 'email.sent'],
    ['sms', 'sms.sent'],
  ] as const)('records %s confirmation of a placed order as %s', async (channel, effect) => {
    // Prepare
    const { entries, ledger } = memoryLedger();

    // Act
    await notify(channel, { ...placed, consumer: channel }, ledger);

    // Assess
    expect(entries).toEqual([{ consumer: channel, eventId: 'e1', effect, orderId: 'ord-1' }]);
  });

  it('erases the user named by the event', async () => {
    // Prepare
    const { entries, ledger } = memoryLedger();

    // Act
    await notify('sms', { consumer: 'sms', eventId: 'e2', eventType: 'user.erasure_requested', data: { userId: 'u-7', reason: 'gdpr' } }, ledger);

    // Assess
    expect(entries).toEqual([{ consumer: 'sms', eventId: 'e2', effect: 'user.erased', userId: 'u-7' }]);
  });

  it('fails an erasure without a valid userId', async () => {
    // Act / Assess
    await expect(
      notify('email', { consumer: 'email', eventId: 'e3', eventType: 'user.erasure_requested', data: { reason: 'gdpr' } }, memoryLedger().ledger),
    ).rejects.toThrow(InvalidEventDataError);
  });

  it('refuses an event type it does not handle, with a clear error', async () => {
    // Act
    const error = await notify('email', { ...placed, eventType: 'order.shipped' }, memoryLedger().ledger).catch((e) => e);

    // Assess
    expect(error).toBeInstanceOf(UnsupportedEventTypeError);
    expect(error.message).toBe('Consumer email does not handle event type order.shipped');
  });
});
