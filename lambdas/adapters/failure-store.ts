/**
 * The failure record: one item per failing event per consumer (table `FAILURE_TABLE_NAME`), so an
 * operator can see why a message is retrying or sits in a DLQ without reading its payload.
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { TableAttributes } from '../shared/tables.ts';
import { dynamoDbClient } from './dynamodb-client.ts';

export interface FailureRecord {
  readonly consumer: string;
  readonly messageId: string;
  readonly eventId?: string;
  readonly eventType?: string;
  readonly correlationId?: string;
  readonly errorType: string;
  /** Already stripped of payload data by the caller. */
  readonly errorMessage: string;
  readonly attempts: number;
  /** The failure cannot succeed on a retry: the record went to the DLQ at once. */
  readonly permanent?: boolean;
  readonly failedAt: Date;
  /** Seconds the record is kept (DynamoDB TTL). */
  readonly ttlSeconds: number;
}

/** `<consumer>#<eventId>`, or `<consumer>#message:<messageId>` when the body had no usable id. */
export const failureRecordKey = (record: Pick<FailureRecord, 'consumer' | 'eventId' | 'messageId'>): string =>
  record.eventId === undefined ? `${record.consumer}#message:${record.messageId}` : `${record.consumer}#${record.eventId}`;

/** Creates or updates the record in one UpdateItem, keeping the first failure's time. */
export const recordFailure = async (tableName: string, record: FailureRecord): Promise<void> => {
  const at = record.failedAt.toISOString();
  const values: Record<string, AttributeValue> = {
    consumer: { S: record.consumer },
    messageId: { S: record.messageId },
    errorType: { S: record.errorType },
    errorMessage: { S: record.errorMessage },
    attempts: { N: String(record.attempts) },
    permanent: { BOOL: record.permanent ?? false },
    lastFailureAt: { S: at },
    [TableAttributes.expiration]: { N: String(Math.floor(record.failedAt.getTime() / 1000) + record.ttlSeconds) },
  };
  if (record.eventId !== undefined) values.eventId = { S: record.eventId };
  if (record.eventType !== undefined) values.eventType = { S: record.eventType };
  if (record.correlationId !== undefined) values.correlationId = { S: record.correlationId };
  const names = Object.keys(values);
  await dynamoDbClient.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: { [TableAttributes.recordKey]: { S: failureRecordKey(record) } },
      UpdateExpression: `SET ${names.map((key) => `#${key} = :${key}`).join(', ')}, #firstFailureAt = if_not_exists(#firstFailureAt, :lastFailureAt)`,
      ExpressionAttributeNames: Object.fromEntries(
        [...names, 'firstFailureAt'].map((key) => [`#${key}`, key]),
      ),
      ExpressionAttributeValues: Object.fromEntries(names.map((key) => [`:${key}`, values[key]!])),
    }),
  );
};
