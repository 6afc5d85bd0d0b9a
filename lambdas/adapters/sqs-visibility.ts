/** Changes received messages' visibility: how the consumer schedules a retry, and releases an ordered group's skipped records. */
import { ChangeMessageVisibilityBatchCommand, ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
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

/**
 * Makes received messages visible again at once (visibility 0), 10 per call. Returns how many
 * SQS did not release; those reappear after the queue's visibility timeout instead.
 */
export const releaseMessages = async (queueUrl: string, receiptHandles: readonly string[]): Promise<number> => {
  let notReleased = 0;
  for (let start = 0; start < receiptHandles.length; start += 10) {
    const chunk = receiptHandles.slice(start, start + 10);
    const output = await sqsClient.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((receiptHandle, index) => ({ Id: String(index), ReceiptHandle: receiptHandle, VisibilityTimeout: 0 })),
      }),
    );
    notReleased += output.Failed?.length ?? 0;
  }
  return notReleased;
};
