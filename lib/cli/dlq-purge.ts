/**
 * `queueflow dlq purge <consumer>`: deletes every message in one consumer's DLQ. The only
 * destructive command, so it asks first on a terminal and, without a terminal to ask on,
 * refuses unless `--yes` says the caller means it.
 */
import { PurgeQueueCommand, PurgeQueueInProgress } from '@aws-sdk/client-sqs';
import { findConsumer } from './consumers.ts';
import { queueCounts } from './dead-letters.ts';
import { CliError, ExitCode, UsageError } from './errors.ts';
import type { CliIo } from './io.ts';
import { plural } from './table.ts';
import type { Target } from './target.ts';

export interface DlqPurgeOptions {
  readonly consumer: string;
  readonly yes: boolean;
}

export const dlqPurge = async (target: Target, io: CliIo, options: DlqPurgeOptions): Promise<ExitCode> => {
  const consumer = findConsumer(target.outputs, options.consumer);
  const { visible, inFlight } = await queueCounts(target.sqs, consumer.dlqUrl);
  const count = visible + inFlight;
  if (count === 0) {
    io.stderr.write(`The ${consumer.name} DLQ is already empty: nothing purged.\n`);
    return ExitCode.ok;
  }
  if (!options.yes) {
    if (!io.stdinIsTTY) {
      throw new UsageError(`refusing to purge ~${plural(count, 'dead letter')} from the ${consumer.name} DLQ without --yes (stdin is not a terminal to confirm on)`);
    }
    if (!(await io.confirm(`Permanently delete all ~${plural(count, 'message')} in the ${consumer.name} DLQ (${consumer.dlqUrl})?`))) {
      io.stderr.write('Aborted: nothing purged.\n');
      return ExitCode.failed;
    }
  }
  try {
    await target.sqs.send(new PurgeQueueCommand({ QueueUrl: consumer.dlqUrl }));
  } catch (error) {
    if (error instanceof PurgeQueueInProgress) {
      throw new CliError(`the ${consumer.name} DLQ was purged less than 60 seconds ago; SQS allows one purge per minute, try again shortly`, { cause: error });
    }
    throw error;
  }
  io.stdout.write(`Purged the ${consumer.name} DLQ (~${plural(count, 'message')}). SQS may take up to 60 seconds to finish deleting them.\n`);
  return ExitCode.ok;
};
