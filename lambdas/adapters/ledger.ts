/** The sample's {@link EffectLedger}: one DynamoDB item per effect (table `LEDGER_TABLE_NAME`). */
import { randomUUID } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { dynamoDbClient } from '#adapters/dynamodb-client';
import type { EffectEntry, EffectLedger } from '#domain/effect-ledger';

/**
 * A ledger in the given table. Each effect gets a fresh UUID key, so an effect performed twice is
 * two items with the same `consumer` + `eventId` rather than one overwritten item.
 */
export const createDynamoDbLedger = (tableName: string, now: () => Date = () => new Date()): EffectLedger => ({
  async record(entry: EffectEntry): Promise<void> {
    const item: Record<string, AttributeValue> = {
      pk: { S: randomUUID() },
      consumer: { S: entry.consumer },
      eventId: { S: entry.eventId },
      effect: { S: entry.effect },
      at: { S: now().toISOString() },
    };
    if (entry.orderId !== undefined) item.orderId = { S: entry.orderId };
    if (entry.userId !== undefined) item.userId = { S: entry.userId };
    await dynamoDbClient.send(new PutItemCommand({ TableName: tableName, Item: item }));
  },
});
