/**
 * What an `Idempotency-Key` covers, and the event id it gives a request (docs/architecture.md,
 * "The envelope" and "Producer HTTP contract").
 *
 * A key holds for one caller on one concrete path: two callers, or two users' paths, can pick
 * the same key without meeting. The event id also covers the request itself, so two different
 * requests never share an id, even once the key's record has expired; the same request retried
 * under the same key always gets the same id, which is what lets the consumers absorb a
 * re-publish. lib/ imports this module (the IAM grants rely on
 * {@link PRODUCER_IDEMPOTENCY_KEY_PREFIX}), so it holds no SDK client.
 */
import { v5 as uuidv5 } from 'uuid';
import { canonicalJsonSha256 } from './canonical-json.ts';

/**
 * Key prefix of the producer's Powertools idempotency records: their ids are `producer#<hash>`.
 * Fixed rather than the function name (Powertools' default), so records survive a function
 * replacement and the local runtime, and IAM can confine the producer to its own records
 * (`dynamodb:LeadingKeys` `producer#*`).
 */
export const PRODUCER_IDEMPOTENCY_KEY_PREFIX = 'producer';

/** The caller of a route that requires no API key: every keyless caller is this one caller. */
export const ANONYMOUS_CALLER = 'anonymous';

/** Fixed namespace of the UUIDv5 event ids of idempotent requests; never change it. */
export const EVENT_ID_NAMESPACE = '23174707-cc5e-4fb1-a2f0-fd9b0d3eb241';

export interface IdempotentRequestInput {
  /** `requestContext.identity.apiKeyId`; null or absent on a route that requires no API key. */
  readonly apiKeyId: string | null | undefined;
  /** The route's HTTP method. */
  readonly method: string;
  /** The concrete path: the resource path with the validated path parameter values. */
  readonly path: string;
  /** The `Idempotency-Key` header, already validated (printable ASCII). */
  readonly key: string;
  /** The event data (body merged with the path parameters). */
  readonly data: Record<string, unknown>;
}

export interface IdempotentRequest {
  /** `<caller> <METHOD> <path> <Idempotency-Key>`: the Powertools record is keyed on it. */
  readonly scopedKey: string;
  /** Hex SHA-256 of the event data's canonical JSON: a replay must match it (else 422). */
  readonly requestHash: string;
  /** UUIDv5 of `<scopedKey> <requestHash>` under {@link EVENT_ID_NAMESPACE}. */
  readonly eventId: string;
}

// Percent-encoded so that no caller contains a space, which keeps the space-joined names below
// unambiguous; API Gateway's key ids are alphanumeric, so for them this changes nothing.
const callerOf = (apiKeyId: string | null | undefined): string =>
  apiKeyId ? `key:${encodeURIComponent(apiKeyId)}` : ANONYMOUS_CALLER;

/**
 * The scoped key, request hash and event id of a request sent with an `Idempotency-Key`.
 *
 * Caller, method and path never contain a space and the hash is the last word, so the names are
 * unambiguous even though the key may contain spaces.
 *
 * @example
 * idempotentRequest({ apiKeyId: 'a1b2c3', method: 'POST', path: '/users/alice/erasure', key: 'K', data: { userId: 'alice' } });
 * // { scopedKey: 'key:a1b2c3 POST /users/alice/erasure K', requestHash: '…', eventId: '…' }
 */
export const idempotentRequest = ({ apiKeyId, method, path, key, data }: IdempotentRequestInput): IdempotentRequest => {
  const scopedKey = `${callerOf(apiKeyId)} ${method.toUpperCase()} ${path} ${key}`;
  const requestHash = canonicalJsonSha256(data);
  return { scopedKey, requestHash, eventId: uuidv5(`${scopedKey} ${requestHash}`, EVENT_ID_NAMESPACE) };
};
