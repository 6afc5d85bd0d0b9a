import { ChangeMessageVisibilityBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { beforeEach, describe, expect, it } from 'vitest';
import { dlqList } from '../../../lib/cli/dlq-list.ts';
import { ExitCode } from '../../../lib/cli/errors.ts';
import { dlqHandsOut, queueDepth, resetCliMocks, sqs } from '../../helpers/cli-mocks.ts';
import { NOW, OUTPUTS, deadLetter, fakeTarget, fakeTerminal } from './cli-fixtures.ts';

const depth = (url: string, visible: number, inFlight: number) => queueDepth(visible, inFlight, { QueueUrl: url });

describe('dlq list', () => {
  beforeEach(() => {
    resetCliMocks();
    depth(OUTPUTS.EmailQueueUrl, 0, 0);
    depth(OUTPUTS.EmailDlqUrl, 0, 0);
    depth(OUTPUTS.InventoryQueueUrl, 120, 7);
    depth(OUTPUTS.InventoryDlqUrl, 2, 0);
    dlqHandsOut(
      [
        deadLetter({ messageId: 'm-1', eventId: 'e-1', sentAt: NOW - 90_000 }),
        deadLetter({ messageId: 'm-2', eventId: 'e-2', sentAt: NOW - 3 * 3_600_000 - 60_000 }),
      ],
      OUTPUTS.InventoryDlqUrl,
    );
  });

  it('shows each consumer with aligned counts and the age of its oldest dead letter', async () => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    const code = await dlqList(fakeTarget(), terminal.io, { json: false });

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(terminal.stdout()).toBe(
      [
        'CONSUMER   QUEUED  IN FLIGHT  DEAD LETTERS  OLDEST DEAD LETTER',
        'email           0          0             0                   -',
        'inventory     120          7             2               3h 1m',
        '',
      ].join('\n'),
    );
  });

  it('releases the dead letters it sampled and leaves empty DLQs alone', async () => {
    // Act
    await dlqList(fakeTarget(), fakeTerminal().io, { json: false });

    // Assess
    const receives = sqs.commandCalls(ReceiveMessageCommand);
    expect(receives.map((call) => call.args[0].input.QueueUrl)).not.toContain(OUTPUTS.EmailDlqUrl);
    const releases = sqs.commandCalls(ChangeMessageVisibilityBatchCommand);
    expect(releases).toHaveLength(1);
    expect(releases[0]!.args[0].input).toEqual({
      QueueUrl: OUTPUTS.InventoryDlqUrl,
      Entries: [
        { Id: '0', ReceiptHandle: 'receipt-m-1', VisibilityTimeout: 0 },
        { Id: '1', ReceiptHandle: 'receipt-m-2', VisibilityTimeout: 0 },
      ],
    });
  });

  it('prints JSON for scripts', async () => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    await dlqList(fakeTarget(), terminal.io, { json: true });

    // Assess
    const json = JSON.parse(terminal.stdout());
    expect(json.consumers).toEqual([
      { consumer: 'email', queue: { visible: 0, inFlight: 0 }, dlq: { visible: 0, inFlight: 0 }, oldestDeadLetterAgeSeconds: null, oldestSampledFrom: 0 },
      { consumer: 'inventory', queue: { visible: 120, inFlight: 7 }, dlq: { visible: 2, inFlight: 0 }, oldestDeadLetterAgeSeconds: 3 * 3600 + 60, oldestSampledFrom: 2 },
    ]);
  });

  it('marks the age as a lower bound when the DLQ holds more than the sample', async () => {
    // Prepare
    depth(OUTPUTS.InventoryDlqUrl, 250, 0);
    const terminal = fakeTerminal();

    // Act
    await dlqList(fakeTarget(), terminal.io, { json: false });

    // Assess
    expect(terminal.stdout()).toContain('3h 1m*');
    expect(terminal.stdout()).toContain('* oldest of the 10 dead letters sampled; older ones may exist');
  });

  it('fails clearly when the outputs name no consumers', async () => {
    // Act / Assess
    await expect(dlqList(fakeTarget('aws', { ApiUrl: 'x' }), fakeTerminal().io, { json: false })).rejects.toThrow(
      /no consumers in the outputs of stack QueueflowSample/,
    );
  });
});
