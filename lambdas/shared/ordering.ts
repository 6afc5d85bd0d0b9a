/**
 * Ordered processing per key: the rules the constructs, the producer and the consumers share.
 *
 * An event type may be ordered by a key, a JSON pointer into the event data (`/accountId`). Its
 * events go through the workflow's SNS FIFO topic with `MessageGroupId` = the key's value and
 * `MessageDeduplicationId` = the event id, into FIFO queues: SQS delivers the events of one key in
 * the order SNS accepted them, one group at a time (docs/architecture.md, "Ordered processing").
 */
import { subjectAt } from './erasure.ts';

/**
 * What SQS and SNS accept as a `MessageGroupId`: 1–128 characters, letters, digits and ASCII
 * punctuation (`!"#$%&'()*+,-./:;<=>?@[\]^_\`{|}~`), no space.
 */
export const MESSAGE_GROUP_ID = /^[\x21-\x7E]{1,128}$/;

/** The event source reads at most 10 messages per batch from a FIFO queue (a Lambda rule). */
export const MAX_FIFO_BATCH_SIZE = 10;

/** What a permanent failure does to its message group (`PERMANENT_FAILURE`). */
export const PermanentFailureModes = {
  /** To the DLQ at once; the group moves on with its next event. */
  DeadLetter: 'dead-letter',
  /** Retried like a transient failure, holding its group, until the retry budget is spent; then SQS moves it to the DLQ. */
  HoldGroup: 'hold-group',
} as const;
export type PermanentFailureMode = (typeof PermanentFailureModes)[keyof typeof PermanentFailureModes];

/** The message group of an event: the value at its ordering key, if it is a valid group id. */
export const messageGroupIdAt = (data: unknown, pointer: string): string | undefined => {
  const value = subjectAt(data, pointer);
  return value !== undefined && MESSAGE_GROUP_ID.test(value) ? value : undefined;
};
