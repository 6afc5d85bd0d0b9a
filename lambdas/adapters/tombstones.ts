/**
 * Erasure tombstones (table `TOMBSTONE_TABLE_NAME`, partition key `pk`): one item per consumer and
 * data subject, written when the consumer processes an erasure of that subject, so an older event
 * of the subject that arrives later (a retry, a redrive) skips its personal-data effect.
 */
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { dynamoDbClient } from './dynamodb-client.ts';
import { tombstoneExpired, tombstoneKey } from '../shared/erasure.ts';
import { TableAttributes } from '../shared/tables.ts';

export interface Tombstone {
  readonly consumer: string;
  readonly subject: string;
  /** The erasure event's `time` (ISO-8601, UTC): events of the subject from before it are skipped. */
  readonly erasedAt: string;
  /** The erasure event's id. */
  readonly erasureEventId: string;
}

export interface TombstoneStore {
  /** The tombstone, unless there is none or it has expired. */
  read(consumer: string, subject: string): Promise<Tombstone | undefined>;
  /** Records the erasure; an existing tombstone of a later erasure is kept. */
  write(tombstone: Tombstone): Promise<void>;
}

export const createDynamoDbTombstoneStore = (tableName: string, ttlSeconds: number, now: () => Date = () => new Date()): TombstoneStore => ({
  async read(consumer, subject) {
    const { Item } = await dynamoDbClient.send(
      new GetItemCommand({ TableName: tableName, Key: { [TableAttributes.recordKey]: { S: tombstoneKey(consumer, subject) } }, ConsistentRead: true }),
    );
    if (Item?.erasedAt?.S === undefined) return undefined;
    if (tombstoneExpired(Item[TableAttributes.expiration]?.N === undefined ? undefined : Number(Item[TableAttributes.expiration]!.N), now().getTime())) return undefined;
    return { consumer, subject, erasedAt: Item.erasedAt.S, erasureEventId: Item.erasureEventId?.S ?? '' };
  },
  async write({ consumer, subject, erasedAt, erasureEventId }) {
    try {
      await dynamoDbClient.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { [TableAttributes.recordKey]: { S: tombstoneKey(consumer, subject) } },
          UpdateExpression: 'SET #consumer = :consumer, #subject = :subject, #erasedAt = :erasedAt, #erasureEventId = :eventId, #recordedAt = :now, #expiration = :expiration',
          // The writer normalizes erasedAt to toISOString(): strings of that one format order as the times do.
          ConditionExpression: 'attribute_not_exists(#erasedAt) OR #erasedAt <= :erasedAt',
          ExpressionAttributeNames: {
            '#consumer': 'consumer',
            '#subject': 'subject',
            '#erasedAt': 'erasedAt',
            '#erasureEventId': 'erasureEventId',
            '#recordedAt': 'recordedAt',
            '#expiration': TableAttributes.expiration,
          },
          ExpressionAttributeValues: {
            ':consumer': { S: consumer },
            ':subject': { S: subject },
            ':erasedAt': { S: erasedAt },
            ':eventId': { S: erasureEventId },
            ':now': { S: now().toISOString() },
            ':expiration': { N: String(Math.floor(now().getTime() / 1000) + ttlSeconds) },
          },
        }),
      );
    } catch (error) {
      // A later erasure's tombstone is already there: keep it.
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return;
      throw error;
    }
  },
});
