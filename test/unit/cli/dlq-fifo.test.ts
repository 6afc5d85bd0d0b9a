import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { dlqPeek } from '../../../lib/cli/dlq-peek.ts';
import { dlqRedrive } from '../../../lib/cli/dlq-redrive.ts';
import { ExitCode, RedriveIncompleteError } from '../../../lib/cli/errors.ts';
import { OUTPUTS, deadLetter, fakeTarget, fakeTerminal } from './cli-fixtures.ts';

// An ordered consumer's DLQ is FIFO: its letters carry their message group, and SQS returns a
// group's letters in the group's order.
const sqs = mockClient(SQSClient);
const documents = mockClient(DynamoDBDocumentClient);

const fifoLetter = (messageId: string, group: string): Message => {
  const letter = deadLetter({ messageId, eventId: `e-${messageId}` });
  return { ...letter, Attributes: { ...letter.Attributes, MessageGroupId: group } };
};

beforeEach(() => {
  sqs.reset();
  documents.reset();
  sqs
    .on(GetQueueAttributesCommand, { QueueUrl: OUTPUTS.InventoryDlqUrl })
    .resolves({ Attributes: { ApproximateNumberOfMessages: '3', ApproximateNumberOfMessagesNotVisible: '0' } });
  sqs
    .on(ReceiveMessageCommand)
    .resolvesOnce({ Messages: [fifoLetter('a1', 'acc-1'), fifoLetter('a2', 'acc-1'), fifoLetter('b1', 'acc-2')] })
    .resolves({});
  sqs.on(DeleteMessageCommand).resolves({});
  sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe('dlq redrive of a FIFO DLQ (send, then delete)', () => {
  it('sends each letter back to its message group, in the order received, under a deduplication id of its own', async () => {
    // Prepare
    sqs.on(SendMessageCommand).resolves({ MessageId: 'new' });

    // Act
    const code = await dlqRedrive(fakeTarget('local'), fakeTerminal().io, { consumer: 'inventory', eventIds: [], yes: true, json: false });

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(sqs.commandCalls(SendMessageCommand).map((call) => [call.args[0].input.MessageGroupId, call.args[0].input.MessageDeduplicationId])).toEqual([
      ['acc-1', 'redrive-a1'],
      ['acc-1', 'redrive-a2'],
      ['acc-2', 'redrive-b1'],
    ]);
    expect(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.QueueUrl).toBe(OUTPUTS.InventoryQueueUrl);
  });

  it("keeps a group's later letters in the DLQ when one of its letters cannot be sent, and moves the other groups", async () => {
    // Prepare: the first letter of acc-1 cannot be sent
    sqs.on(SendMessageCommand, { MessageDeduplicationId: 'redrive-a1' }).rejects(new Error('throttled'));
    sqs.on(SendMessageCommand, { MessageDeduplicationId: 'redrive-b1' }).resolves({ MessageId: 'new' });
    const terminal = fakeTerminal();

    // Act
    const run = dlqRedrive(fakeTarget('local'), terminal.io, { consumer: 'inventory', eventIds: [], yes: true, json: false });

    // Assess: a2 is never sent before a1; b1 moves; the command says not everything moved
    await expect(run).rejects.toBeInstanceOf(RedriveIncompleteError);
    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input.MessageDeduplicationId)).toEqual(['redrive-a1', 'redrive-b1']);
    expect(sqs.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input.ReceiptHandle)).toEqual(['receipt-b1']);
    const released = sqs.commandCalls(ChangeMessageVisibilityBatchCommand).flatMap((call) => call.args[0].input.Entries!.map((entry) => entry.ReceiptHandle));
    expect(released).toEqual(expect.arrayContaining(['receipt-a1', 'receipt-a2']));
  });
});

describe('dlq peek of a FIFO DLQ', () => {
  it("shows each letter's message group, in the DLQ's order", async () => {
    // Prepare
    const terminal = fakeTerminal();

    // Act
    await dlqPeek(fakeTarget('local', { ...OUTPUTS, FailureTableName: undefined as never }), terminal.io, { consumer: 'inventory', limit: 10, json: true });

    // Assess
    const shown = JSON.parse(terminal.stdout()).deadLetters as { messageId: string; messageGroupId?: string }[];
    expect(shown.map((letter) => [letter.messageId, letter.messageGroupId])).toEqual([
      ['a1', 'acc-1'],
      ['a2', 'acc-1'],
      ['b1', 'acc-2'],
    ]);
  });
});
