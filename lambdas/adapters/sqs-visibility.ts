/** Changes a received message's visibility: how the consumer schedules its retry. */
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from './sqs-client.ts';

export const changeMessageVisibility = async (
  queueUrl: string,
  receiptHandle: string,
  visibilityTimeoutSeconds: number,
): Promise<void> => {
  await sqsClient.send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: queueUrl,
      ReceiptHandle: receiptHandle,
      VisibilityTimeout: visibilityTimeoutSeconds,
    }),
  );
};
