/**
 * The chaos run's failure scenarios beyond faults and the kill (issue "Delivery that survives real
 * failures"), each driven from outside like a user or an operator would:
 *
 * - a downstream outage: the sample's effect store (the ledger table) refuses every request for a
 *   while, through the local runtime's outage control (`POST /_queueflow/outages`), which keeps
 *   its items, unlike deleting the table;
 * - an erasure overtaking orders in retry: during the outage an order is placed and then its
 *   customer's erasure is requested; neither can finish until the ledger is back, and then the
 *   order's personal-data effects must be skipped, not performed;
 * - one `Idempotency-Key` reused on two resources and, after the producer's records are gone
 *   (deleted, as an expiry would), with another body: every different request gets its own event;
 * - a redrive after an erasure: orders sitting in the DLQs of the consumers that honour erasures
 *   (email and SMS in the sample; put there as the
 *   consumer itself dead-letters, with the envelope the producer makes) whose customer is then
 *   erased; `dlq peek` says so and `dlq redrive` brings them back, and their effects are skipped.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { createEnvelope } from '../../lambdas/shared/envelope.ts';
import { PRODUCER_IDEMPOTENCY_KEY_PREFIX } from '../../lambdas/shared/idempotent-request.ts';
import { OutputKeys, consumerOutputKeys } from '../../lib/constructs/output-keys.ts';
import type { Clients } from './aws.ts';
import type { ChaosApp, EffectStatus } from './chaos-app.ts';
import { postUntilAnswered } from './http.ts';
import { orderBody } from './sample-domain.ts';

/** What the scenarios need of a running local runtime's state file. */
export interface ScenarioState {
  readonly apiUrl: string;
  readonly endpoint: string;
  readonly apiKey: string;
  readonly outputs: Readonly<Record<string, string>>;
}

/** An event a scenario made, and the one ledger item each consumer must hold for it (none for the others). */
export interface ScenarioEvent {
  readonly scenario: 'erasure-race' | 'key-reuse' | 'redrive-after-erasure';
  readonly eventId: string;
  readonly label: string;
  readonly expected: Readonly<Record<string, EffectStatus>>;
  /** The order's customer, whose tombstones decide a `skipped-once-erased` effect. */
  readonly subject?: string;
}

const accepted = async (state: ScenarioState, path: string, body: unknown, key: string, violations: string[]): Promise<string | undefined> => {
  const { status, eventId } = await postUntilAnswered(state, path, JSON.stringify(body), key);
  if (status !== 202 || eventId === undefined) violations.push(`POST ${path} with key ${key} answered ${status}, expected 202`);
  return status === 202 ? eventId : undefined;
};

// ---- the downstream outage

export interface OutageWindow {
  readonly table: string;
  readonly endsAt: number;
}

/** Starts (or extends) an outage of `table` through the local runtime's control route. */
export const startOutage = async (endpoint: string, table: string, seconds: number): Promise<OutageWindow> => {
  const response = await fetch(`${endpoint}/_queueflow/outages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ table, seconds: Math.max(1, Math.ceil(seconds)) }),
  });
  if (!response.ok) throw new Error(`starting the outage of ${table} failed: ${response.status} ${await response.text()}`);
  return { table, endsAt: Date.now() + seconds * 1000 };
};

/** Requests the runtime refused on `table` because of an outage, since its stats were last reset. */
export const refusedByOutage = async (endpoint: string, table: string): Promise<number> => {
  const stats = (await (await fetch(`${endpoint}/_queueflow/stats`)).json()) as { outages?: Record<string, { refused?: number }> };
  return stats.outages?.[table]?.refused ?? 0;
};

// ---- an erasure overtaking orders in retry

/**
 * During the outage: per pair, an order of a new customer, then (after its 202) that customer's
 * erasure. Both reach the consumers while the ledger is down; the erasure leaves its tombstone on
 * its first attempt, so when the ledger is back the order's confirmations are skipped.
 */
export const sendErasureRace = async (state: ScenarioState, app: ChaosApp, runId: string, pairs: number, violations: string[]): Promise<ScenarioEvent[]> => {
  const events: ScenarioEvent[] = [];
  for (let index = 0; index < pairs; index += 1) {
    const customer = `${runId}-race-${index}`;
    const orderId = await accepted(state, app.orderPath, orderBody(`${runId}-race-order-${index}`, customer), `${runId}-race-order-${index}`, violations);
    const erasureId = await accepted(state, app.erasurePath(customer), { reason: 'chaos race' }, `${runId}-race-erasure-${index}`, violations);
    if (orderId !== undefined) {
      events.push({ scenario: 'erasure-race', eventId: orderId, label: `race order ${index}`, expected: app.orderEffects(true), subject: customer });
    }
    if (erasureId !== undefined) events.push({ scenario: 'erasure-race', eventId: erasureId, label: `race erasure ${index}`, expected: app.erasureEffects });
  }
  return events;
};

// ---- one Idempotency-Key reused across resources and after expiry

/**
 * Deletes the producer's idempotency records of these events, as their expiry would. Powertools
 * keeps the handler's answer (`{ eventId, correlationId }`, a map) in the record's `data`, so the records are found by
 * it; the rest of the table (every other request's record) is left alone.
 */
const forgetProducerRecords = async (clients: Clients, table: string, eventIds: readonly (string | undefined)[]): Promise<number> => {
  let deleted = 0;
  for (const eventId of eventIds) {
    if (eventId === undefined) continue;
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await clients.dynamodb.send(
        new ScanCommand({
          TableName: table,
          ExclusiveStartKey: startKey,
          ProjectionExpression: 'id',
          FilterExpression: 'begins_with(id, :prefix) AND #data.#eventId = :eventId',
          ExpressionAttributeNames: { '#data': 'data', '#eventId': 'eventId' },
          ExpressionAttributeValues: { ':prefix': { S: `${PRODUCER_IDEMPOTENCY_KEY_PREFIX}#` }, ':eventId': { S: eventId } },
        }),
      );
      for (const item of page.Items ?? []) {
        await clients.dynamodb.send(new DeleteItemCommand({ TableName: table, Key: { id: item.id! } }));
        deleted += 1;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }
  return deleted;
};

