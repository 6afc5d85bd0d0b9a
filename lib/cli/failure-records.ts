/**
 * The consumers' failure records (docs/architecture.md, table `FailureTableName`), read by key
 * to explain dead letters. Only the fields an operator needs are kept: a record holds no payload
 * data, and neither does anything the CLI prints.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { Sleep } from './io.ts';

const FailureRecordView = z.object({
  errorType: z.string().optional(),
  errorMessage: z.string().optional(),
  attempts: z.number().optional(),
  firstFailureAt: z.string().optional(),
  lastFailureAt: z.string().optional(),
});
export type FailureRecordView = z.infer<typeof FailureRecordView>;

/** BatchGetItem's limit per request. */
const BATCH_GET_MAX = 100;
const UNPROCESSED_RETRIES = 5;

/** The records found for `keys` (values of `pk`), by key; a key with no record is absent. */
export const getFailureRecords = async (
  client: DynamoDBClient,
  tableName: string,
  keys: readonly string[],
  sleep: Sleep,
): Promise<Map<string, FailureRecordView>> => {
  const documents = DynamoDBDocumentClient.from(client);
  const found = new Map<string, FailureRecordView>();
  const unique = [...new Set(keys)];
  for (let start = 0; start < unique.length; start += BATCH_GET_MAX) {
    let pending: Record<string, unknown>[] = unique.slice(start, start + BATCH_GET_MAX).map((pk) => ({ pk }));
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > UNPROCESSED_RETRIES) throw new Error(`DynamoDB left ${pending.length} failure records unread after ${UNPROCESSED_RETRIES} retries`);
      // UnprocessedKeys come back under throttling; back off before asking again.
      if (attempt > 0) await sleep(50 * 2 ** attempt);
      const { Responses, UnprocessedKeys } = await documents.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending } } }),
      );
      for (const item of Responses?.[tableName] ?? []) {
        if (typeof item.pk === 'string') found.set(item.pk, FailureRecordView.catch({}).parse(item));
      }
      pending = (UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, unknown>[];
    }
  }
  return found;
};
