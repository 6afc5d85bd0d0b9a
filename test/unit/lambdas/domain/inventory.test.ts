/** The sample inventory: a tiny fixed catalog, one stock reservation per order, poison on unknown SKUs. */
import { describe, expect, it } from 'vitest';
import { installSampleEventValidators } from '../../../helpers/event-validators.ts';
import { memoryLedger } from '../../../helpers/memory-ledger.ts';
import { InvalidEventDataError, UnsupportedEventTypeError } from '../../../../sample/lambdas/domain/event-data.ts';
import { INVENTORY_CATALOG, UnknownSkuError, reserveStock } from '../../../../sample/lambdas/domain/inventory.ts';

// The data validators QueueWorkflow generates from the sample's schemas and injects into each consumer's bundle.
await installSampleEventValidators();

const order = (skus: string[]) => ({
  orderId: 'ord-1',
  customer: { id: 'cus-1', email: 'ada@example.com', phone: '+15555550100' },
  items: skus.map((sku) => ({ sku, quantity: 1 })),
});

const event = (data: unknown, eventType = 'order.placed') => ({ consumer: 'inventory', eventId: 'e1', eventType, data });

describe('reserveStock', () => {
  it('stocks exactly the documented catalog', () => {
    expect([...INVENTORY_CATALOG].sort()).toEqual(['BOOK-1', 'BOOK-2', 'MUG-1', 'POSTER-A2', 'TSHIRT-M']);
  });

  it('records one stock reservation for an order of known SKUs', async () => {
    // Prepare
    const { entries, ledger } = memoryLedger();

    // Act
    await reserveStock(event(order(['BOOK-1', 'MUG-1', 'POSTER-A2'])), ledger);

    // Assess
    expect(entries).toEqual([{ consumer: 'inventory', eventId: 'e1', effect: 'stock.reserved', orderId: 'ord-1' }]);
  });

  it('fails with UnknownSkuError naming the lines, not the SKUs, and reserves nothing', async () => {
    // Prepare
    const { entries, ledger } = memoryLedger();

    // Act
    const attempt = reserveStock(event(order(['BOOK-1', 'UNICORN-9', 'MUG-1', 'DRAGON-1'])), ledger);

    // Assess
    const error = (await attempt.then(() => undefined, (caught: unknown) => caught)) as UnknownSkuError;
    expect(error).toBeInstanceOf(UnknownSkuError);
    expect(error).toMatchObject({ name: 'UnknownSkuError', fields: ['/items/1/sku', '/items/3/sku'] });
    expect(error.message).not.toMatch(/UNICORN|DRAGON/);
    expect(entries).toEqual([]);
  });

  it('refuses an event type it does not handle', async () => {
    // Act / Assess
    await expect(reserveStock(event({ userId: 'u-1' }, 'user.erasure_requested'), memoryLedger().ledger)).rejects.toThrow(
      UnsupportedEventTypeError,
    );
  });

  it('fails data that is not an order, naming the field without its value', async () => {
    // Act
    const error = await reserveStock(event({ ...order(['BOOK-1']), orderId: 42 }), memoryLedger().ledger).catch((e) => e);

    // Assess
    expect(error).toBeInstanceOf(InvalidEventDataError);
    expect(error.message).toContain('/orderId');
    expect(error.message).not.toContain('ada@example.com');
  });
});