/**
 * One key K: an order, then an erasure on another resource, then (records forgotten) another
 * order, then (records forgotten again) the first order again. The three different requests must be three events; the
 * repeat must be the first event again (its effects absorbed by the consumers).
 */
export const reuseOneKey = async (state: ScenarioState, clients: Clients, app: ChaosApp, runId: string, violations: string[]): Promise<ScenarioEvent[]> => {
  const key = `${runId}-reused-key`;
  const first = orderBody(`${runId}-kr-order-a`, `${runId}-kr-cus-a`);
  const orderA = await accepted(state, app.orderPath, first, key, violations);
  const erasure = await accepted(state, app.erasurePath(`${runId}-kr-user`), { reason: 'key reuse' }, key, violations);
  const table = state.outputs[OutputKeys.IdempotencyTableName]!;
  if ((await forgetProducerRecords(clients, table, [orderA, erasure])) < 2) violations.push('key reuse: fewer than two producer records found to expire');
  const orderB = await accepted(state, app.orderPath, orderBody(`${runId}-kr-order-b`, `${runId}-kr-cus-b`), key, violations);
  // While B's record lives, A again would rightly be refused (422: the key is B's now); once it is gone too:
  await forgetProducerRecords(clients, table, [orderB]);
  const orderAgain = await accepted(state, app.orderPath, first, key, violations);
  const ids = [orderA, erasure, orderB];
  if (new Set(ids).size !== ids.length) violations.push(`key reuse: one Idempotency-Key gave the same event id to different requests (${ids.join(', ')})`);
  if (orderAgain !== orderA) violations.push(`key reuse: the same request repeated after its record expired got event ${orderAgain}, not ${orderA}`);
  const event = (eventId: string | undefined, label: string, expected: Record<string, EffectStatus>): ScenarioEvent[] =>
    eventId === undefined ? [] : [{ scenario: 'key-reuse', eventId, label, expected }];
  return [
    ...event(orderA, 'order A', app.orderEffects(false)),
    ...event(erasure, 'erasure', app.erasureEffects),
    ...event(orderB, 'order B', app.orderEffects(false)),
  ];
};

// ---- a redrive after an erasure

export interface SeededDeadLetters {
  readonly events: ScenarioEvent[];
  /** The consumers whose DLQs hold the seeded orders. */
  readonly consumers: readonly string[];
}

/**
 * Puts `count` orders into the DLQs of the order consumers that honour erasures, each as the envelope the producer would have
 * published (data subject included) and with its attributes, as the consumer dead-letters a
 * record; then requests each customer's erasure. The orders are older than the erasures.
 */
export const seedDeadLettersThenErase = async (
  state: ScenarioState,
  clients: Clients,
  app: ChaosApp,
  runId: string,
  count: number,
  violations: string[],
): Promise<SeededDeadLetters> => {
  const consumers = app.erasingOrderConsumers;
  const events: ScenarioEvent[] = [];
  const customers: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const customer = `${runId}-dl-${index}`;
    customers.push(customer);
    const envelope = {
      ...createEnvelope({ type: app.orderEventType, source: 'chaos/dead-letter', data: orderBody(`${runId}-dl-order-${index}`, customer), correlationId: `${runId}-dl-${index}` }),
      datasubject: customer,
    };
    for (const consumer of consumers) {
      const dlqUrl = state.outputs[consumerOutputKeys(consumer).dlqUrl]!;
      await clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: dlqUrl,
          MessageBody: JSON.stringify(envelope),
          MessageAttributes: {
            eventType: { DataType: 'String', StringValue: envelope.type },
            correlationId: { DataType: 'String', StringValue: envelope.correlationid },
          },
        }),
      );
    }
    // Only the DLQs it was put in hold it: no other consumer's item is expected.
    const expected = Object.fromEntries(consumers.map((consumer) => [consumer, 'skipped' as const]));
    events.push({ scenario: 'redrive-after-erasure', eventId: envelope.id, label: `dead-lettered order ${index}`, expected });
  }
  // Strictly later than every seeded order's time, as a real erasure would be.
  await sleep(5);
  for (const [index, customer] of customers.entries()) {
    const erasureId = await accepted(state, app.erasurePath(customer), { reason: 'chaos redrive' }, `${runId}-dl-erasure-${index}`, violations);
    if (erasureId !== undefined) {
      events.push({ scenario: 'redrive-after-erasure', eventId: erasureId, label: `erasure ${index}`, expected: app.erasureEffects });
    }
  }
  return { events, consumers };
};
