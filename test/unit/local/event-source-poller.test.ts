import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { EventSourcePoller, batchItemFailures } from '../../../lib/local/event-source-poller.ts';
import type { InvokeResult } from '../../../lib/local/lambda-host.ts';
import type { LocalEventSourceMapping } from '../../../lib/local/model.ts';
import { credentials, region, useFauxqsServer, waitFor } from '../../helpers/fauxqs-server.ts';

const fauxqs = useFauxqsServer();
let queueCounter = 0;

type Respond = (event: SQSEvent, call: number) => Promise<Partial<InvokeResult>> | Partial<InvokeResult>;

/** A fake Lambda host that records each SQS event and answers with `respond`. */
function fakeHost(respond: Respond = () => ({ ok: true, result: null })) {
  const events: SQSEvent[] = [];
  let active = 0;
  const host = {
    events,
    maxActive: 0,
    async invoke(_id: string, event: unknown): Promise<InvokeResult> {
      events.push(event as SQSEvent);
      active += 1;
      host.maxActive = Math.max(host.maxActive, active);
      try {
        const answer = await respond(event as SQSEvent, events.length);
        return { requestId: 'r', durationMs: 1, ...answer } as InvokeResult;
      } finally {
        active -= 1;
      }
    },
  };
  return host;
}

function queue(attributes: Record<string, string> = {}): { url: string; arn: string; name: string } {
  const name = `q${++queueCounter}`;
  const created = fauxqs.server.createQueue(name, { attributes: { VisibilityTimeout: '1', ...attributes } });
  return { url: created.queueUrl, arn: created.queueArn, name };
}

function mapping(q: { url: string; arn: string }, overrides: Partial<LocalEventSourceMapping> = {}): LocalEventSourceMapping {
  return {
    logicalId: 'Mapping',
    functionLogicalId: 'ConsumerFn',
    queueArn: q.arn,
    queueUrl: q.url,
    batchSize: 10,
    maximumBatchingWindowSeconds: 0,
    reportBatchItemFailures: true,
    enabled: true,
    ...overrides,
  };
}

function startPoller(mappings: LocalEventSourceMapping[], host: ReturnType<typeof fakeHost>, lines: string[] = []): void {
  fauxqs.poller = new EventSourcePoller({ mappings, host, endpoint: fauxqs.endpoint, region, credentials, log: (_s, line) => lines.push(line), waitTimeSeconds: 1 });
  fauxqs.poller.start();
}

async function send(url: string, body: string): Promise<string> {
  const sent = await fauxqs.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
  return sent.MessageId!;
}

async function counts(url: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes = {} } = await fauxqs.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return { visible: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
}

const bodies = (event: SQSEvent) => event.Records.map((r) => r.body).sort();

