/**
 * What an `Idempotency-Key` covers, on the local runtime driven from outside: the key holds for
 * one caller on one concrete path, and the event id covers the request itself, so an expired
 * record can never hand one user's event to another (issue 8: alice's erasure answered for bob,
 * and bob never erased). The producer's records are expired by deleting them, as their TTL would.
 */
import { randomUUID } from 'node:crypto';
import { DeleteItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRODUCER_IDEMPOTENCY_KEY_PREFIX } from '../../lambdas/shared/idempotent-request.ts';
import { OutputKeys } from '../../lib/constructs/output-keys.ts';
import { ledgerOf, type LedgerItem } from './helpers/ledger.ts';
import { startRuntime, type RuntimeProcess as TestRuntime } from '../../bench/lib/runtime.ts';



describe('Idempotency-Key scope on the local runtime', () => {
  let runtime: TestRuntime;

  beforeAll(async () => {
    runtime = await startRuntime();
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  const accepted = async (response: Response): Promise<string> => {
    const body = (await response.json()) as { eventId?: string };
    expect({ status: response.status, body }).toEqual({ status: 202, body: expect.objectContaining({ eventId: expect.any(String) }) });
    return body.eventId!;
  };

  const erase = (userId: string, key: string) => runtime.post(`users/${userId}/erasure`, { reason: 'gdpr' }, { 'Idempotency-Key': key });

  /** Deletes every producer record (`producer#…`) from the idempotency table; returns how many. */
  const expireProducerRecords = async (): Promise<number> => {
    const TableName = runtime.outputOf(OutputKeys.IdempotencyTableName);
    let deleted = 0;
    let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await runtime.clients.dynamodb.send(
        new ScanCommand({
          TableName,
          FilterExpression: 'begins_with(id, :prefix)',
          ExpressionAttributeValues: { ':prefix': { S: `${PRODUCER_IDEMPOTENCY_KEY_PREFIX}#` } },
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) {
        await runtime.clients.dynamodb.send(new DeleteItemCommand({ TableName, Key: { id: item.id! } }));
        deleted += 1;
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return deleted;
  };

  const settledEffectsOf = (eventId: string, count: number, timeoutMs?: number) => ledgerOf(runtime).settledEffectsOf(eventId, count, timeoutMs);

  const erasedBy = (items: readonly LedgerItem[]) =>
    items.map(({ consumer, effect, userId, deliveries }) => ({ consumer, effect, userId, deliveries }));

  it('bob with alice\'s key after her record expired gets his own event, and is erased', async () => {
    // Prepare
    const key = `K-${randomUUID()}`;
    const [alice, bob] = [`alice-${randomUUID().slice(0, 8)}`, `bob-${randomUUID().slice(0, 8)}`];
    const aliceEventId = await accepted(await erase(alice, key));
    await settledEffectsOf(aliceEventId, 2);
    expect(await expireProducerRecords()).toBeGreaterThanOrEqual(1);

    // Act
    const bobEventId = await accepted(await erase(bob, key));

    // Assess
    expect(bobEventId).not.toBe(aliceEventId);
    expect(erasedBy(await settledEffectsOf(bobEventId, 2))).toEqual([
      { consumer: 'email', effect: 'user.erased', userId: bob, deliveries: 1 },
      { consumer: 'sms', effect: 'user.erased', userId: bob, deliveries: 1 },
    ]);
  });

  it('the same request retried after its record expired gets the same id, and the consumers absorb the re-publish', async () => {
    // Prepare
    const key = `K-${randomUUID()}`;
    const carol = `carol-${randomUUID().slice(0, 8)}`;
    const first = await accepted(await erase(carol, key));
    await settledEffectsOf(first, 2);
    expect(await expireProducerRecords()).toBeGreaterThanOrEqual(1);

    // Act
    const retried = await accepted(await erase(carol, key));

    // Assess: published again under the same id; each consumer's effect still happened once
    expect(retried).toBe(first);
    expect(erasedBy(await settledEffectsOf(first, 2))).toEqual([
      { consumer: 'email', effect: 'user.erased', userId: carol, deliveries: 1 },
      { consumer: 'sms', effect: 'user.erased', userId: carol, deliveries: 1 },
    ]);
  });

  it('the same key on two resources gives two events', async () => {
    // Prepare
    const key = `K-${randomUUID()}`;
    const order = {
      orderId: `o-${randomUUID().slice(0, 8)}`,
      customer: { id: 'c-1', email: 'scope.test@example.com', phone: '+15550100' },
      items: [{ sku: 'BOOK-1', quantity: 1 }],
    };

    // Act
    const orderEventId = await accepted(await runtime.post('orders', order, { 'Idempotency-Key': key }));
    const erasureEventId = await accepted(await erase(`dave-${randomUUID().slice(0, 8)}`, key));

    // Assess
    expect(erasureEventId).not.toBe(orderEventId);
  });
});
