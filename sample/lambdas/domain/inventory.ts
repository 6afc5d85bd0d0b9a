/**
 * The sample's inventory consumer: reserves stock for a placed order.
 *
 * Its catalog is deliberately tiny and fixed, so an order naming any other SKU is the sample's
 * realistic poison message: it fails on every attempt and ends in the inventory DLQ, while email
 * and SMS process the same order normally.
 */
import { EventTypes } from '../../event-types.ts';
import type { OrderPlacedData } from '../../events.ts';
import { Effects } from './effect-ledger.ts';
import type { EffectLedger } from './effect-ledger.ts';
import { UnsupportedEventTypeError, parseEventData } from './event-data.ts';
import type { SampleEvent } from './sample-event.ts';
import { PermanentError } from 'queueflow/lambda';

/** The SKUs the sample warehouse stocks. */
export const INVENTORY_CATALOG: ReadonlySet<string> = new Set(['BOOK-1', 'BOOK-2', 'MUG-1', 'TSHIRT-M', 'POSTER-A2']);

/** An order line names a SKU outside {@link INVENTORY_CATALOG}; retrying cannot help, so it goes to the DLQ at once. */
export class UnknownSkuError extends PermanentError {
  /** JSON pointers of the offending lines' `sku`, e.g. `/items/1/sku` (the SKUs stay out of logs). */
  readonly fields: readonly string[];

  constructor(fields: readonly string[], options?: ErrorOptions) {
    super(`SKU not in the inventory catalog at ${fields.join(', ')}`, options);
    this.name = 'UnknownSkuError';
    this.fields = fields;
  }
}

/**
 * Reserves stock for every line of a placed order, as one effect.
 *
 * @throws {UnknownSkuError} when any line's SKU is not stocked; nothing is reserved then.
 * @throws {UnsupportedEventTypeError} for any event type but `order.placed`.
 */
export const reserveStock = async (event: SampleEvent, ledger: EffectLedger): Promise<void> => {
  if (event.eventType !== EventTypes.OrderPlaced) throw new UnsupportedEventTypeError(event.consumer, event.eventType);
  const order = parseEventData<OrderPlacedData>(event.eventType, event.data);
  const unknown = order.items.flatMap((item, index) => (INVENTORY_CATALOG.has(item.sku) ? [] : [`/items/${index}/sku`]));
  if (unknown.length > 0) throw new UnknownSkuError(unknown);
  await ledger.record({ consumer: event.consumer, eventId: event.eventId, effect: Effects.StockReserved, orderId: order.orderId });
};
