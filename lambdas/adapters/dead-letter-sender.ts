/**
 * Sends a record to its consumer's dead-letter queue at once: how a permanent failure skips the
 * retry budget. The copy keeps the body and the message attributes, so a redrive delivers exactly
 * what the consumer first received.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { sqsClient } from './sqs-client.ts';

/** The Lambda event's attribute shape (`stringValue`, `dataType`) as SendMessage wants it. */
const messageAttributesOf = (record: SQSRecord): Record<string, MessageAttributeValue> =>
  Object.fromEntries(
    Object.entries(record.messageAttributes ?? {}).flatMap(([name, value]): [string, MessageAttributeValue][] => {
      if (value.stringValue !== undefined) return [[name, { DataType: value.dataType, StringValue: value.stringValue }]];
      if (value.binaryValue !== undefined) {
        return [[name, { DataType: value.dataType, BinaryValue: Buffer.from(value.binaryValue, 'base64') }]];
      }
      return [];
    }),
  );

/**
 * A record of a FIFO queue keeps its message group in the DLQ (a FIFO queue too), so a redrive
 * returns it to its group in order; its deduplication id is kept, so a send repeated after a crash
 * within SQS's 5-minute window leaves one copy.
 */
const fifoParametersOf = (record: SQSRecord) => {
  const { MessageGroupId: groupId, MessageDeduplicationId: deduplicationId } = record.attributes;
  return groupId === undefined ? {} : { MessageGroupId: groupId, MessageDeduplicationId: deduplicationId ?? record.messageId };
};

/** @throws the SDK error when SQS does not take the message; the caller must then keep the record. */
export const sendToDeadLetterQueue = async (dlqUrl: string, record: SQSRecord): Promise<void> => {
  const attributes = messageAttributesOf(record);
  await sqsClient.send(
    new SendMessageCommand({
      QueueUrl: dlqUrl,
      MessageBody: record.body,
      ...(Object.keys(attributes).length === 0 ? {} : { MessageAttributes: attributes }),
      ...fifoParametersOf(record),
    }),
  );
};
