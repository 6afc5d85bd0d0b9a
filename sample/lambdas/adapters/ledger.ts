/** The sample's {@link EffectLedger}: one DynamoDB item per effect (table `LEDGER_TABLE_NAME`). */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { dynamoDbClient } from 'queueflow/lambda';
import type { EffectEntry, EffectLedger } from '../domain/effect-ledger.ts';

/** The effect's downstream idempotency key: the same effect of the same event always lands on one item. */
export const ledgerKey = (entry: Pick<EffectEntry, 'consumer' | 'eventId' | 'effect'>): string =>
  `${entry.consumer}#${entry.eventId}#${entry.effect}`;

/**
 * A ledger in the given table. One UpdateItem per effect on {@link ledgerKey}: a repeated attempt
 * keeps the first `at` and only increments `deliveries`, so the effect happens once even when the
 * invocation that performed it died before its idempotency record was marked COMPLETED.
 */
export const createDynamoDbLedger = (tableName: string, now: () => Date = () => new Date()): EffectLedger => ({
  async record(entry: EffectEntry): Promise<void> {
    const { consumer, eventId, effect } = entry;
    const subject: [string, string] =
      entry.accountId !== undefined ? ['accountId', entry.accountId] : entry.orderId !== undefined ? ['orderId', entry.orderId] : entry.userId !== undefined ? ['userId', entry.userId] : ['providerEventId', entry.providerEventId];
    const values: Record<string, AttributeValue> = {
      ':status': { S: entry.skipped === undefined ? 'performed' : 'skipped' },
      ':consumer': { S: consumer },
      ':eventId': { S: eventId },
      ':effect': { S: effect },
      ':subject': { S: subject[1] },
      ':now': { S: now().toISOString() },
      ':one': { N: '1' },
    };
    const skipped = entry.skipped === undefined ? '' : ', #skipReason = :skipReason, #erasureEventId = :erasureEventId';
    if (entry.skipped !== undefined) {
      values[':skipReason'] = { S: entry.skipped.reason };
      values[':erasureEventId'] = { S: entry.skipped.erasureEventId };
    }
    // The first attempt's place in the account's history is kept, like `at`.
    const sequence = entry.sequence === undefined ? '' : ', #sequence = if_not_exists(#sequence, :sequence)';
    if (entry.sequence !== undefined) values[':sequence'] = { N: String(entry.sequence) };
    await dynamoDbClient.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: { S: ledgerKey(entry) } },
        UpdateExpression:
          `SET #consumer = :consumer, #eventId = :eventId, #effect = :effect, #subject = :subject, #status = :status${skipped}${sequence}, ` +
          '#at = if_not_exists(#at, :now) ADD #deliveries :one',
        ExpressionAttributeNames: {
          '#consumer': 'consumer',
          '#eventId': 'eventId',
          '#effect': 'effect',
          '#subject': subject[0],
          '#at': 'at',
          '#deliveries': 'deliveries',
          '#status': 'status',
          ...(entry.skipped === undefined ? {} : { '#skipReason': 'skipReason', '#erasureEventId': 'erasureEventId' }),
          ...(entry.sequence === undefined ? {} : { '#sequence': 'sequence' }),
        },
        ExpressionAttributeValues: values,
      }),
    );
  },
});
