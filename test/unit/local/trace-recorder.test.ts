import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { CONSUMER_MESSAGES } from '../../../lib/local/invocation-log.ts';
import type { EndedInvocation } from '../../../lib/local/lambda-host.ts';
import type { LocalFunction } from '../../../lib/local/model.ts';
import type { TraceEvent } from '../../../lib/local/trace-events.ts';
import { PUBLISHED_MESSAGE, TraceRecorder } from '../../../lib/local/trace-recorder.ts';

const fn = (name: string, environment: Record<string, string>): LocalFunction => ({
  logicalId: name,
  name: `Stack-${name}`,
  assetDir: '/tmp',
  handler: 'index.handler',
  runtime: 'nodejs24.x',
  architecture: 'arm64',
  timeoutSeconds: 10,
  memorySizeMb: 256,
  environment,
});

const envelope = (id: string) => JSON.stringify({ specversion: '1.0', id, type: 'order.placed', correlationid: `c-${id}`, data: { orderId: `o-${id}` } });

const record = (id: string, receiveCount = 1): SQSRecord => ({
  messageId: `m-${id}`,
  receiptHandle: 'r',
  body: envelope(id),
  attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: '1000', SenderId: 'x', ApproximateFirstReceiveTimestamp: '1001' },
  messageAttributes: { eventType: { stringValue: 'order.placed', dataType: 'String', stringListValues: [], binaryListValues: [] } },
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:Stack-InventoryQueue',
  awsRegion: 'us-east-1',
});

const line = (requestId: string, fields: Record<string, unknown>) => JSON.stringify({ level: 'INFO', function_request_id: requestId, ...fields });

describe('TraceRecorder', () => {
  it('reports an API invocation with its logs and the event it published', () => {
    // Prepare
    vi.useFakeTimers();
    const events: TraceEvent[] = [];
    const recorder = new TraceRecorder({ observe: (event) => events.push(event), stackNames: () => ['Stack'] });
    const producer = fn('Producer', { TOPIC_ARN: 'arn', EVENT_SOURCE: 'sample' });

    // Act
    recorder.line(producer.name, line('req-1', { message: PUBLISHED_MESSAGE, eventId: 'e1', eventType: 'order.placed', correlationId: 'c-e1', timestamp: '2026-01-01T00:00:00.050Z' }), 'stdout');
    recorder.invocation({ fn: producer, startedAt: new Date('2026-01-01T00:00:00.000Z'), source: 'api', event: { httpMethod: 'POST' }, result: { ok: true, result: { statusCode: 202 }, requestId: 'req-1', durationMs: 60 } });
    expect(events).toEqual([]);
    vi.runAllTimers();
    vi.useRealTimers();

    // Assess
    expect(events).toMatchObject([
      { kind: 'invocation', lambdaRequestId: 'req-1', label: 'producer', source: 'api', ok: true, logs: [{ stream: 'stdout' }] },
      { kind: 'published', eventId: 'e1', eventType: 'order.placed', correlationId: 'c-e1', lambdaRequestId: 'req-1', label: 'producer', at: Date.parse('2026-01-01T00:00:00.050Z') },
    ]);
  });

  it('reports one attempt per record of an SQS batch, with its outcome, error and backoff', () => {
    const events: TraceEvent[] = [];
    const recorder = new TraceRecorder({ observe: (event) => events.push(event), stackNames: () => ['Stack'] });
    const consumer = fn('InventoryFunction', { CONSUMER_NAME: 'inventory' });
    const invocation: EndedInvocation = {
      fn: consumer,
      startedAt: new Date(2_000),
      source: 'sqs',
      event: { Records: [record('e1'), record('e2', 3)] },
      result: { ok: true, result: { batchItemFailures: [{ itemIdentifier: 'm-e2' }] }, requestId: 'req-2', durationMs: 15 },
    };
    recorder.line(consumer.name, line('req-2', { level: 'ERROR', message: 'Record failed', messageId: 'm-e2', errorType: 'TimeoutError', errorMessage: 'slow' }), 'stdout');
    recorder.line(consumer.name, line('req-2', { message: CONSUMER_MESSAGES.retry, messageId: 'm-e2', delaySeconds: 8, attemptsLeft: 1 }), 'stdout');

    recorder.invocation(invocation);
    recorder.flush();

    expect(events.filter((event) => event.kind === 'attempt')).toEqual([
      expect.objectContaining({ eventId: 'e1', messageId: 'm-e1', receiveCount: 1, sentAt: 1000, outcome: 'ok', label: 'inventory', data: '{"orderId":"o-e1"}', attributes: { eventType: 'order.placed' } }),
      expect.objectContaining({ eventId: 'e2', correlationId: 'c-e2', receiveCount: 3, outcome: 'retry', error: 'TimeoutError: slow', backoffSeconds: 8, attemptsLeft: 1 }),
    ]);
  });

  it("gives every record a failed invocation's error", () => {
    const events: TraceEvent[] = [];
    const recorder = new TraceRecorder({ observe: (event) => events.push(event), stackNames: () => [] });
    recorder.invocation({
      fn: fn('F', {}),
      startedAt: new Date(0),
      source: 'sqs',
      event: { Records: [record('e1')] },
      result: { ok: false, errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out', timedOut: true, requestId: 'req-3', durationMs: 10_000 },
    });
    recorder.flush();
    expect(events.at(-1)).toMatchObject({ kind: 'attempt', outcome: 'error', error: 'Sandbox.Timedout: Task timed out' });
  });
});
