/**
 * Reading items of a table keyed by `pk` in bulk, as the CLI joins dead letters to the consumers'
 * records (failure records, erasure tombstones): one BatchGetItem per 100 keys.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Sleep } from './io.ts';
import { plural } from './table.ts';

/** BatchGetItem's limit per request. */
const BATCH_GET_MAX = 100;
const UNPROCESSED_RETRIES = 5;

/**
 * The items found for `keys` (values of the partition key `pk`), by key; a key with no item is
 * absent. The error for keys left unread names only how many: a key may hold personal data.
 */
export const batchGet = async (
  client: DynamoDBClient,
  tableName: string,
  keys: readonly string[],
  sleep: Sleep,
): Promise<Map<string, Record<string, unknown>>> => {
  const documents = DynamoDBDocumentClient.from(client);
  const found = new Map<string, Record<string, unknown>>();
  const unique = [...new Set(keys)];
  for (let start = 0; start < unique.length; start += BATCH_GET_MAX) {
    let pending: Record<string, unknown>[] = unique.slice(start, start + BATCH_GET_MAX).map((pk) => ({ pk }));
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > UNPROCESSED_RETRIES) throw new Error(`DynamoDB left ${plural(pending.length, 'item')} of ${tableName} unread after ${UNPROCESSED_RETRIES} retries`);
      // UnprocessedKeys come back under throttling; back off before asking again.
      if (attempt > 0) await sleep(50 * 2 ** attempt);
      const { Responses, UnprocessedKeys } = await documents.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending } } }),
      );
      for (const item of Responses?.[tableName] ?? []) {
        if (typeof item.pk === 'string') found.set(item.pk, item);
      }
      pending = (UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, unknown>[];
    }
  }
  return found;
};
