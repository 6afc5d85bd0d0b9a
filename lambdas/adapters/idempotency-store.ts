/** Powertools idempotency records in DynamoDB (table `IDEMPOTENCY_TABLE_NAME`, key `id`). */
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { TableAttributes } from '../shared/tables.ts';
import { dynamoDbClient } from './dynamodb-client.ts';

export const createIdempotencyStore = (tableName: string): DynamoDBPersistenceLayer =>
  new DynamoDBPersistenceLayer({
    tableName,
    keyAttr: TableAttributes.idempotencyKey,
    expiryAttr: TableAttributes.expiration,
    awsSdkV3Client: dynamoDbClient,
  });
