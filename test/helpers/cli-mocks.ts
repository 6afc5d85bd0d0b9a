/**
 * The AWS SDK mocks of the DLQ CLI tests (aws-sdk-client-mock): SQS and the DynamoDB document
 * client, and the SQS answers most of those tests start from.
 */
import { ChangeMessageVisibilityBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { GetQueueAttributesCommandInput, Message } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

export const sqs = mockClient(SQSClient);
export const documents = mockClient(DynamoDBDocumentClient);

/** Forgets every answer and call of both mocks. */
export const resetCliMocks = (): void => {
  sqs.reset();
  documents.reset();
};

/** GetQueueAttributes answers this depth, to the calls matching `input` (to every call without one). */
export const queueDepth = (visible: number, inFlight = 0, input?: Partial<GetQueueAttributesCommandInput>) =>
  sqs
    .on(GetQueueAttributesCommand, input)
    .resolves({ Attributes: { ApproximateNumberOfMessages: String(visible), ApproximateNumberOfMessagesNotVisible: String(inFlight) } });

/** The queue at `queueUrl` (every queue without one) hands out `letters` once, then nothing; every release succeeds. */
export const dlqHandsOut = (letters: Message[], queueUrl?: string): void => {
  sqs
    .on(ReceiveMessageCommand, queueUrl === undefined ? undefined : { QueueUrl: queueUrl })
    .resolvesOnce({ Messages: letters })
    .resolves({});
  sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
};
