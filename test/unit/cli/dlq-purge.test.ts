import { GetQueueAttributesCommand, PurgeQueueCommand, PurgeQueueInProgress, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { dlqPurge } from '../../../lib/cli/dlq-purge.ts';
import { CliError, ExitCode, UsageError } from '../../../lib/cli/errors.ts';
import { OUTPUTS, fakeTarget, fakeTerminal } from './cli-fixtures.ts';

const sqs = mockClient(SQSClient);

describe('dlq purge', () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '4', ApproximateNumberOfMessagesNotVisible: '1' } });
    sqs.on(PurgeQueueCommand).resolves({});
  });

  it('refuses without --yes when there is no terminal to confirm on', async () => {
    // Act
    const purging = dlqPurge(fakeTarget(), fakeTerminal({ tty: false }).io, { consumer: 'inventory', yes: false });

    // Assess
    await expect(purging).rejects.toBeInstanceOf(UsageError);
    await expect(purging).rejects.toThrow('refusing to purge ~5 dead letters from the inventory DLQ without --yes');
    expect(sqs.commandCalls(PurgeQueueCommand)).toHaveLength(0);
  });

  it('asks on a terminal and purges nothing unless the answer is yes', async () => {
    // Prepare
    const terminal = fakeTerminal({ tty: true, answers: [false] });

    // Act
    const code = await dlqPurge(fakeTarget(), terminal.io, { consumer: 'inventory', yes: false });

    // Assess
    expect(code).toBe(ExitCode.failed);
    expect(terminal.questions).toEqual([`Permanently delete all ~5 messages in the inventory DLQ (${OUTPUTS.InventoryDlqUrl})?`]);
    expect(terminal.stderr()).toBe('Aborted: nothing purged.\n');
    expect(sqs.commandCalls(PurgeQueueCommand)).toHaveLength(0);
  });

  it('purges the DLQ, and only the DLQ, after a yes', async () => {
    // Prepare
    const terminal = fakeTerminal({ tty: true, answers: [true] });

    // Act
    const code = await dlqPurge(fakeTarget(), terminal.io, { consumer: 'inventory', yes: false });

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(sqs.commandCalls(PurgeQueueCommand).map((call) => call.args[0].input)).toEqual([{ QueueUrl: OUTPUTS.InventoryDlqUrl }]);
    expect(terminal.stdout()).toContain('Purged the inventory DLQ (~5 messages)');
  });

  it('purges without asking with --yes', async () => {
    // Prepare
    const terminal = fakeTerminal({ tty: true });

    // Act
    await dlqPurge(fakeTarget(), terminal.io, { consumer: 'inventory', yes: true });

    // Assess
    expect(terminal.questions).toEqual([]);
    expect(sqs.commandCalls(PurgeQueueCommand)).toHaveLength(1);
  });

  it('does nothing and succeeds when the DLQ is already empty', async () => {
    // Prepare
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' } });
    const terminal = fakeTerminal();

    // Act
    const code = await dlqPurge(fakeTarget(), terminal.io, { consumer: 'inventory', yes: false });

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(terminal.stderr()).toBe('The inventory DLQ is already empty: nothing purged.\n');
    expect(sqs.commandCalls(PurgeQueueCommand)).toHaveLength(0);
  });

  it('explains the one-purge-per-minute limit', async () => {
    // Prepare
    sqs.on(PurgeQueueCommand).rejects(new PurgeQueueInProgress({ message: 'Only one PurgeQueue operation is allowed every 60 seconds.', $metadata: {} }));

    // Act
    const purging = dlqPurge(fakeTarget(), fakeTerminal().io, { consumer: 'inventory', yes: true });

    // Assess
    await expect(purging).rejects.toBeInstanceOf(CliError);
    await expect(purging).rejects.toThrow('SQS allows one purge per minute');
  });
});
