/**
 * Fixtures for the CLI's unit tests: a scripted terminal and clock, a target whose SDK clients
 * are mocked with aws-sdk-client-mock, and dead-letter messages as SQS returns them.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Message } from '@aws-sdk/client-sqs';
import type { BatchGetCommandInput, BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { CliIo } from '../../../lib/cli/io.ts';
import type { Target } from '../../../lib/cli/target.ts';

export const NOW = Date.parse('2026-11-22T10:00:00.000Z');
const ACCOUNT = 'https://sqs.eu-west-1.amazonaws.com/123456789012';

export const OUTPUTS = {
  ApiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod/',
  EmailQueueUrl: `${ACCOUNT}/email-queue`,
  EmailDlqUrl: `${ACCOUNT}/email-dlq`,
  InventoryQueueUrl: `${ACCOUNT}/inventory-queue`,
  InventoryDlqUrl: `${ACCOUNT}/inventory-dlq`,
  InventoryFunctionName: 'QueueflowSample-Inventory',
  FailureTableName: 'QueueflowSample-Failures',
} as const;

/** The outputs of a stack with an erasure event type, whose consumers may keep tombstones. */
export const OUTPUTS_WITH_TOMBSTONES = { ...OUTPUTS, TombstoneTableName: 'QueueflowSample-Tombstones' } as const;

export const arnOf = (url: string): string => `arn:aws:sqs:eu-west-1:123456789012:${url.split('/').pop()}`;

export interface FakeTerminal {
  readonly io: CliIo;
  stdout(): string;
  stderr(): string;
  /** Questions asked through `confirm`, in order. */
  readonly questions: string[];
  /** The fake clock, advanced by `io.sleep`. */
  elapsedMs(): number;
}

export const fakeTerminal = ({ tty = false, answers = [] as boolean[] } = {}): FakeTerminal => {
  let clock = NOW;
  const out: string[] = [];
  const err: string[] = [];
  const questions: string[] = [];
  const pending = [...answers];
  return {
    io: {
      stdout: { write: (text: string) => out.push(text), isTTY: tty },
      stderr: { write: (text: string) => err.push(text), isTTY: tty },
      stdinIsTTY: tty,
      confirm: async (question) => {
        questions.push(question);
        return pending.shift() ?? false;
      },
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
    questions,
    elapsedMs: () => clock - NOW,
  };
};

const testClientConfig = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };

export const fakeTarget = (kind: Target['kind'] = 'aws', outputs: Record<string, string> = OUTPUTS): Target => ({
  kind,
  description: kind === 'aws' ? 'stack QueueflowSample (eu-west-1)' : 'local runtime at http://127.0.0.1:4566',
  outputs,
  sqs: new SQSClient(testClientConfig),
  dynamodb: new DynamoDBClient(testClientConfig),
});

export interface DeadLetterFixture {
  readonly messageId: string;
  readonly eventId?: string;
  readonly receiveCount?: number;
  readonly sentAt?: number;
  /** The envelope's `time`; defaults to `sentAt`. */
  readonly time?: number;
  readonly eventType?: string;
  /** The envelope's `datasubject` (personal data: never to be printed). */
  readonly subject?: string;
  /** Overrides the envelope body entirely. */
  readonly body?: string;
}

/** A dead letter carrying an order envelope whose payload holds personal data. */
export const deadLetter = ({
  messageId,
  eventId,
  receiveCount = 6,
  sentAt = NOW - 3_600_000,
  time = sentAt,
  eventType = 'order.placed',
  subject,
  body,
}: DeadLetterFixture): Message => ({
  MessageId: messageId,
  ReceiptHandle: `receipt-${messageId}`,
  Body:
    body ??
    JSON.stringify({
      specversion: '1.0',
      id: eventId,
      source: 'queueflow/orders',
      type: eventType,
      time: new Date(time).toISOString(),
      datacontenttype: 'application/json',
      correlationid: `corr-${eventId}`,
      datasubject: subject,
      data: { orderId: 'o-1', customer: { email: 'secret.person@example.com' }, items: [{ sku: 'NOPE-1', quantity: 1 }] },
    }),
  Attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: String(sentAt) },
  MessageAttributes: {
    eventType: { DataType: 'String', StringValue: eventType },
    correlationId: { DataType: 'String', StringValue: `corr-${eventId}` },
  },
});

/**
 * A BatchGetItem (document client) answered from `tables` (table name → items with `pk`), as
 * DynamoDB does: only the items asked for, under their table; for `.callsFake(...)`.
 */
export const batchGetFrom =
  (tables: Readonly<Record<string, readonly Record<string, unknown>[]>>) =>
  (input: BatchGetCommandInput): BatchGetCommandOutput => ({
    $metadata: {},
    Responses: Object.fromEntries(
      Object.entries(input.RequestItems ?? {}).map(([table, { Keys = [] }]) => [
        table,
        (tables[table] ?? []).filter((item) => Keys.some((key) => key.pk === item.pk)),
      ]),
    ),
  });

/** The SDK command names of the calls a mock received, in order. */
export const commandNames = (calls: readonly { args: readonly unknown[] }[]): string[] =>
  calls.map((call) => (call.args[0] as object).constructor.name);
