/**
 * Reading dead letters without consuming them. SQS has no "peek": a message can only be seen by
 * receiving it, which hides it for a visibility timeout and increments its receive count. So
 * messages are held hidden only while sampling (so a later receive in the same sample returns
 * new ones) and released (visibility 0) as soon as the sample is complete.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import type { Message, MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import type { Consumer } from './consumers.ts';
import type { Target } from './target.ts';

/** Long enough to cover one sample or one batch of a throttled redrive, short enough that a killed CLI's messages come back soon. */
export const HOLD_SECONDS = 30;
const SQS_BATCH_MAX = 10;

/** A consumer's DLQ as the commands read it. */
export interface DeadLetterQueue {
  readonly sqs: SQSClient;
  readonly url: string;
}

export interface DeadLetter {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly messageAttributes?: Record<string, MessageAttributeValue>;
  /** SQS ApproximateReceiveCount, including this receive. */
  readonly receiveCount: number;
  /** When the message was first sent to the source queue (SQS keeps it on the move to the DLQ). */
  readonly sentAt?: Date;
  /** A FIFO DLQ's message group (an ordered consumer's key): a redrive sends it back to that group, in order. */
  readonly groupId?: string;
}

export const deadLetterQueue = (target: Target, consumer: Consumer): DeadLetterQueue => ({
  sqs: target.sqs,
  url: consumer.dlqUrl,
});

export interface QueueCounts {
  readonly visible: number;
  readonly inFlight: number;
}

export const queueCounts = async (sqs: SQSClient, queueUrl: string): Promise<QueueCounts> => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
};

export const queueArn = async (sqs: SQSClient, queueUrl: string): Promise<string> => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  if (Attributes.QueueArn === undefined) throw new Error(`SQS returned no QueueArn for ${queueUrl}`);
  return Attributes.QueueArn;
};

/** Receives up to `max` (≤ 10) messages and hides them for `holdSeconds`. */
export const receiveDeadLetters = async (dlq: DeadLetterQueue, max: number, holdSeconds = HOLD_SECONDS): Promise<DeadLetter[]> => {
  const { Messages = [] } = await dlq.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: dlq.url,
      MaxNumberOfMessages: Math.min(max, SQS_BATCH_MAX),
      VisibilityTimeout: holdSeconds,
      // A short long-poll: a zero-wait receive samples only some SQS hosts and can come back
      // empty while messages exist.
      WaitTimeSeconds: 1,
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'MessageGroupId'],
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages.flatMap(toDeadLetter);
};

const toDeadLetter = (message: Message): DeadLetter[] => {
  if (message.MessageId === undefined || message.ReceiptHandle === undefined) return [];
  const sent = Number(message.Attributes?.SentTimestamp);
  return [
    {
      messageId: message.MessageId,
      receiptHandle: message.ReceiptHandle,
      body: message.Body ?? '',
      ...(message.MessageAttributes === undefined ? {} : { messageAttributes: message.MessageAttributes }),
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
      ...(Number.isFinite(sent) && sent > 0 ? { sentAt: new Date(sent) } : {}),
      ...(message.Attributes?.MessageGroupId === undefined ? {} : { groupId: message.Attributes.MessageGroupId }),
    },
  ];
};

/**
 * Makes the messages visible again at once. A release that SQS rejects (an expired receipt
 * handle) needs no retry: the message reappears when its hold ends anyway.
 */
export const releaseDeadLetters = async (dlq: DeadLetterQueue, letters: readonly DeadLetter[]): Promise<void> => {
  for (let start = 0; start < letters.length; start += SQS_BATCH_MAX) {
    const chunk = letters.slice(start, start + SQS_BATCH_MAX);
    await dlq.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: dlq.url,
        Entries: chunk.map((letter, index) => ({
          Id: String(index),
          ReceiptHandle: letter.receiptHandle,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
};

/**
 * Up to `limit` dead letters, released before returning (also when sampling fails part-way).
 * Each one's receive count has gone up by one.
 */
export const peekDeadLetters = async (dlq: DeadLetterQueue, limit: number): Promise<DeadLetter[]> => {
  const seen = new Map<string, DeadLetter>();
  try {
    while (seen.size < limit) {
      const batch = await receiveDeadLetters(dlq, limit - seen.size);
      const fresh = batch.filter((letter) => !seen.has(letter.messageId));
      // Standard queues may deliver a held message again; a batch of nothing new means the sample is complete.
      if (fresh.length === 0) break;
      for (const letter of fresh) seen.set(letter.messageId, letter);
    }
  } finally {
    await releaseDeadLetters(dlq, [...seen.values()]);
  }
  return [...seen.values()];
};
