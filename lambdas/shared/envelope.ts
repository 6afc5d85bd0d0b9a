/**
 * The CloudEvents 1.0 (JSON format) envelope every queueflow event travels in.
 *
 * Subscriptions use raw message delivery, so the SNS MessageId never reaches a consumer: the
 * envelope `id` is the event's identity end to end and the consumers' idempotency key.
 */
import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import * as z from 'zod';
import { MAX_SUBJECT_LENGTH } from './erasure.ts';

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** An envelope as consumers receive it; `data` is left to the consumer to parse. */
export const Envelope = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1).max(128),
  source: z.string().min(1),
  type: z.string().min(1),
  time: z.iso.datetime({ offset: true }),
  datacontenttype: z.literal('application/json').optional(),
  correlationid: z.string().regex(CORRELATION_ID),
  /** Extension: the data subject (e.g. the customer id) when the event type names one; see shared/erasure.ts. */
  datasubject: z.string().min(1).max(MAX_SUBJECT_LENGTH).optional(),
  data: z.record(z.string(), z.unknown()),
});
export type Envelope = z.infer<typeof Envelope>;

export interface NewEnvelope {
  /**
   * The event id of a request sent with an `Idempotency-Key` (`shared/idempotent-request.ts`):
   * derived from caller, path, key and request, so a retry that re-publishes after the producer's
   * idempotency record is gone (expired, or deleted after a failed publish) carries the same id
   * and the consumers' idempotency absorbs it. A new UUIDv7 when omitted.
   */
  readonly id?: string;
  readonly type: string;
  readonly source: string;
  readonly data: Record<string, unknown>;
  readonly correlationId: string;
  /** The data subject, when the event type names one (`datasubject`; see shared/erasure.ts). */
  readonly subject?: string;
}

/** Wraps event data in a new envelope: the given id, else a time-ordered UUIDv7. */
export const createEnvelope = ({ id, type, source, data, correlationId, subject }: NewEnvelope, now = new Date()): Envelope => ({
  specversion: '1.0',
  id: id ?? uuidv7(),
  source,
  type,
  time: now.toISOString(),
  datacontenttype: 'application/json',
  correlationid: correlationId,
  ...(subject === undefined ? {} : { datasubject: subject }),
  data,
});

/**
 * The caller's correlation id when it is a safe token, else a new one: the id ends up in logs
 * and message attributes, so arbitrary header text is never trusted.
 */
export const correlationIdFrom = (header: string | undefined): string =>
  header !== undefined && CORRELATION_ID.test(header) ? header : randomUUID();

/** The envelope's fields that are safe to log and record (everything but `data`). */
export interface EnvelopeIdentity {
  readonly eventId?: string;
  readonly eventType?: string;
  readonly correlationId?: string;
}

const identityField = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : undefined;

/**
 * Best-effort identity of a message body that may not be a valid envelope, so a failure of
 * even a malformed record can be tied to its event. Never returns anything from `data`.
 */
export const peekEnvelopeIdentity = (body: string): EnvelopeIdentity => {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return {};
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
  const fields = raw as Record<string, unknown>;
  return {
    eventId: identityField(fields.id),
    eventType: identityField(fields.type),
    correlationId: identityField(fields.correlationid),
  };
};
