/**
 * The function's one SQS client, shared by the visibility changes and the dead-letter sends so
 * they reuse its connections. Region and endpoint (`AWS_ENDPOINT_URL`) come from the environment.
 */
import { SQSClient } from '@aws-sdk/client-sqs';

export const sqsClient = new SQSClient({});
