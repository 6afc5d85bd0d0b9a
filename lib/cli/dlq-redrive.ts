/**
 * `queueflow dlq redrive <consumer>`: moves dead letters back to the consumer's queue.
 *
 * - On AWS, the whole DLQ is moved by SQS itself with a message move task, whose progress is
 *   polled until it ends.
 * - Locally (the emulator has no move task) and for selected events (`--event-id`, which a move
 *   task cannot do), the CLI moves each message itself: receive it from the DLQ, send a copy
 *   (body and attributes) to the source queue, and only then delete it from the DLQ. A crash
 *   between the two steps leaves the message in both queues, never in neither; the consumer's
 *   idempotency absorbs the duplicate.
 *
 * Either way it tells how many of the messages concern a data subject the consumer has erased
 * since (its tombstone is newer than the event): the consumer will skip their personal-data
 * effects. It counts every message it moves itself, and samples the DLQ as `peek` does before a
 * move task, which cannot be inspected. It only informs: such messages are moved all the same,
 * and the consumer's skip is the guarantee.
 */
import {
  DeleteMessageCommand,
  ListMessageMoveTasksCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import type { ListMessageMoveTasksResultEntry, SQSClient } from '@aws-sdk/client-sqs';
import { peekEnvelopeIdentity } from '../../lambdas/shared/envelope.ts';
import { OutputKeys } from '../constructs/output-keys.ts';
import { findConsumer } from './consumers.ts';
import type { Consumer } from './consumers.ts';
import {
  HOLD_SECONDS,
  deadLetterQueue,
  peekDeadLetters,
  queueArn,
  queueCounts,
  receiveDeadLetters,
  releaseDeadLetters,
} from './dead-letters.ts';
import type { DeadLetter, DeadLetterQueue } from './dead-letters.ts';
import { DEFAULT_PEEK_LIMIT } from './dlq-peek.ts';
import { CliError, ExitCode, RedriveIncompleteError } from './errors.ts';
import type { CliIo } from './io.ts';
import { createProgress } from './progress.ts';
import type { Progress } from './progress.ts';
import { getSubjectErasures } from './subject-erasures.ts';
import { plural, printable } from './table.ts';
import type { Target } from './target.ts';

/** SQS's own ceiling for MaxNumberOfMessagesPerSecond. */
export const MAX_RATE = 500;
/** Locally, without --rate: fast, but slow enough not to swamp the emulated consumer. */
export const DEFAULT_LOCAL_RATE = 50;
/** How long a selective redrive keeps the messages it skips hidden while it scans the DLQ. */
const SCAN_HOLD_SECONDS = 300;
const MOVE_TASK_POLL_MS = 2_000;
/** ListMessageMoveTasks is eventually consistent; a task still unlisted after this many polls is an error, not a wait. */
const MAX_UNLISTED_POLLS = 5;

export interface DlqRedriveOptions {
  readonly consumer: string;
  /** Messages per second; undefined lets SQS choose (AWS) or uses DEFAULT_LOCAL_RATE. */
  readonly rate?: number;
  /** Only these events; empty for the whole DLQ. */
  readonly eventIds: readonly string[];
  readonly yes: boolean;
  readonly json: boolean;
  /** Between ListMessageMoveTasks polls; tests shorten it. */
  readonly pollIntervalMs?: number;
}

export interface RedriveResult {
  readonly consumer: string;
  readonly method: 'message-move-task' | 'send-then-delete';
  readonly moved: number;
  readonly failed: number;
  /** Requested event ids not found in the DLQ (selective redrive only). */
  readonly notFound: readonly string[];
  readonly taskStatus?: string;
  readonly failureReason?: string;
  /** Messages concerning a data subject the consumer has erased since; null when the stack keeps no tombstones or they could not be read. */
  readonly erasedSubjects: ErasedSubjectsCount | null;
}

export interface ErasedSubjectsCount {
  /** Messages looked at: every one moved (send-then-delete), or those sampled before a message move task. */
  readonly checked: number;
  /** Of those, the ones whose data subject the consumer erased after the event: it will skip their personal-data effects. */
  readonly count: number;
  /** True when `checked` is a sample of a DLQ that held more: others may concern erased subjects too. */
  readonly sample: boolean;
}

export const dlqRedrive = async (target: Target, io: CliIo, options: DlqRedriveOptions): Promise<ExitCode> => {
  const consumer = findConsumer(target.outputs, options.consumer);
  const method = target.kind === 'aws' && options.eventIds.length === 0 ? 'message-move-task' : 'send-then-delete';
  const counts = await queueCounts(target.sqs, consumer.dlqUrl);
  // In-flight dead letters count too: someone's peek releases them in a moment.
  const depth = counts.visible + counts.inFlight;
  if (depth === 0) {
    io.stderr.write(`The ${consumer.name} DLQ is empty: nothing to redrive.\n`);
    const nothing: RedriveResult = { consumer: consumer.name, method, moved: 0, failed: 0, notFound: options.eventIds, erasedSubjects: null };
    // A bare "Moved 0" would only repeat the line above; scripts still get their JSON.
    return options.json || nothing.notFound.length > 0 ? report(io, options, nothing) : ExitCode.ok;
  }
  // A move task cannot be inspected: sample before asking, so the answer can take it into account.
  const sampled = method === 'message-move-task' ? await sampleErasedSubjects(target, consumer, depth, io) : null;
  const sampleNote = sampled === null ? undefined : erasedSubjectsNote(sampled);
  if (sampleNote !== undefined) io.stderr.write(`${sampleNote}\n`);
  const what = options.eventIds.length > 0 ? `${plural(options.eventIds.length, 'selected event')}` : `~${plural(depth, 'dead letter')}`;
  if (!options.yes && io.stdinIsTTY && !(await io.confirm(`Move ${what} from the ${consumer.name} DLQ back to its queue, where they will be processed again?`))) {
    io.stderr.write('Aborted: nothing moved.\n');
    return ExitCode.failed;
  }
  const progress = createProgress(io.stderr, 'moved', io.now);
  let result: RedriveResult;
  try {
    result =
      method === 'message-move-task'
        ? { ...(await moveTaskRedrive(target.sqs, consumer, options, io, progress)), erasedSubjects: sampled }
        : await sendThenDeleteRedrive(target, consumer, options, io, progress, depth);
  } finally {
    progress.finish();
  }
  return report(io, options, result);
};

const report = (io: CliIo, options: DlqRedriveOptions, result: RedriveResult): ExitCode => {
  if (options.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else io.stdout.write(`Moved ${plural(result.moved, 'message')} from the ${result.consumer} DLQ back to its queue; ${result.failed} failed.\n`);
  // A move task's sample was reported before it started.
  const note = result.method === 'send-then-delete' && result.erasedSubjects !== null ? erasedSubjectsNote(result.erasedSubjects) : undefined;
  if (note !== undefined) io.stderr.write(`${note}\n`);
  if (result.notFound.length > 0) io.stderr.write(`Not in the DLQ: ${result.notFound.map(printable).join(', ')}\n`);
  if (result.failed > 0 || result.notFound.length > 0 || (result.taskStatus !== undefined && result.taskStatus !== 'COMPLETED')) {
    throw new RedriveIncompleteError(
      result.taskStatus !== undefined && result.taskStatus !== 'COMPLETED'
        ? `the message move task ended ${result.taskStatus}${result.failureReason === undefined ? '' : `: ${result.failureReason}`}`
        : 'the redrive did not move every requested message; the rest are still in the DLQ',
    );
  }
  return ExitCode.ok;
};

/** `3 of these messages concern data subjects erased since; …`, or undefined when none does. */
const erasedSubjectsNote = ({ checked, count, sample }: ErasedSubjectsCount): string | undefined => {
  if (count === 0) return undefined;
  const concern = count === 1 ? 'concerns a data subject' : 'concern data subjects';
  return sample
    ? `${count} of ${checked} dead letters sampled ${concern} erased since, and others may too (a move task cannot be inspected); ` +
        'the consumer will skip the personal-data effect of each such message (recorded as skipped).'
    : `${count} of these messages ${concern} erased since; ` +
        `the consumer will skip ${count === 1 ? 'its personal-data effect' : 'their personal-data effects'} (recorded as skipped).`;
};

/**
 * Which of `letters` concern a data subject the consumer has erased since; undefined when the
 * stack keeps no tombstones, or they could not be read (noted: the CLI only informs, so this never
 * fails a redrive).
 */
const erasedAmong = async (target: Target, consumer: Consumer, letters: readonly DeadLetter[], io: CliIo): Promise<boolean[] | undefined> => {
  try {
    const erasures = await getSubjectErasures(target, consumer.name, letters.map((letter) => letter.body), io);
    return erasures?.map((erasure) => erasure !== null);
  } catch (error) {
    io.stderr.write(
      `Could not check the ${consumer.name} consumer's erasure tombstones (${(error as Error).message}); erased data subjects are not counted. ` +
        `The consumer still skips their personal-data effects.\n`,
    );
    return undefined;
  }
};

/** The dead letters `peek` would show, checked for erased subjects; null when not known. */
const sampleErasedSubjects = async (target: Target, consumer: Consumer, depth: number, io: CliIo): Promise<ErasedSubjectsCount | null> => {
  if (target.outputs[OutputKeys.TombstoneTableName] === undefined) return null;
  let letters: DeadLetter[];
  try {
    letters = await peekDeadLetters(deadLetterQueue(target, consumer), DEFAULT_PEEK_LIMIT);
  } catch (error) {
    io.stderr.write(`Could not sample the ${consumer.name} DLQ for erased data subjects (${(error as Error).message}); the consumer still skips their personal-data effects.\n`);
    return null;
  }
  const erased = await erasedAmong(target, consumer, letters, io);
  if (erased === undefined) return null;
  return { checked: letters.length, count: erased.filter(Boolean).length, sample: letters.length < depth };
};

const moveTaskRedrive = async (
  sqs: SQSClient,
  consumer: Consumer,
  options: DlqRedriveOptions,
  io: CliIo,
  progress: Progress,
): Promise<Omit<RedriveResult, 'erasedSubjects'>> => {
  const [sourceArn, destinationArn] = await Promise.all([queueArn(sqs, consumer.dlqUrl), queueArn(sqs, consumer.queueUrl)]);
  const { TaskHandle } = await sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: sourceArn,
      DestinationArn: destinationArn,
      ...(options.rate === undefined ? {} : { MaxNumberOfMessagesPerSecond: options.rate }),
    }),
  );
  io.stderr.write(
    `Started message move task ${TaskHandle ?? ''}. It runs in SQS: stopping this command does not stop it ` +
      `(aws sqs cancel-message-move-task --task-handle <handle> does).\n`,
  );
  let task: ListMessageMoveTasksResultEntry | undefined;
  let unlisted = 0;
  do {
    await io.sleep(options.pollIntervalMs ?? MOVE_TASK_POLL_MS);
    // Only one task can run per source queue, so the newest task listed is the one just started.
    const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
    task = Results[0];
    unlisted = task === undefined ? unlisted + 1 : 0;
    if (unlisted > MAX_UNLISTED_POLLS) {
      throw new CliError(`SQS lists no message move task for the ${consumer.name} DLQ after starting ${TaskHandle ?? 'one'}; check the SQS console`);
    }
    progress.update(task?.ApproximateNumberOfMessagesMoved ?? 0, task?.ApproximateNumberOfMessagesToMove ?? 0);
  } while (task === undefined || task.Status === 'RUNNING' || task.Status === 'CANCELLING');
  const moved = task.ApproximateNumberOfMessagesMoved ?? 0;
  const toMove = task.ApproximateNumberOfMessagesToMove ?? moved;
  return {
    consumer: consumer.name,
    method: 'message-move-task',
    moved,
    failed: task.Status === 'COMPLETED' ? 0 : Math.max(0, toMove - moved),
    notFound: [],
    taskStatus: task.Status ?? 'UNKNOWN',
    ...(task.FailureReason === undefined ? {} : { failureReason: task.FailureReason }),
  };
};

