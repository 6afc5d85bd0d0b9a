/**
 * The CloudEvents 1.0 (JSON format) envelope every queueflow event travels in.
 *
 * Subscriptions use raw message delivery, so the SNS MessageId never reaches a consumer: the
 * envelope `id` is the event's identity end to end and the consumers' idempotency key.
 */
import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { z } from 'zod';
import type { EnvelopeSchema } from './envelope-schema.ts';
import { v0 as validateEnvelopeShape } from './envelope-validator.generated.ts';
import { runValidator, type AjvValidateFunction, type ValidationResult } from './validation-errors.ts';

/** The correlation ids accepted from callers and carried in envelopes. */
export const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** An envelope as consumers receive it (envelope-schema.ts); `data` is left to the consumer to parse. */
export type Envelope = z.infer<typeof EnvelopeSchema>;

const ENVELOPE_FIELDS = ['specversion', 'id', 'source', 'type', 'time', 'datacontenttype', 'correlationid', 'datasubject', 'data'] as const;

/**
 * Checks a parsed message body against the envelope schema (envelope-schema.ts), with the
 * validator generated from it; on success returns the envelope's own fields only (unknown
 * ones are dropped, as the zod schema drops them).
 */
export const checkEnvelope = (raw: unknown): { readonly envelope: Envelope } | Extract<ValidationResult, { valid: false }> => {
  const result = runValidator(validateEnvelopeShape as AjvValidateFunction, raw);
  if (!result.valid) return result;
  const fields = raw as Record<string, unknown>;
  const envelope = Object.fromEntries(ENVELOPE_FIELDS.filter((field) => fields[field] !== undefined).map((field) => [field, fields[field]]));
  return { envelope: envelope as Envelope };
};

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
