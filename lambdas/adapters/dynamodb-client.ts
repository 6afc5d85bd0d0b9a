/**
 * The function's one DynamoDB client, shared by the idempotency store, the failure store and the
 * ledger so they reuse its connections. Region and endpoint (`AWS_ENDPOINT_URL`) come from the
 * environment, as the SDK reads them natively.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export const dynamoDbClient = new DynamoDBClient({});
