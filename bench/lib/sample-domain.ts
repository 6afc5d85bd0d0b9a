/**
 * What the bench and the chaos run know of the sample's domain, which no template says: what a
 * valid order looks like, which SKU is stocked and which is poison, which consumer reserves stock,
 * and the downstream latencies the synchronous baseline simulates. Read from the sample's own
 * modules wherever the sample spells it; everything about consumers, routes and schemas comes
 * from the assembly instead (bench/lib/assembly.ts).
 */
import { EventTypes, OrderPlacedBody } from '../../sample/events.ts';
import { INVENTORY_CATALOG, reserveStock } from '../../sample/lambdas/domain/inventory.ts';
import { notify } from '../../sample/lambdas/domain/notifications.ts';
import type { SampleEffect } from '../../sample/lambdas/sample-consumer.ts';

/** The event type of a placed order: the bench's load and most of the chaos run's events. */
export const ORDER_EVENT_TYPE = EventTypes.OrderPlaced;

/** A SKU the sample's inventory stocks. */
export const STOCKED_SKU = [...INVENTORY_CATALOG][0]!;

/**
 * Valid by the order schema, unknown to the inventory catalog: an order naming it fails in the
 * stock-reserving consumer only, permanently, and lands in its DLQ at once.
 */
export const POISON_SKU = 'UNKNOWN-SKU';
if (INVENTORY_CATALOG.has(POISON_SKU)) throw new Error(`${POISON_SKU} is stocked: a poison order would succeed`);

/** The sample's consumer that reserves stock (sample/lambdas/handlers/inventory-consumer.ts): the only one a poison order fails. */
export const STOCK_CONSUMER = 'inventory';

/** A valid `POST /orders` body of one line. */
export const orderBody = (orderId: string, customerId: string, sku = STOCKED_SKU): OrderPlacedBody => ({
  orderId,
  customer: { id: customerId, email: `${customerId}@example.com`, phone: '+14155550100' },
  items: [{ sku, quantity: 1 }],
});
// A poison order must fail in the consumer, not be refused at the API.
OrderPlacedBody.parse(orderBody('poison', 'check', POISON_SKU));

/**
 * The effect each sample consumer performs for an order, as its handler in
 * sample/lambdas/handlers/ does, and the downstream latency ("min-max" ms) the synchronous
 * baseline simulates before it.
 */
export const SAMPLE_ORDER_EFFECTS: Readonly<Record<string, { readonly perform: SampleEffect; readonly latency: string }>> = {
  email: { perform: (event, ledger) => notify('email', event, ledger), latency: '300-800' },
  sms: { perform: (event, ledger) => notify('sms', event, ledger), latency: '100-300' },
  [STOCK_CONSUMER]: { perform: reserveStock, latency: '20-80' },
};