describe('EventSourcePoller', () => {
  it('invokes with an SQS event built as Lambda builds it, then deletes the batch', async () => {
    // Prepare
    const q = queue();
    const host = fakeHost();
    const sent = await fauxqs.sqs.send(
      new SendMessageCommand({
        QueueUrl: q.url,
        MessageBody: '{"id":"e-1"}',
        MessageAttributes: { eventType: { DataType: 'String', StringValue: 'order.placed' }, blob: { DataType: 'Binary', BinaryValue: Buffer.from('hi') } },
      }),
    );

    // Act
    startPoller([mapping(q)], host);
    await waitFor(() => host.events.length === 1);
    await waitFor(async () => (await counts(q.url)).inFlight === 0);

    // Assess
    const [record] = host.events[0]!.Records;
    expect(record).toMatchObject({
      messageId: sent.MessageId,
      body: '{"id":"e-1"}',
      md5OfBody: sent.MD5OfMessageBody,
      eventSource: 'aws:sqs',
      eventSourceARN: q.arn,
      awsRegion: region,
      messageAttributes: {
        eventType: { stringValue: 'order.placed', stringListValues: [], binaryListValues: [], dataType: 'String' },
        blob: { binaryValue: Buffer.from('hi').toString('base64'), stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
    });
    expect(record!.receiptHandle).toEqual(expect.any(String));
    expect(record!.attributes).toMatchObject({
      ApproximateReceiveCount: '1',
      SentTimestamp: expect.stringMatching(/^\d+$/),
      SenderId: expect.any(String),
      ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/),
    });
    expect(await counts(q.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('deletes only the records a partial batch response does not report', async () => {
    // Prepare
    const q = queue({ VisibilityTimeout: '30' });
    const failedId = await send(q.url, 'fails');
    await send(q.url, 'ok-1');
    await send(q.url, 'ok-2');
    const host = fakeHost(() => ({ ok: true, result: { batchItemFailures: [{ itemIdentifier: failedId }] } }));

    // Act
    startPoller([mapping(q, { maximumBatchingWindowSeconds: 1 })], host);
    await waitFor(() => host.events.length === 1);
    await waitFor(async () => (await counts(q.url)).inFlight === 1);

    // Assess
    expect(bodies(host.events[0]!)).toEqual(['fails', 'ok-1', 'ok-2']);
    const inspected = fauxqs.server.inspectQueue(q.name)!;
    expect(inspected.messages.inflight.map((m) => m.message.body)).toEqual(['fails']);
    expect(inspected.messages.ready).toEqual([]);
  });

  it('leaves the whole batch for redelivery when the invocation fails', async () => {
    // Prepare
    const q = queue();
    await send(q.url, 'a');
    await send(q.url, 'b');
    const host = fakeHost((_event, call) =>
      call === 1 ? { ok: false, errorType: 'Error', errorMessage: 'boom', timedOut: false } : { ok: true, result: {} },
    );
    const lines: string[] = [];

    // Act
    startPoller([mapping(q)], host, lines);
    await waitFor(() => host.events.reduce((n, e) => n + e.Records.length, 0) === 4);
    await waitFor(async () => (await counts(q.url)).inFlight === 0);

    // Assess
    const redelivered = host.events.slice(1).flatMap((e) => e.Records);
    expect(redelivered.map((r) => r.body).sort()).toEqual(['a', 'b']);
    expect(redelivered.every((r) => r.attributes.ApproximateReceiveCount === '2')).toBe(true);
    expect(lines.some((line) => line.includes('boom'))).toBe(true);
    expect(await counts(q.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it.each([
    ['an unknown itemIdentifier', { batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] }],
    ['a missing itemIdentifier', { batchItemFailures: [{ id: 'x' }] }],
    ['a non-object response', 'done'],
  ])('fails the whole batch on a malformed response: %s', async (_, response) => {
    // Prepare
    const q = queue({ VisibilityTimeout: '30' });
    await send(q.url, 'a');
    const host = fakeHost(() => ({ ok: true, result: response }));

    // Act
    startPoller([mapping(q)], host);
    await waitFor(() => host.events.length === 1);
    await fauxqs.poller!.stop();

    // Assess
    expect(await counts(q.url)).toEqual({ visible: 0, inFlight: 1 });
  });

  it('deletes the whole batch on success without ReportBatchItemFailures, whatever the result', async () => {
    // Prepare
    const q = queue();
    const id = await send(q.url, 'a');
    const host = fakeHost(() => ({ ok: true, result: { batchItemFailures: [{ itemIdentifier: id }] } }));

    // Act
    startPoller([mapping(q, { reportBatchItemFailures: false })], host);
    await waitFor(() => host.events.length === 1);
    await waitFor(async () => (await counts(q.url)).inFlight === 0);

    // Assess
    expect(await counts(q.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it("moves a message that keeps failing to the DLQ after maxReceiveCount (fauxqs's redrive)", async () => {
    // Prepare
    const dlq = queue();
    const q = queue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: '2' }) });
    await send(q.url, 'poison');
    const host = fakeHost(() => ({ ok: false, errorType: 'UnknownSkuError', errorMessage: 'no such SKU', timedOut: false }));

    // Act
    startPoller([mapping(q)], host);
    await waitFor(async () => (await counts(dlq.url)).visible === 1);

    // Assess
    expect(host.events.map((e) => e.Records[0]!.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(await counts(q.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('fills batches up to batchSize with several receives', async () => {
    // Prepare
    const q = queue({ VisibilityTimeout: '30' });
    for (let i = 0; i < 14; i++) await send(q.url, `m${i}`);
    const host = fakeHost();

    // Act
    startPoller([mapping(q, { batchSize: 12, maximumBatchingWindowSeconds: 1 })], host);
    await waitFor(() => host.events.reduce((n, e) => n + e.Records.length, 0) === 14);

    // Assess
    expect(host.events.map((e) => e.Records.length)).toEqual([12, 2]);
  });

  it('waits for the batching window to gather records that arrive apart', async () => {
    // Prepare
    const q = queue({ VisibilityTimeout: '30' });
    const host = fakeHost();
    startPoller([mapping(q, { batchSize: 10, maximumBatchingWindowSeconds: 2 })], host);

    // Act
    await send(q.url, 'first');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await send(q.url, 'second');
    await waitFor(() => host.events.length >= 1);

    // Assess
    expect(host.events.map(bodies)).toEqual([['first', 'second']]);
  });

  it('invokes as soon as records arrive without a batching window', async () => {
    // Prepare
    const q = queue();
    const host = fakeHost();
    startPoller([mapping(q, { batchSize: 10 })], host);

    // Act
    await send(q.url, 'first');
    await waitFor(() => host.events.length === 1);
    await send(q.url, 'second');
    await waitFor(() => host.events.length === 2);

    // Assess
    expect(host.events.map(bodies)).toEqual([['first'], ['second']]);
  });

  it.each([1, 3])('runs at most maximumConcurrency (%i) batches at once', async (maximumConcurrency) => {
    // Prepare
    const q = queue({ VisibilityTimeout: '30' });
    for (let i = 0; i < 6; i++) await send(q.url, `m${i}`);
    const host = fakeHost(async () => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return { ok: true, result: null };
    });

    // Act
    startPoller([mapping(q, { batchSize: 1, maximumConcurrency })], host);
    await waitFor(() => host.events.length === 6);

    // Assess
    expect(host.maxActive).toBe(maximumConcurrency);
  });

  it('sends a copy of a record back to the queue on an injected duplicate delivery', async () => {
    // Prepare
    const q = queue();
    await fauxqs.sqs.send(
      new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'once', MessageAttributes: { eventType: { DataType: 'String', StringValue: 'order.placed' } } }),
    );
    const host = fakeHost((_event, call) => ({ ok: true, result: null, ...(call === 1 ? { injectedFault: 'duplicate-delivery' as const } : {}) }));

    // Act
    startPoller([mapping(q)], host);
    await waitFor(() => host.events.length === 2);

    // Assess
    const [first, second] = host.events.map((e) => e.Records[0]!);
    expect(second!.body).toBe('once');
    expect(second!.messageId).not.toBe(first!.messageId);
    expect(second!.messageAttributes.eventType).toMatchObject({ stringValue: 'order.placed', dataType: 'String' });
  });

  it('skips disabled mappings', async () => {
    // Prepare
    const q = queue();
    await send(q.url, 'a');
    const host = fakeHost();

    // Act
    startPoller([mapping(q, { enabled: false })], host);
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Assess
    expect(host.events).toEqual([]);
  });

  it('stops promptly while long-polling', async () => {
    // Prepare
    const q = queue();
    fauxqs.poller = new EventSourcePoller({ mappings: [mapping(q)], host: fakeHost(), endpoint: fauxqs.endpoint, region, credentials, log: () => undefined });
    fauxqs.poller.start();
    await new Promise((resolve) => setTimeout(resolve, 200));

    // Act
    const startedAt = Date.now();
    await fauxqs.poller.stop();

    // Assess
    expect(Date.now() - startedAt).toBeLessThan(1000);
  });
});

describe('batchItemFailures', () => {
  const event = { Records: [{ messageId: 'a' }, { messageId: 'b' }] } as SQSEvent;

  it.each([[undefined], [null], [{}], [{ batchItemFailures: null }], [{ batchItemFailures: [] }]])('treats %j as complete success', (response) => {
    expect(batchItemFailures(response, event)).toEqual(new Set());
  });

  it('returns the reported ids', () => {
    expect(batchItemFailures({ batchItemFailures: [{ itemIdentifier: 'b' }] }, event)).toEqual(new Set(['b']));
  });

  it.each([[[]], ['ok'], [{ batchItemFailures: 'b' }], [{ batchItemFailures: [{ itemIdentifier: '' }] }], [{ batchItemFailures: [null] }]])(
    'treats %j as malformed',
    (response) => {
      expect(batchItemFailures(response, event)).toBeUndefined();
    },
  );
});
