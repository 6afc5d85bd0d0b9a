/** Changes a received message's visibility: how the consumer schedules its retry. */
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';

const sqs = new SQSClient({});

export const changeMessageVisibility = async (
  queueUrl: string,
  receiptHandle: string,
  visibilityTimeoutSeconds: number,
): Promise<void> => {
  await sqs.send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: queueUrl,
      ReceiptHandle: receiptHandle,
      VisibilityTimeout: visibilityTimeoutSeconds,
    }),
  );
};
