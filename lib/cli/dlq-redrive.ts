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
 */
import {
  DeleteMessageCommand,
  ListMessageMoveTasksCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import type { ListMessageMoveTasksResultEntry, SQSClient } from '@aws-sdk/client-sqs';
import { peekEnvelopeIdentity } from '#shared/envelope';
import { findConsumer } from './consumers.ts';
import type { Consumer } from './consumers.ts';
import { HOLD_SECONDS, deadLetterQueue, queueArn, queueCounts, receiveDeadLetters, releaseDeadLetters } from './dead-letters.ts';
import type { DeadLetter, DeadLetterQueue } from './dead-letters.ts';
import { CliError, ExitCode, RedriveIncompleteError } from './errors.ts';
import type { CliIo } from './io.ts';
import { createProgress } from './progress.ts';
import type { Progress } from './progress.ts';
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
}

export const dlqRedrive = async (target: Target, io: CliIo, options: DlqRedriveOptions): Promise<ExitCode> => {
  const consumer = findConsumer(target.outputs, options.consumer);
  const method = target.kind === 'aws' && options.eventIds.length === 0 ? 'message-move-task' : 'send-then-delete';
  const counts = await queueCounts(target.sqs, consumer.dlqUrl);
  // In-flight dead letters count too: someone's peek releases them in a moment.
  const depth = counts.visible + counts.inFlight;
  if (depth === 0) {
    io.stderr.write(`The ${consumer.name} DLQ is empty: nothing to redrive.\n`);
    const nothing: RedriveResult = { consumer: consumer.name, method, moved: 0, failed: 0, notFound: options.eventIds };
    // A bare "Moved 0" would only repeat the line above; scripts still get their JSON.
    return options.json || nothing.notFound.length > 0 ? report(io, options, nothing) : ExitCode.ok;
  }
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
        ? await moveTaskRedrive(target.sqs, consumer, options, io, progress)
        : await sendThenDeleteRedrive(target, consumer, options, io, progress, depth);
  } finally {
    progress.finish();
  }
  return report(io, options, result);
};

const report = (io: CliIo, options: DlqRedriveOptions, result: RedriveResult): ExitCode => {
  if (options.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else io.stdout.write(`Moved ${plural(result.moved, 'message')} from the ${result.consumer} DLQ back to its queue; ${result.failed} failed.\n`);
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

const moveTaskRedrive = async (
  sqs: SQSClient,
  consumer: Consumer,
  options: DlqRedriveOptions,
  io: CliIo,
  progress: Progress,
): Promise<RedriveResult> => {
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
  try {
    while (selective ? found.size < wanted.size && scanned < depthAtStart : moved + failed < total) {
      // A batch is received only as fast as it can be sent, so its hold outlasts its turn.
      const batchSize = selective ? 10 : Math.min(10, Math.ceil(rate), total - moved - failed);
      const hold = selective ? SCAN_HOLD_SECONDS : HOLD_SECONDS + Math.ceil(batchSize / rate);
      const batch = await receiveDeadLetters(dlq, batchSize, hold);
      if (batch.length === 0) break;
      scanned += batch.length;
      for (const letter of batch) {
        const eventId = peekEnvelopeIdentity(letter.body).eventId;
        if (selective && (eventId === undefined || !wanted.has(eventId))) {
          skipped.push(letter);
          continue;
        }
        if (eventId !== undefined) found.add(eventId);
        await pace();
        if (await moveOne(dlq, consumer, letter, io)) moved += 1;
        else failed += 1;
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
  };
};

/** Send first, delete second: true when the message is in the source queue and gone from the DLQ. */
const moveOne = async (dlq: DeadLetterQueue, consumer: Consumer, letter: DeadLetter, io: CliIo): Promise<boolean> => {
  try {
    await dlq.sqs.send(
      new SendMessageCommand({
        QueueUrl: consumer.queueUrl,
        MessageBody: letter.body,
        ...(letter.messageAttributes === undefined ? {} : { MessageAttributes: letter.messageAttributes }),
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
