/**
 * Which dead letters concern a data subject their consumer has erased since (docs/architecture.md,
 * "Erasure"): the consumer's tombstone `<consumer>#<subject>` (table `TombstoneTableName`) exists,
 * has not expired, and the letter's envelope `time` predates the erasure. A redrive still delivers
 * such a letter; the consumer skips its personal-data effect. The CLI only tells the operator so.
 *
 * The subject is personal data: it is used as a lookup key and never returned, printed or put in
 * an error message.
 */
import { z } from 'zod';
import { EnvelopeSchema as Envelope } from '../../lambdas/shared/envelope-schema.ts';
import { predatesErasure, tombstoneExpired, tombstoneKey } from '../../lambdas/shared/erasure.ts';
import { OutputKeys } from '../constructs/output-keys.ts';
import { batchGet } from './batch-get.ts';
import type { CliIo } from './io.ts';
import type { Target } from './target.ts';

/** The erasure that makes the consumer skip a letter's personal-data effect: when, and by which event. */
export interface SubjectErasure {
  readonly erasedAt: string;
  readonly erasureEventId: string;
}

const TombstoneView = z.object({
  erasedAt: z.string(),
  erasureEventId: z.string().default(''),
  /** Epoch seconds; DynamoDB deletes expired items days late, so expiry is checked here. */
  expiration: z.number().optional(),
});

/** What the consumer reads from a letter to decide a skip; only what parses as an envelope counts, as in the consumer. */
const subjectOf = (body: string): { readonly eventId: string; readonly time: string; readonly subject: string } | undefined => {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return undefined;
  }
  const parsed = Envelope.safeParse(raw);
  if (!parsed.success || parsed.data.datasubject === undefined) return undefined;
  return { eventId: parsed.data.id, time: parsed.data.time, subject: parsed.data.datasubject };
};

/**
 * For each body, in order, the erasure of its data subject by `consumer` after the event, or null
 * (no subject, no tombstone, an expired one, an event newer than the erasure, or the erasure event
 * itself, which the consumer processes again). Undefined when the target keeps no tombstones (no
 * `TombstoneTableName` output): then nothing is read.
 */
export const getSubjectErasures = async (
  target: Pick<Target, 'outputs' | 'dynamodb'>,
  consumer: string,
  bodies: readonly string[],
  io: Pick<CliIo, 'now' | 'sleep'>,
): Promise<(SubjectErasure | null)[] | undefined> => {
  const tableName = target.outputs[OutputKeys.TombstoneTableName];
  if (tableName === undefined) return undefined;
  const events = bodies.map(subjectOf);
  const keys = events.flatMap((event) => (event === undefined ? [] : [tombstoneKey(consumer, event.subject)]));
  const items = keys.length === 0 ? new Map<string, Record<string, unknown>>() : await batchGet(target.dynamodb, tableName, keys, io.sleep);
  const now = io.now();
  return events.map((event) => {
    if (event === undefined) return null;
    const tombstone = TombstoneView.safeParse(items.get(tombstoneKey(consumer, event.subject)));
    if (!tombstone.success) return null;
    const { erasedAt, erasureEventId, expiration } = tombstone.data;
    if (tombstoneExpired(expiration, now)) return null;
    if (event.eventId === erasureEventId || !predatesErasure(event.time, erasedAt)) return null;
    return { erasedAt, erasureEventId };
  });
};
