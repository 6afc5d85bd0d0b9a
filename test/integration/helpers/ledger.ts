/**
 * Reading the sample's ledger (one item per effect, docs/architecture.md "Sample consumers and
 * ledger") from outside the runtime, for the integration suites that check effects per event.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { SampleOutputKeys } from '../../../sample/output-keys.ts';
import type { RuntimeProcess } from '../../../bench/lib/runtime.ts';

/** Long enough for a consumer that wrongly repeats an effect to have done so. */
export const SETTLE_MS = 2000;

export interface LedgerItem {
  readonly consumer: string;
  readonly eventId: string;
  readonly effect: string;
  readonly orderId?: string;
  readonly userId?: string;
  /** `performed`, or `skipped` when the data subject was erased after the event. */
  readonly status: string;
  /** Attempts that reached the ledger; more than 1 would mean consumer idempotency let a duplicate through. */
  readonly deliveries: number;
}

/** The effects of one event, by consumer name, and a wait for them to settle. */
export const ledgerOf = (runtime: RuntimeProcess) => {
  const ledger = DynamoDBDocumentClient.from(runtime.clients.dynamodb);

  const effectsOf = async (eventId: string): Promise<LedgerItem[]> => {
    const items: LedgerItem[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await ledger.send(
        new ScanCommand({ TableName: runtime.outputOf(SampleOutputKeys.LedgerTableName), FilterExpression: 'eventId = :id', ExpressionAttributeValues: { ':id': eventId }, ExclusiveStartKey }),
      );
      items.push(...((page.Items ?? []) as LedgerItem[]));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items.sort((a, b) => a.consumer.localeCompare(b.consumer));
  };

  /** Waits until `eventId` has `count` effects, then a little longer so extra effects would show. */
  const settledEffectsOf = async (eventId: string, count: number, timeoutMs = 30_000): Promise<LedgerItem[]> => {
    const deadline = Date.now() + timeoutMs;
    while ((await effectsOf(eventId)).length < count) {
      if (Date.now() > deadline) throw new Error(`event ${eventId} has ${(await effectsOf(eventId)).length} of ${count} effects after ${timeoutMs} ms`);
      await sleep(100);
    }
    await sleep(SETTLE_MS);
    return effectsOf(eventId);
  };

  return { effectsOf, settledEffectsOf };
};
