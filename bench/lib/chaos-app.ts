/**
 * The chaos run's expectations, derived from the app under test (its cloud assembly) and the
 * sample's domain: which consumers must hold an effect for each kind of event, where a poison
 * order must be dead-lettered, and which routes to call.
 */
import { consumersTaking, routeFor, type AppModel } from './assembly.ts';
import { ORDER_EVENT_TYPE, STOCK_CONSUMER } from './sample-domain.ts';

/**
 * What a consumer's one ledger item for an event must say. `skipped-once-erased`: skipped, unless
 * the consumer performed it before it processed the customer's erasure (an injected fault can delay
 * the erasure's own delivery past the outage; the erasure then erases what the order did).
 */
export type EffectStatus = 'performed' | 'skipped' | 'skipped-once-erased';

export interface ChaosApp {
  /** Every consumer, sorted by name. */
  readonly consumers: readonly string[];
  readonly orderEventType: string;
  readonly orderPath: string;
  /** The erasure route with the data subject in its one path parameter. */
  erasurePath(subject: string): string;
  /**
   * An order: each consumer that takes orders performs its effect; those that honour erasures
   * skip it (`skipped-once-erased`) when `customerErased`.
   */
  orderEffects(customerErased: boolean): Record<string, EffectStatus>;
  /** An order naming an unknown SKU: performed by every order consumer but the stock one. */
  readonly poisonEffects: Record<string, EffectStatus>;
  /** An erasure request: performed by each consumer that takes it. */
  readonly erasureEffects: Record<string, EffectStatus>;
  /** The consumer whose DLQ a poison order must end in, and no other. */
  readonly poisonDlq: string;
  /** The order consumers that honour erasures: their dead letters of an erased customer are skipped on redrive. */
  readonly erasingOrderConsumers: readonly string[];
}

/** The app cannot host the chaos run: it lacks a route or consumer the sample's scenario needs. */
export class ChaosAppError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ChaosAppError';
  }
}

const each = (consumers: readonly { readonly name: string }[], status: (name: string) => EffectStatus): Record<string, EffectStatus> =>
  Object.fromEntries(consumers.map((consumer) => [consumer.name, status(consumer.name)]));

export const chaosAppOf = (app: AppModel): ChaosApp => {
  const erasureTypes = [...new Set(app.consumers.flatMap((consumer) => consumer.erasureEventTypes))];
  if (erasureTypes.length !== 1) throw new ChaosAppError(`the chaos run needs exactly one erasure event type, the app has ${erasureTypes.length}`);
  const erasureType = erasureTypes[0]!;
  const orderConsumers = consumersTaking(app, ORDER_EVENT_TYPE);
  if (!orderConsumers.some((consumer) => consumer.name === STOCK_CONSUMER)) {
    throw new ChaosAppError(`no consumer ${STOCK_CONSUMER} takes ${ORDER_EVENT_TYPE}: nothing would dead-letter a poison order`);
  }
  const erasingOrderConsumers = orderConsumers.filter((consumer) => consumer.erasureEventTypes.length > 0);
  const erasureRoute = routeFor(app, erasureType);
  const parameter = /\{[^}]+\}/.exec(erasureRoute.resourcePath)?.[0];
  if (parameter === undefined) throw new ChaosAppError(`the erasure route ${erasureRoute.resourcePath} has no path parameter for the subject`);
  return {
    consumers: app.consumers.map((consumer) => consumer.name),
    orderEventType: ORDER_EVENT_TYPE,
    orderPath: routeFor(app, ORDER_EVENT_TYPE).resourcePath,
    erasurePath: (subject) => erasureRoute.resourcePath.replace(parameter, encodeURIComponent(subject)),
    orderEffects: (customerErased) =>
      each(orderConsumers, (name) => (customerErased && erasingOrderConsumers.some((consumer) => consumer.name === name) ? 'skipped-once-erased' : 'performed')),
    poisonEffects: each(orderConsumers.filter((consumer) => consumer.name !== STOCK_CONSUMER), () => 'performed'),
    erasureEffects: each(consumersTaking(app, erasureType), () => 'performed'),
    poisonDlq: STOCK_CONSUMER,
    erasingOrderConsumers: erasingOrderConsumers.map((consumer) => consumer.name),
  };
};
