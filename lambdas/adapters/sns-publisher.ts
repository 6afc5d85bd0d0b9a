/** Publishes envelopes to the workflow's SNS topic. */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Envelope } from '../shared/envelope.ts';

const sns = new SNSClient({});

/** SNS did not accept the event; `cause` holds the SDK error, which is never shown to API callers. */
export class PublishFailedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PublishFailedError';
  }
}

/** The published message as SNS measures it against its 256 KiB limit: body plus attributes. */
export const publishedSize = (envelope: Envelope): number => {
  const attributes = messageAttributes(envelope);
  const attributeBytes = Object.entries(attributes).reduce(
    (sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value.DataType) + Buffer.byteLength(value.StringValue),
    0,
  );
  return Buffer.byteLength(JSON.stringify(envelope)) + attributeBytes;
};

const messageAttributes = (envelope: Envelope) => ({
  // Subscriptions filter on eventType: it must be a message attribute, not only in the body.
  eventType: { DataType: 'String', StringValue: envelope.type },
  correlationId: { DataType: 'String', StringValue: envelope.correlationid },
});

/**
 * Publishes the envelope once; the SDK's own retries cover throttling and transient faults. With
 * a `messageGroupId` (an ordered event type, a FIFO topic) the event id is the deduplication id,
 * so SNS drops a re-publish of the same event within its 5-minute deduplication window.
 *
 * @throws {PublishFailedError} when SNS does not accept the message.
 */
export const publishEnvelope = async (topicArn: string, envelope: Envelope, messageGroupId?: string): Promise<void> => {
  try {
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: JSON.stringify(envelope),
        MessageAttributes: messageAttributes(envelope),
        ...(messageGroupId === undefined ? {} : { MessageGroupId: messageGroupId, MessageDeduplicationId: envelope.id }),
      }),
    );
  } catch (error) {
    throw new PublishFailedError(`SNS did not accept event ${envelope.id}`, { cause: error });
  }
};
