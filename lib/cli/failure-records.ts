/**
 * The consumers' failure records (docs/architecture.md, table `FailureTableName`), read by key
 * to explain dead letters. Only the fields an operator needs are kept: a record holds no payload
 * data, and neither does anything the CLI prints.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { batchGet } from './batch-get.ts';
import type { Sleep } from './io.ts';

const FailureRecordView = z.object({
  errorType: z.string().optional(),
  errorMessage: z.string().optional(),
  attempts: z.number().optional(),
  /** True: a permanent failure, sent to the DLQ at once; false: retried until the budget ran out. Absent in older records. */
  permanent: z.boolean().optional(),
  firstFailureAt: z.string().optional(),
  lastFailureAt: z.string().optional(),
});
export type FailureRecordView = z.infer<typeof FailureRecordView>;

/** The records found for `keys` (values of `pk`), by key; a key with no record is absent. */
export const getFailureRecords = async (
  client: DynamoDBClient,
  tableName: string,
  keys: readonly string[],
  sleep: Sleep,
): Promise<Map<string, FailureRecordView>> => {
  const items = await batchGet(client, tableName, keys, sleep);
  return new Map([...items].map(([pk, item]) => [pk, FailureRecordView.catch({}).parse(item)]));
};
