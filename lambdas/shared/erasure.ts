/**
 * Erasure that sticks: the rules the producer, the consumers, the constructs and the DLQ CLI share.
 *
 * An event type may name its data subject (a JSON pointer into the event data, e.g.
 * `/customer/id`); the producer copies the subject into the envelope's `datasubject` extension. An
 * erasure event type erases its subject: a consumer that processes one leaves a tombstone
 * `<consumer>#<subject>` holding the erasure's time, and from then on skips the effect of any event
 * of that subject from before that time (a retry, a redelivery, a redrive from the DLQ).
 */

/** How long a tombstone is kept unless configured: far beyond the 14 + 14 days a queue and its DLQ can hold a message. */
export const DEFAULT_TOMBSTONE_TTL_SECONDS = 90 * 86_400;

/** `<consumer>#<subject>`: each consumer owns (and may touch) only its own tombstones. */
export const tombstoneKey = (consumer: string, subject: string): string => `${consumer}#${subject}`;

/** The longest subject value carried in an envelope. */
export const MAX_SUBJECT_LENGTH = 256;

/**
 * The value at a JSON pointer (RFC 6901) as a subject id: a non-empty string or an integer, else
 * undefined (an event without that field has no subject).
 */
export const subjectAt = (data: unknown, pointer: string): string | undefined => {
  let value: unknown = data;
  for (const token of pointer.split('/').slice(1)) {
    const key = token.replaceAll('~1', '/').replaceAll('~0', '~');
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  const subject = typeof value === 'string' ? value : Number.isSafeInteger(value) ? String(value) : undefined;
  return subject !== undefined && subject.length > 0 && subject.length <= MAX_SUBJECT_LENGTH ? subject : undefined;
};

/**
 * Whether a tombstone with this `expiration` (epoch seconds; none: never) has expired at `nowMs`.
 * DynamoDB's TTL deletes expired items within days, not at once, so every reader checks it.
 */
export const tombstoneExpired = (expiration: number | undefined, nowMs: number): boolean =>
  expiration !== undefined && expiration * 1000 <= nowMs;

/**
 * Whether an event at `eventTime` predates the erasure at `erasedAt` (both ISO-8601), and so
 * must not have its effect. Equal times count as before: the erasure wins a tie.
 */
export const predatesErasure = (eventTime: string, erasedAt: string): boolean => Date.parse(eventTime) <= Date.parse(erasedAt);
