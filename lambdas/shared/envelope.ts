/**
 * The CloudEvents 1.0 (JSON format) envelope every queueflow event travels in.
 *
 * Subscriptions use raw message delivery, so the SNS MessageId never reaches a consumer: the
 * envelope `id` is the event's identity end to end and the consumers' idempotency key.
 */
import { randomUUID } from 'node:crypto';
import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import * as z from 'zod';

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
  data: z.record(z.string(), z.unknown()),
});
export type Envelope = z.infer<typeof Envelope>;

/** Fixed namespace of the UUIDv5 event ids derived from an `Idempotency-Key`; never change it. */
export const EVENT_ID_NAMESPACE = '23174707-cc5e-4fb1-a2f0-fd9b0d3eb241';

export interface NewEnvelope {
  /**
   * The request's scoped idempotency key (`<method> <resourcePath> <Idempotency-Key>`), if any.
   * The id is then derived from it, so a retry that re-publishes after the producer's idempotency
   * record is gone (an expired in-progress record, a failed publish) carries the same id and the
   * consumers' idempotency absorbs it.
   */
  readonly idempotencyKey?: string;
  readonly type: string;
  readonly source: string;
  readonly data: Record<string, unknown>;
  readonly correlationId: string;
}

/** Wraps event data in a new envelope: a UUIDv5 id of the idempotency key, else a time-ordered UUIDv7. */
export const createEnvelope = ({ idempotencyKey, type, source, data, correlationId }: NewEnvelope, now = new Date()): Envelope => ({
  specversion: '1.0',
  id: idempotencyKey === undefined ? uuidv7() : uuidv5(idempotencyKey, EVENT_ID_NAMESPACE),
  source,
  type,
  time: now.toISOString(),
  datacontenttype: 'application/json',
  correlationid: correlationId,
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
