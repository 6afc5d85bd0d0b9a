import { readFileSync } from 'node:fs';
import { styleText } from 'node:util';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  CONSUMER_MESSAGES,
  envelopeOf,
  formatInvocation,
  formatLogLine,
  functionLabel,
  InvocationPrinter,
  isErrorLine,
  type InvocationFacts,
  type LogLine,
  type Style,
} from '../../../lib/local/invocation-log.ts';
import type { InvokeResult } from '../../../lib/local/lambda-host.ts';
import type { LocalFunction } from '../../../lib/local/model.ts';

const endedAt = new Date(2026, 0, 2, 9, 5, 7, 42);
const colour: Style = (format, text) => styleText(format, text, { validateStream: false });
const ESC = '\u001b[';

const envelope = (type: string, id: string) => JSON.stringify({ specversion: '1.0', id, type, source: 'shop', time: '2026-01-02T09:05:07Z', correlationid: 'c-1', data: {} });
const record = (messageId: string, body: string): SQSRecord => ({ messageId, body, receiptHandle: 'r', attributes: { ApproximateReceiveCount: '1' } }) as unknown as SQSRecord;
const sqsEvent = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
const ok = (result: unknown, durationMs = 18.4): InvokeResult => ({ ok: true, result, requestId: 'req-1', durationMs });
const powertools = (level: string, message: string, fields: Record<string, unknown> = {}): LogLine => ({
  stream: 'stdout',
  text: JSON.stringify({ level, message, timestamp: '2026-01-02T09:05:07.050Z', service: 'queueflow-email', cold_start: false, function_name: 'Stack-Email', function_request_id: 'req-1', xray_trace_id: 'x', ...fields }),
});
const facts = (overrides: Partial<InvocationFacts>): InvocationFacts => ({ endedAt, label: 'email', source: 'sqs', event: sqsEvent(), result: ok(null), lines: [], ...overrides });

