/**
 * `queueflow dlq list`: per consumer, its queue depth, in-flight count, dead letters and the age
 * of the oldest dead letter.
 *
 * SQS has no attribute for the oldest message's age (CloudWatch's ApproximateAgeOfOldestMessage
 * is a metric with minutes of lag, and the local runtime has none), so it is measured from the
 * SentTimestamp of a sample of the DLQ's messages, received and released at once. The age
 * counts from when the message was first sent to the source queue, as SQS keeps that timestamp
 * on the move to the DLQ; it is also what the DLQ's retention period counts from.
 */
import { consumersFromOutputs } from './consumers.ts';
import type { Consumer } from './consumers.ts';
import { deadLetterQueue, peekDeadLetters, queueCounts } from './dead-letters.ts';
import type { QueueCounts } from './dead-letters.ts';
import { CliError, ExitCode } from './errors.ts';
import type { CliIo } from './io.ts';
import { formatDuration, renderTable } from './table.ts';
import type { Target } from './target.ts';

/** One receive call's worth: enough for the common case, and touches few messages. */
export const OLDEST_SAMPLE_SIZE = 10;

export interface DlqListOptions {
  readonly json: boolean;
}

export interface ConsumerStatus {
  readonly consumer: string;
  readonly queue: QueueCounts;
  readonly dlq: QueueCounts;
  /** Age of the oldest dead letter in the sample, or null when there are none to sample. */
  readonly oldestDeadLetterAgeSeconds: number | null;
  /** How many dead letters the age was measured over (less than the DLQ depth on a large DLQ). */
  readonly oldestSampledFrom: number;
}

const statusOf = async (target: Target, consumer: Consumer, now: () => number): Promise<ConsumerStatus> => {
  const [queue, dlq] = await Promise.all([queueCounts(target.sqs, consumer.queueUrl), queueCounts(target.sqs, consumer.dlqUrl)]);
  const sample = dlq.visible + dlq.inFlight > 0 ? await peekDeadLetters(deadLetterQueue(target, consumer), OLDEST_SAMPLE_SIZE) : [];
  const sent = sample.flatMap((letter) => (letter.sentAt === undefined ? [] : [letter.sentAt.getTime()]));
  return {
    consumer: consumer.name,
    queue,
    dlq,
    oldestDeadLetterAgeSeconds: sent.length === 0 ? null : Math.max(0, Math.round((now() - Math.min(...sent)) / 1000)),
    oldestSampledFrom: sent.length,
  };
};

/** The age comes from fewer dead letters than the DLQ holds. */
const isSampled = (status: ConsumerStatus): boolean => status.oldestSampledFrom < status.dlq.visible + status.dlq.inFlight;

export const dlqList = async (target: Target, io: CliIo, options: DlqListOptions): Promise<ExitCode> => {
  const consumers = consumersFromOutputs(target.outputs);
  if (consumers.length === 0) {
    throw new CliError(`no consumers in the outputs of ${target.description} (expected <Name>QueueUrl and <Name>DlqUrl)`);
  }
  const statuses = await Promise.all(consumers.map((consumer) => statusOf(target, consumer, io.now)));
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ target: target.description, consumers: statuses }, null, 2)}\n`);
    return ExitCode.ok;
  }
  const sampled = statuses.some(isSampled);
  io.stdout.write(
    renderTable(
      [
        { header: 'CONSUMER' },
        { header: 'QUEUED', align: 'right' },
        { header: 'IN FLIGHT', align: 'right' },
        { header: 'DEAD LETTERS', align: 'right' },
        { header: 'OLDEST DEAD LETTER', align: 'right' },
      ],
      statuses.map((status) => [
        status.consumer,
        String(status.queue.visible),
        String(status.queue.inFlight),
        String(status.dlq.visible + status.dlq.inFlight),
        status.oldestDeadLetterAgeSeconds === null
          ? '-'
          : `${formatDuration(status.oldestDeadLetterAgeSeconds)}${isSampled(status) ? '*' : ''}`,
      ]),
    ),
  );
  if (sampled) io.stdout.write(`* oldest of the ${OLDEST_SAMPLE_SIZE} dead letters sampled; older ones may exist\n`);
  const total = statuses.reduce((sum, status) => sum + status.dlq.visible + status.dlq.inFlight, 0);
  io.stderr.write(
    total === 0
      ? `No dead letters in ${target.description}.\n`
      : `Sampling the oldest dead letter counts as a receive of each sampled message. Next: queueflow dlq peek <consumer>\n`,
  );
  return ExitCode.ok;
};