/** Spaces message starts 1/rate seconds apart. */
const pacer = (rate: number, io: CliIo): (() => Promise<void>) => {
  const startedAt = io.now();
  let started = 0;
  return async () => {
    const wait = startedAt + (started * 1000) / rate - io.now();
    started += 1;
    if (wait > 0) await io.sleep(wait);
  };
};

const sendThenDeleteRedrive = async (
  target: Target,
  consumer: Consumer,
  options: DlqRedriveOptions,
  io: CliIo,
  progress: Progress,
  depthAtStart: number,
): Promise<RedriveResult> => {
  const dlq = deadLetterQueue(target, consumer);
  const rate = options.rate ?? DEFAULT_LOCAL_RATE;
  const wanted = new Set(options.eventIds);
  const selective = wanted.size > 0;
  const found = new Set<string>();
  const skipped: DeadLetter[] = [];
  const pace = pacer(rate, io);
  // Bounded by the depth at the start: a message that fails again and returns to the DLQ while
  // the redrive runs is not moved a second time.
  const total = selective ? wanted.size : depthAtStart;
  let moved = 0;
  let failed = 0;
  let scanned = 0;
  // Counted over every message moved; not at all when the stack keeps no tombstones or a lookup fails.
  let countingErased = target.outputs[OutputKeys.TombstoneTableName] !== undefined;
  let erasedCount = 0;
  try {
    while (selective ? found.size < wanted.size && scanned < depthAtStart : moved + failed < total) {
      // A batch is received only as fast as it can be sent, so its hold outlasts its turn.
      const batchSize = selective ? 10 : Math.min(10, Math.ceil(rate), total - moved - failed);
      const hold = selective ? SCAN_HOLD_SECONDS : HOLD_SECONDS + Math.ceil(batchSize / rate);
      const batch = await receiveDeadLetters(dlq, batchSize, hold);
      if (batch.length === 0) break;
      scanned += batch.length;
      const chosen: DeadLetter[] = [];
      for (const letter of batch) {
        const eventId = peekEnvelopeIdentity(letter.body).eventId;
        if (selective && (eventId === undefined || !wanted.has(eventId))) {
          skipped.push(letter);
          continue;
        }
        if (eventId !== undefined) found.add(eventId);
        chosen.push(letter);
      }
      // One lookup per batch, before its messages move (the batch's hold covers it).
      const erased = countingErased && chosen.length > 0 ? await erasedAmong(target, consumer, chosen, io) : [];
      if (erased === undefined) countingErased = false;
      // A FIFO DLQ: once a letter of a group fails to move, its group's later letters stay too, so
      // the group is never redriven out of order.
      const stuckGroups = new Set<string>();
      for (const [index, letter] of chosen.entries()) {
        if (letter.groupId !== undefined && stuckGroups.has(letter.groupId)) {
          await releaseDeadLetters(dlq, [letter]).catch(() => undefined);
          failed += 1;
          progress.update(moved + failed, total, failed);
          continue;
        }
        await pace();
        if (await moveOne(dlq, consumer, letter, io)) {
          moved += 1;
          if (erased?.[index] === true) erasedCount += 1;
        } else {
          failed += 1;
          if (letter.groupId !== undefined) stuckGroups.add(letter.groupId);
        }
        progress.update(moved + failed, total, failed);
      }
    }
  } finally {
    await releaseDeadLetters(dlq, skipped);
  }
  return {
    consumer: consumer.name,
    method: 'send-then-delete',
    moved,
    failed,
    notFound: [...wanted].filter((eventId) => !found.has(eventId)),
    erasedSubjects: countingErased ? { checked: moved, count: erasedCount, sample: false } : null,
  };
};

