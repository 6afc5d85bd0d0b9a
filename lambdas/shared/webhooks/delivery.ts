/**
 * What a verified delivery says: its id (for deduplication), its event type and its payload.
 * Only called after the signature matched, so parsing here never sees forged bytes.
 */
import type { RawDelivery } from './verify.ts';
import { singleHeader } from './verify.ts';
import type { EventTypeLocation, FieldLocation } from './sources.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const FORM = /^application\/x-www-form-urlencoded\s*(;.*)?$/i;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(;.*)?$/i;

/** The delivery's body, parsed as its Content-Type says: JSON, form fields, text, or base64 of bytes that are not UTF-8. */
export type Payload = unknown;

export interface ParsedDelivery {
  readonly payload: Payload;
  /** Set when the payload is the body's base64 (not UTF-8 text). */
  readonly payloadEncoding?: 'base64';
}

/** A delivery that is signed but unusable: no delivery id, an event type that cannot be a filter value. */
export class UnusableDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnusableDeliveryError';
  }
}

/**
 * Parses the body by its Content-Type. A form body (GitHub's `application/x-www-form-urlencoded`
 * option) becomes its fields, and a `payload` field holding JSON, as GitHub sends it, is parsed.
 */
export function parseDelivery(delivery: RawDelivery): ParsedDelivery {
  let text: string;
  try {
    text = utf8.decode(delivery.body);
  } catch {
    return { payload: delivery.body.toString('base64'), payloadEncoding: 'base64' };
  }
  const contentType = (delivery.headers.get('content-type') ?? [])[0] ?? '';
  if (FORM.test(contentType)) {
    const fields: Record<string, unknown> = Object.fromEntries(new URLSearchParams(text));
    if (typeof fields.payload === 'string') {
      try {
        fields.payload = JSON.parse(fields.payload);
      } catch {
        // Not JSON: kept as the text it is.
      }
    }
    return { payload: fields };
  }
  if (JSON_TYPE.test(contentType) || contentType === '') {
    try {
      return { payload: JSON.parse(text) as unknown };
    } catch {
      return { payload: text };
    }
  }
  return { payload: text };
}

/** A value at a JSON pointer of plain names; for form fields, `/<field>` (then `/payload/…` into a JSON `payload`). */
const atPointer = (payload: unknown, pointer: string): unknown => {
  let node = payload;
  for (const name of pointer.split('/').slice(1)) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[name];
  }
  return node;
};

/** The value at a location: a header, a body field, or `undefined`. */
export function valueAt(location: FieldLocation, delivery: RawDelivery, parsed: ParsedDelivery | undefined): string | undefined {
  const value = 'header' in location ? singleHeader(delivery, location.header) : parsed === undefined ? undefined : atPointer(parsed.payload, location.bodyField);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

const DELIVERY_ID = /^[\x21-\x7E]{1,200}$/;
const EVENT_TYPE = /^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*$/;
/** Room for the source prefix within the 128 characters an event type name may have. */
const EVENT_TYPE_MAX = 95;

/**
 * The delivery id, by which retries of one delivery are recognised.
 *
 * @throws {UnusableDeliveryError} when it is missing or not 1 to 200 printable ASCII characters
 */
export function deliveryIdOf(location: FieldLocation, delivery: RawDelivery, parsed: ParsedDelivery): string {
  const id = valueAt(location, delivery, parsed);
  if (id === undefined || !DELIVERY_ID.test(id)) {
    throw new UnusableDeliveryError(`The delivery id (${'header' in location ? `header ${location.header}` : `body field ${location.bodyField}`}) is missing or not 1 to 200 printable ASCII characters.`);
  }
  return id;
}

/**
 * The provider's event type as queueflow publishes it: `<source>.<type>`, lower-case, `/` and `-`
 * read as `.` and `_` (Shopify's `orders/create` → `shopify.orders.create`).
 *
 * @throws {UnusableDeliveryError} when it is missing or would not be a valid event type name
 */
export function eventTypeOf(source: string, location: EventTypeLocation, delivery: RawDelivery, parsed: ParsedDelivery): { eventType: string; providerEventType: string } {
  const raw = 'fixed' in location ? location.fixed : valueAt(location, delivery, parsed);
  const normalized = raw?.toLowerCase().replaceAll('/', '.').replaceAll('-', '_');
  if (raw === undefined || normalized === undefined || normalized.length > EVENT_TYPE_MAX || !EVENT_TYPE.test(normalized)) {
    throw new UnusableDeliveryError('The delivery has no event type, or one that is not dot-separated words of letters, digits and underscores.');
  }
  return { eventType: `${source}.${normalized}`, providerEventType: raw };
}
