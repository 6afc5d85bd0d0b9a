import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { EventSourcePoller } from '../../../lib/local/event-source-poller.ts';
import type { InvokeResult } from '../../../lib/local/lambda-host.ts';
import { credentials, region, useFauxqsServer, waitFor } from '../../helpers/fauxqs-server.ts';

// The SQS event source on a FIFO queue (patched fauxqs): a group's messages come in order, in one
// batch while they fit, the records a function reports failed stay and come back first, and an
// injected duplicate joins the end of its group.
const fauxqs = useFauxqsServer();

let counter = 0;
const fifoQueue = () => {
  const created = fauxqs.server.createQueue(`f${++counter}.fifo`, { attributes: { FifoQueue: 'true', VisibilityTimeout: '1' } });
  return { url: created.queueUrl, arn: created.queueArn };
};
const send = (url: string, body: string, group: string) =>
  fauxqs.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: body }));

const start = (q: { url: string; arn: string }, respond: (event: SQSEvent, call: number) => Partial<InvokeResult>, events: SQSEvent[], concurrency = 5) => {
  const host = {
    async invoke(_id: string, event: unknown): Promise<InvokeResult> {
      events.push(event as SQSEvent);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { requestId: 'r', durationMs: 1, ...respond(event as SQSEvent, events.length) } as InvokeResult;
    },
  };
  fauxqs.poller = new EventSourcePoller({
    mappings: [{ logicalId: 'M', functionLogicalId: 'F', queueArn: q.arn, queueUrl: q.url, batchSize: 10, maximumBatchingWindowSeconds: 0, maximumConcurrency: concurrency, reportBatchItemFailures: true, enabled: true }],
    host,
    endpoint: fauxqs.endpoint,
    region,
    credentials,
    log: () => {},
    waitTimeSeconds: 1,
  });
  fauxqs.poller.start();
};

describe('EventSourcePoller on a FIFO queue', () => {
  it("delivers a group's messages in order, and redelivers a failed record with its group's later ones first", async () => {
    // Prepare
    const q = fifoQueue();
    for (const body of ['a1', 'a2', 'a3']) await send(q.url, body, 'A');
    const events: SQSEvent[] = [];

    // Act: the first invocation fails a2 and reports a3 with it, as skipGroupOnError does
    start(q, (event, call) => {
      if (call > 1) return { ok: true, result: null };
      const failed = event.Records.filter((record) => record.body !== 'a1').map((record) => ({ itemIdentifier: record.messageId }));
      return { ok: true, result: { batchItemFailures: failed } };
    }, events);
    await waitFor(() => events.length === 2);

    // Assess
    expect(events.map((event) => event.Records.map((record) => record.body))).toEqual([['a1', 'a2', 'a3'], ['a2', 'a3']]);
    expect(events[1]!.Records.map((record) => [record.attributes.MessageGroupId, record.attributes.ApproximateReceiveCount])).toEqual([
      ['A', '2'],
      ['A', '2'],
    ]);
  });

  it("keeps each group's order across concurrent batches", async () => {
    // Prepare
    const q = fifoQueue();
    for (let i = 0; i < 12; i++) await send(q.url, `m${i}`, i % 2 === 0 ? 'A' : 'B');
    const events: SQSEvent[] = [];

    // Act: up to five batches at a time
    start(q, () => ({ ok: true, result: null }), events, 5);
    await waitFor(() => events.reduce((sum, event) => sum + event.Records.length, 0) >= 12);

    // Assess: each group's messages in order across the batches
    const order = (group: string) => events.flatMap((event) => event.Records).filter((record) => record.attributes.MessageGroupId === group).map((record) => record.body);
    expect(order('A')).toEqual(['m0', 'm2', 'm4', 'm6', 'm8', 'm10']);
    expect(order('B')).toEqual(['m1', 'm3', 'm5', 'm7', 'm9', 'm11']);
  });

  it('sends an injected duplicate to the end of its group under a new deduplication id', async () => {
    // Prepare
    const q = fifoQueue();
    await send(q.url, 'a1', 'A');
    const events: SQSEvent[] = [];

    // Act
    start(q, (_event, call) => ({ ok: true, result: null, ...(call === 1 ? { injectedFault: 'duplicate-delivery' as const } : {}) }), events);
    await waitFor(() => events.length === 2);

    // Assess
    const copy = events[1]!.Records[0]!;
    expect([copy.body, copy.attributes.MessageGroupId, copy.attributes.MessageDeduplicationId]).toEqual(['a1', 'A', `duplicate-${events[0]!.Records[0]!.messageId}`]);
  });
});
