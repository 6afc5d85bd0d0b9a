/**
 * `queueflow dlq peek <consumer>`: the dead letters of one consumer with the reason each one
 * failed, joined from the consumer's failure records. Messages are released at once (nothing is
 * removed), but SQS counts every receive: each peek adds one to a message's receive count.
 * The payload (`data`) is never shown; the failure records never hold it either. Nor is a
 * letter's data subject: that its consumer has erased it since is said without naming it.
 */
import { peekEnvelopeIdentity } from '../../lambdas/shared/envelope.ts';
import { failureRecordKey } from '../../lambdas/adapters/failure-store.ts';
import { OutputKeys } from '../constructs/output-keys.ts';
import { findConsumer } from './consumers.ts';
import { deadLetterQueue, peekDeadLetters, queueCounts } from './dead-letters.ts';
import { ExitCode } from './errors.ts';
import { getFailureRecords } from './failure-records.ts';
import type { FailureRecordView } from './failure-records.ts';
import type { CliIo } from './io.ts';
import { getSubjectErasures } from './subject-erasures.ts';
import type { SubjectErasure } from './subject-erasures.ts';
import { formatDuration, plural, printable } from './table.ts';
import type { Target } from './target.ts';

export const DEFAULT_PEEK_LIMIT = 10;
export const MAX_PEEK_LIMIT = 100;

export interface DlqPeekOptions {
  readonly consumer: string;
  readonly limit: number;
  readonly json: boolean;
}

export interface PeekedDeadLetter {
  readonly messageId: string;
  readonly eventId: string | null;
  readonly eventType: string | null;
  readonly correlationId: string | null;
  /** SQS ApproximateReceiveCount: the consumer's deliveries plus every peek, this one included. */
  readonly receiveCount: number;
  readonly sentAt: string | null;
  /** The message group of a FIFO DLQ (an ordered consumer's key); absent for a standard DLQ. */
  readonly messageGroupId?: string;
  /** The consumer's failure record, or null when none is found (expired, or never written). */
  readonly failure: FailureRecordView | null;
  /** The consumer erased the letter's data subject after the event: a redrive skips its personal-data effect. */
  readonly subjectErased: SubjectErasure | null;
}

export const dlqPeek = async (target: Target, io: CliIo, options: DlqPeekOptions): Promise<ExitCode> => {
  const consumer = findConsumer(target.outputs, options.consumer);
  const letters = await peekDeadLetters(deadLetterQueue(target, consumer), options.limit);
  const identities = letters.map((letter) => ({ letter, identity: peekEnvelopeIdentity(letter.body) }));
  const keyOf = ({ letter, identity }: (typeof identities)[number]): string =>
    failureRecordKey({ consumer: consumer.name, eventId: identity.eventId, messageId: letter.messageId });
  const tableName = target.outputs[OutputKeys.FailureTableName];
  if (tableName === undefined && letters.length > 0) {
    io.stderr.write(`Note: ${target.description} has no ${OutputKeys.FailureTableName} output, so no failure reasons are shown.\n`);
  }
  const [records, erasures] = await Promise.all([
    tableName === undefined || letters.length === 0
      ? new Map<string, FailureRecordView>()
      : getFailureRecords(target.dynamodb, tableName, identities.map(keyOf), io.sleep),
    getSubjectErasures(target, consumer.name, letters.map((letter) => letter.body), io),
  ]);
  const peeked: PeekedDeadLetter[] = identities
    .map((entry, index) => ({ ...entry, erasure: erasures?.[index] ?? null }))
    // A FIFO DLQ returns each group's letters in the group's order: keep it (a letter the
    // consumer dead-lettered itself carries the time of that send, not of the event).
    .toSorted((a, b) => (a.letter.groupId !== undefined ? 0 : (a.letter.sentAt?.getTime() ?? 0) - (b.letter.sentAt?.getTime() ?? 0)))
    .map((entry) => ({
    messageId: entry.letter.messageId,
    eventId: entry.identity.eventId ?? null,
    eventType: entry.identity.eventType ?? null,
    correlationId: entry.identity.correlationId ?? null,
    receiveCount: entry.letter.receiveCount,
    sentAt: entry.letter.sentAt?.toISOString() ?? null,
    ...(entry.letter.groupId === undefined ? {} : { messageGroupId: entry.letter.groupId }),
    failure: records.get(keyOf(entry)) ?? null,
    subjectErased: entry.erasure,
  }));

  if (options.json) {
    io.stdout.write(`${JSON.stringify({ consumer: consumer.name, deadLetters: peeked }, null, 2)}\n`);
  } else if (peeked.length > 0) {
    io.stdout.write(peeked.map((letter) => describe(letter, io.now())).join('\n'));
  }
  if (peeked.length === 0) {
    io.stderr.write(`The ${consumer.name} DLQ is empty: nothing to peek.\n`);
    return ExitCode.ok;
  }
  const { visible, inFlight } = await queueCounts(target.sqs, consumer.dlqUrl);
  io.stderr.write(
    `${peeked.length} of ~${plural(Math.max(visible + inFlight, peeked.length), 'dead letter')} in the ${consumer.name} DLQ shown (oldest first), all released again. ` +
      `Peeking is a receive: each receive count above includes it.\n`,
  );
  return ExitCode.ok;
};

const describe = (letter: PeekedDeadLetter, now: number): string => {
  const lines: [string, string][] = [
    ['correlation id', letter.correlationId ?? '-'],
    ['message id', letter.messageId],
    [
      'sent',
      letter.sentAt === null ? '-' : `${letter.sentAt} (${formatDuration((now - Date.parse(letter.sentAt)) / 1000)} ago)`,
    ],
    ['receive count', `${letter.receiveCount} (SQS, includes peeks)`],
  ];
  if (letter.messageGroupId !== undefined) lines.splice(2, 0, ['message group', `${printable(letter.messageGroupId)} (ordered: a redrive returns it to this group, in order)`]);
  const failure = letter.failure;
  if (failure === null) {
    lines.push(['last error', '(no failure record: expired, or the message failed before the consumer ran)']);
  } else {
    lines.push(['failed attempts', String(failure.attempts ?? '-')]);
    // Records written before failures were classified have no `permanent`: say nothing then.
    if (failure.permanent !== undefined) lines.push(['dead-lettered', deadLetteredBecause(failure)]);
    lines.push(
      ['first failure', failure.firstFailureAt ?? '-'],
      ['last failure', failure.lastFailureAt ?? '-'],
      ['last error', `${failure.errorType ?? 'Error'}: ${failure.errorMessage ?? ''}`],
    );
  }
  if (letter.subjectErased !== null) {
    const { erasedAt, erasureEventId } = letter.subjectErased;
    lines.push([
      'data subject',
      `erased at ${erasedAt} by event ${erasureEventId || '-'}; a redrive will skip its personal-data effect (recorded as skipped)`,
    ]);
  }
  const header = `event ${letter.eventId ?? '(body is not an envelope)'}  ${letter.eventType ?? ''}`.trimEnd();
  return `${printable(header)}\n${lines.map(([label, value]) => `  ${label.padEnd(15)}  ${printable(value)}`).join('\n')}\n`;
};

/** How the failure record says the message reached the DLQ. */
const deadLetteredBecause = ({ permanent, attempts }: FailureRecordView): string => {
  if (permanent === true) return 'permanent: sent to the DLQ at once';
  // `attempts` is the receive count of the last failed delivery: one try, then the retries.
  const retries = attempts === undefined ? undefined : Math.max(0, attempts - 1);
  return `transient: retried ${retries === undefined ? '' : `${plural(retries, 'time')} `}until the retry budget ran out`;
};
