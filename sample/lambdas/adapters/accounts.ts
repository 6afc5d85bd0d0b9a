/** The billing consumer's {@link AccountStore}: one DynamoDB item per account (table `ACCOUNTS_TABLE_NAME`). */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { dynamoDbClient } from 'queueflow/lambda';
import type { Account, AccountStore } from '../domain/billing.ts';

/** `<consumer>#<accountId>`: the consumer's own items, as its IAM policy allows. */
export const accountKey = (consumer: string, accountId: string): string => `${consumer}#${accountId}`;

export const createDynamoDbAccounts = (tableName: string): AccountStore => ({
  async get(consumer, accountId) {
    const { Item: item } = await dynamoDbClient.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: accountKey(consumer, accountId) } }, ConsistentRead: true }),
    );
    if (item === undefined) return undefined;
    return { status: item.status?.S as Account['status'], effects: Number(item.effects?.N ?? 0), lastEventId: item.lastEventId?.S ?? '' };
  },
  async put(consumer, accountId, account, previousEffects) {
    // Conditional on what was read: a second attempt running at the same time fails here
    // (ConditionalCheckFailedException, transient) instead of numbering an effect twice.
    await dynamoDbClient.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: accountKey(consumer, accountId) },
          accountId: { S: accountId },
          status: { S: account.status },
          effects: { N: String(account.effects) },
          lastEventId: { S: account.lastEventId },
        },
        ...(previousEffects === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: 'effects = :previous', ExpressionAttributeValues: { ':previous': { N: String(previousEffects) } } }),
      }),
    );
  },
});