/**
 * The FIFO parameters of a letter sent back to its (FIFO) queue: its own message group, and a
 * deduplication id of its own. Not the original one: within SQS's 5-minute window the queue would
 * take the copy for the original and drop it, and the delete that follows would lose the message.
 * The DLQ message id makes a send repeated after a crash (before the delete) a duplicate, dropped.
 */
const fifoParametersOf = (letter: DeadLetter) =>
  letter.groupId === undefined ? {} : { MessageGroupId: letter.groupId, MessageDeduplicationId: `redrive-${letter.messageId}` };

/** Send first, delete second: true when the message is in the source queue and gone from the DLQ. */
const moveOne = async (dlq: DeadLetterQueue, consumer: Consumer, letter: DeadLetter, io: CliIo): Promise<boolean> => {
  try {
    await dlq.sqs.send(
      new SendMessageCommand({
        QueueUrl: consumer.queueUrl,
        MessageBody: letter.body,
        ...(letter.messageAttributes === undefined ? {} : { MessageAttributes: letter.messageAttributes }),
        ...fifoParametersOf(letter),
      }),
    );
  } catch (error) {
    io.stderr.write(`Could not send message ${letter.messageId} to the ${consumer.name} queue (${(error as Error).message}); it stays in the DLQ.\n`);
    await releaseDeadLetters(dlq, [letter]).catch(() => undefined);
    return false;
  }
  try {
    await dlq.sqs.send(new DeleteMessageCommand({ QueueUrl: dlq.url, ReceiptHandle: letter.receiptHandle }));
  } catch (error) {
    io.stderr.write(
      `Message ${letter.messageId} was sent to the ${consumer.name} queue but could not be deleted from the DLQ (${(error as Error).message}); ` +
        `it is now in both, and the consumer's idempotency will absorb the duplicate.\n`,
    );
    return false;
  }
  return true;
};