describe('formatInvocation', () => {
  it('prints one line with time, function, event type and id, outcome and duration', () => {
    // Prepare
    const event = sqsEvent(record('m-1', envelope('order.placed', 'evt-1')));

    // Act
    const lines = formatInvocation(facts({ event, lines: [powertools('INFO', 'Record processed', { messageId: 'm-1', attempt: 1 })] }), { labelWidth: 9 });

    // Assess: the INFO line is for --verbose only.
    expect(lines).toEqual(['09:05:07.042 email     order.placed evt-1  ok  18 ms']);
  });

  it('prints one line per record of a batch, each with its own outcome and the batch duration', () => {
    // Prepare
    const event = sqsEvent(record('m-1', envelope('order.placed', 'evt-1')), record('m-2', envelope('order.placed', 'evt-2')), record('m-3', envelope('user.erased', 'evt-3')));
    const logs = [
      powertools('ERROR', 'Record failed', { messageId: 'm-2', eventId: 'evt-2', attempt: 1, error: { name: 'SmsGatewayError', message: 'busy', location: 'sms.ts:12' } }),
      powertools('INFO', CONSUMER_MESSAGES.retry, { messageId: 'm-2', delaySeconds: 4, attemptsLeft: 2 }),
      powertools('INFO', CONSUMER_MESSAGES.skipped, { messageId: 'm-3' }),
    ];

    // Act
    const lines = formatInvocation(facts({ event, result: ok({ batchItemFailures: [{ itemIdentifier: 'm-2' }] }), lines: logs }));

    // Assess
    expect(lines).toEqual([
      '09:05:07.042 email order.placed evt-1  ok  18 ms (batch of 3)',
      '09:05:07.042 email order.placed evt-2  retry in 4 s (2 left)  18 ms (batch of 3)',
      '09:05:07.042 email user.erased evt-3  skipped  18 ms (batch of 3)',
      '             ERROR Record failed eventId=evt-2 attempt=1 error=SmsGatewayError: busy (sms.ts:12)',
    ]);
  });

  it.each([
    ['a failed record with no receives left', { batchItemFailures: [{ itemIdentifier: 'm-1' }] }, [powertools('INFO', CONSUMER_MESSAGES.retry, { messageId: 'm-1', delaySeconds: 8, attemptsLeft: 0 })], 'dead-lettered in 8 s (no receives left)'],
    ['a record the consumer sent to the DLQ', { batchItemFailures: [] }, [powertools('ERROR', CONSUMER_MESSAGES.deadLettered, { messageId: 'm-1' })], 'dead-lettered'],
    ['a failed record without the consumer retry line', { batchItemFailures: [{ itemIdentifier: 'm-1' }] }, [], 'retry'],
    ['a malformed partial batch response', { batchItemFailures: [{ itemIdentifier: 'unknown' }] }, [], 'error'],
  ] as const)('says what became of %s', (_case, response, logs, expected) => {
    // Act
    const [line] = formatInvocation(facts({ event: sqsEvent(record('m-1', envelope('order.placed', 'evt-1'))), result: ok(response), lines: logs }));

    // Assess
    expect(line).toBe(`09:05:07.042 email order.placed evt-1  ${expected}  18 ms`);
  });

  it('prints a failed invocation as error, with the error under it whatever the flags', () => {
    // Prepare
    const result: InvokeResult = { ok: false, errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 3.00 seconds', timedOut: true, requestId: 'req-1', durationMs: 3002 };
    const lines: LogLine[] = [
      { stream: 'host', text: 'ERROR RequestId: req-1 Sandbox.Timedout: Task timed out after 3.00 seconds' },
      { stream: 'host', text: 'REPORT RequestId: req-1\tDuration: 3002.00 ms\tMemory Size: 256 MB' },
    ];

    // Act
    const output = formatInvocation(facts({ event: sqsEvent(record('m-1', envelope('order.placed', 'evt-1'))), result, lines }), { quiet: true });

    // Assess
    expect(output).toEqual(['09:05:07.042 email order.placed evt-1  error  3002 ms', '             Sandbox.Timedout: Task timed out after 3.00 seconds']);
  });

  it('prints an API invocation as method, path and status, with the event it published', () => {
    // Prepare
    const event = { httpMethod: 'POST', path: '/orders', resource: '/orders' };
    const lines = [powertools('INFO', 'Event published', { eventId: 'evt-9', eventType: 'order.placed' })];

    // Act
    const output = formatInvocation(facts({ label: 'producer', source: 'api', event, result: ok({ statusCode: 202, body: '{}' }, 41), lines }));

    // Assess
    expect(output).toEqual(['09:05:07.042 producer POST /orders 202 → order.placed evt-9  41 ms']);
  });

  it('finds the envelope inside an SNS notification (no raw message delivery)', () => {
    // Act
    const identity = envelopeOf(JSON.stringify({ Type: 'Notification', MessageId: 'sns-1', Message: envelope('order.placed', 'evt-1') }));

    // Assess
    expect(identity).toEqual({ eventType: 'order.placed', eventId: 'evt-1' });
  });

  it('names a record that is no envelope by its message id', () => {
    // Act
    const [line] = formatInvocation(facts({ event: sqsEvent(record('m-1', 'not json')) }));

    // Assess
    expect(line).toBe('09:05:07.042 email message m-1  ok  18 ms');
  });

  it('prints every function line, pretty, with --verbose', () => {
    // Prepare
    const event = sqsEvent(record('m-1', envelope('order.placed', 'evt-1')));
    const lines: LogLine[] = [powertools('INFO', 'Record processed', { messageId: 'm-1', eventId: 'evt-1', eventType: 'order.placed', correlationId: 'c-1', attempt: 1 }), { stream: 'stdout', text: 'plain text' }];

    // Act
    const output = formatInvocation(facts({ event, lines }), { verbose: true });

    // Assess: Powertools' boilerplate and the record's identity (on the line above) are left out.
    expect(output.slice(1)).toEqual(['             INFO  Record processed attempt=1', '             plain text']);
  });

  it('prints nothing under --quiet when every record succeeded', () => {
    // Act
    const output = formatInvocation(facts({ event: sqsEvent(record('m-1', envelope('order.placed', 'evt-1'))) }), { quiet: true });

    // Assess
    expect(output).toEqual([]);
  });

  it('colours time, function, outcome and duration when given a style, and only then', () => {
    // Prepare
    const input = facts({ event: sqsEvent(record('m-1', envelope('order.placed', 'evt-1'))) });

    // Act
    const [coloured] = formatInvocation(input, { style: colour });
    const [uncoloured] = formatInvocation(input);

    // Assess
    expect(coloured).toContain(`${ESC}32mok${ESC}39m`);
    expect(coloured).toContain(`${ESC}36memail${ESC}39m`);
    expect(coloured!.replace(/\u001b\[\d+m/g, '')).toBe(uncoloured);
    expect(uncoloured).not.toContain(ESC);
  });
});

describe('formatLogLine', () => {
  it('shows level, message and the line’s own fields, quoting strings with spaces and shortening long values', () => {
    // Act
    const text = formatLogLine(powertools('WARN', 'Could not write the failure record', { reason: 'table busy', size: 3, blob: 'x'.repeat(400) }));

    // Assess
    expect(text).toMatch(/^WARN {2}Could not write the failure record reason="table busy" size=3 blob=x{159}…$/);
  });

  it('shows a non-JSON stderr line as it is, in red when coloured', () => {
    // Act
    const text = formatLogLine({ stream: 'stderr', text: 'TypeError: boom' }, { style: colour });

    // Assess
    expect(text).toBe(`${ESC}31mTypeError: boom${ESC}39m`);
  });
});

describe('isErrorLine', () => {
  it.each([
    ['{"level":"ERROR","message":"m"}', 'stdout', true],
    ['{"level":"CRITICAL","message":"m"}', 'stderr', true],
    ['{"level":"INFO","message":"m"}', 'stderr', false],
    ['{"level":"WARN","message":"m"}', 'stdout', false],
    ['TypeError: boom', 'stderr', true],
    ['{not json', 'stderr', true],
    ['plain', 'stdout', false],
    ['ERROR RequestId: r Runtime.ExitError: exit', 'host', true],
    ['REPORT RequestId: r\tDuration: 1 ms', 'host', false],
  ] as const)('%s on %s → %s', (line, stream, expected) => {
    // Act
    const shown = isErrorLine(line, stream);

    // Assess
    expect(shown).toBe(expected);
  });
});

describe('functionLabel', () => {
  const fn = (name: string, environment: Record<string, string>) => ({ name, environment }) as Pick<LocalFunction, 'name' | 'environment'>;

  it.each([
    ['a queueflow consumer by its consumer name', fn('Shop-WorkflowConsumerEmailFunction515B9BED', { CONSUMER_NAME: 'email' }), 'email'],
    ['the queueflow producer as producer', fn('Shop-WorkflowProducer7530E07A', { TOPIC_ARN: 'arn', EVENT_SOURCE: 'shop' }), 'producer'],
    ['any other function by its name without stack and hash', fn('Shop-ResizeImagesFunction0A1B2C3D', {}), 'ResizeImagesFunction'],
  ])('names %s', (_case, input, expected) => {
    expect(functionLabel(input, ['Shop'])).toBe(expected);
  });
});

describe('the consumer log messages the outcomes are read from', () => {
  it('are still logged by lambdas/shared/consumer.ts', () => {
    // Prepare
    const source = readFileSync(new URL('../../../lambdas/shared/consumer.ts', import.meta.url), 'utf8');

    // Assess
    for (const message of Object.values(CONSUMER_MESSAGES)) expect(source).toContain(`'${message}'`);
    expect(source).toMatch(/delaySeconds,.*attemptsLeft/);
  });
});

describe('InvocationPrinter', () => {
  const fn = { name: 'Stack-Email', environment: { CONSUMER_NAME: 'email' } } as unknown as LocalFunction;
  const start = (options: { verbose?: boolean } = {}) => {
    const printed: string[] = [];
    const printer = new InvocationPrinter({ print: (line) => printed.push(line), labelOf: () => 'email', graceMs: 10_000, ...options });
    return { printed, printer };
  };

  it('prints an invocation with the lines of its request, including one that arrives after it ended', () => {
    // Prepare
    const { printed, printer } = start({ verbose: true });
    const event = sqsEvent(record('m-1', envelope('order.placed', 'evt-1')));

    // Act
    printer.line('Stack-Email', 'during', 'stdout', 'req-1');
    printer.line('Stack-Other', 'another invocation', 'stdout', 'req-2');
    printer.invocation({ fn, startedAt: new Date(endedAt.getTime() - 18), source: 'sqs', event, result: ok(null) });
    printer.line('Stack-Email', powertools('INFO', 'late', { messageId: 'm-1' }).text, 'stdout');
    printer.flush();

    // Assess
    expect(printed).toEqual(['09:05:07.042 email order.placed evt-1  ok  18 ms', '             during', '             INFO  late']);
  });

  it('prints a line outside any invocation on its own, and only an error line unless verbose', () => {
    // Prepare
    const { printed, printer } = start();

    // Act
    printer.line('Stack-Email', 'init says hello', 'stdout');
    printer.line('Stack-Email', 'init failed', 'stderr');

    // Assess
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} email init failed$/);
  });
});
