import { describe, expect, it } from 'vitest';
import { fauxqsApps, queueArn as arn, queueUrl as url, sqsRequest, type FauxqsApp as App } from '../../helpers/fauxqs.ts';

// The FIFO fixes of patches/fauxqs+2.4.1.patch (7-10 in its header), through fauxqs's public API:
// what SQS FIFO queues do that the local runtime's ordered consumers rely on.

async function sqs(app: App, action: string, body: Record<string, unknown>): Promise<Record<string, any>> {
  const response = await sqsRequest(app, action, body);
  expect(response.status, response.body).toBe(200);
  return response.json;
}

const send = (app: App, queue: string, body: string, group: string, dedup = body) =>
  sqs(app, 'SendMessage', { QueueUrl: url(queue), MessageBody: body, MessageGroupId: group, MessageDeduplicationId: dedup });
const receive = async (app: App, queue: string, max = 10): Promise<{ Body: string; ReceiptHandle: string }[]> =>
  (await sqs(app, 'ReceiveMessage', { QueueUrl: url(queue), MaxNumberOfMessages: max, MessageSystemAttributeNames: ['All'] })).Messages ?? [];

describe('fauxqs 2.4.1 FIFO queues as patched', () => {
  const { open, close, dataDir } = fauxqsApps('queueflow-fauxqs-fifo-');
  const createFifo = (app: App, name: string, attributes: Record<string, string> = {}) =>
    sqs(app, 'CreateQueue', { QueueName: name, Attributes: { FifoQueue: 'true', VisibilityTimeout: '60', ...attributes } });

  it('returns as many messages of a group as fit in one receive, in order, and then locks the group', async () => {
    // Prepare
    const app = await open();
    await createFifo(app, 'q.fifo');
    for (const body of ['a1', 'a2', 'a3']) await send(app, 'q.fifo', body, 'A');
    await send(app, 'q.fifo', 'b1', 'B');

    // Act
    const first = await receive(app, 'q.fifo');
    await send(app, 'q.fifo', 'a4', 'A');
    const second = await receive(app, 'q.fifo');

    // Assess
    expect(first.map((m) => m.Body)).toEqual(['a1', 'a2', 'a3', 'b1']);
    expect(second).toEqual([]);
  });

  it('puts released messages back in their group in sequence order', async () => {
    // Prepare
    const app = await open();
    await createFifo(app, 'q.fifo');
    for (const body of ['a1', 'a2', 'a3']) await send(app, 'q.fifo', body, 'A');
    const received = await receive(app, 'q.fifo');

    // Act: released last to first, as a consumer may
    for (const message of [...received].reverse()) {
      await sqs(app, 'ChangeMessageVisibility', { QueueUrl: url('q.fifo'), ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 });
    }

    // Assess
    expect((await receive(app, 'q.fifo')).map((m) => m.Body)).toEqual(['a1', 'a2', 'a3']);
  });

  it('keeps a group in order when its in-flight messages come back after the visibility timeout', async () => {
    const app = await open();
    await createFifo(app, 'q.fifo', { VisibilityTimeout: '1' });
    for (const body of ['a1', 'a2', 'a3']) await send(app, 'q.fifo', body, 'A');
    expect(await receive(app, 'q.fifo')).toHaveLength(3);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await receive(app, 'q.fifo')).map((m) => m.Body)).toEqual(['a1', 'a2', 'a3']);
  });

  it('deduplicates within the window beyond 10,000 ids, and after a restart', async () => {
    // Prepare
    const dir = dataDir();
    const app = await open(dir);
    await createFifo(app, 'q.fifo');
    await send(app, 'q.fifo', 'first', 'A', 'dedup-first');
    const batch = (start: number) =>
      Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: `m${start + i}`, MessageGroupId: `G${start + i}`, MessageDeduplicationId: `d${start + i}` }));
    for (let start = 0; start < 10_000; start += 10) await sqs(app, 'SendMessageBatch', { QueueUrl: url('q.fifo'), Entries: batch(start) });
    await sqs(app, 'PurgeQueue', { QueueUrl: url('q.fifo') });

    // Act
    await send(app, 'q.fifo', 'first again', 'A', 'dedup-first');
    await close(app);
    const restarted = await open(dir);
    await send(restarted, 'q.fifo', 'first once more', 'A', 'dedup-first');

    // Assess
    expect(await receive(restarted, 'q.fifo')).toEqual([]);
  });

  it('moves a dead letter to a FIFO DLQ with its group, behind what the group already has there', async () => {
    // Prepare
    const dir = dataDir();
    const app = await open(dir);
    await createFifo(app, 'dlq.fifo');
    await createFifo(app, 'q.fifo', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn('dlq.fifo'), maxReceiveCount: 1 }) });
    await send(app, 'dlq.fifo', 'sent-to-dlq-first', 'A');
    await send(app, 'q.fifo', 'a1', 'A');
    const [message] = await receive(app, 'q.fifo');
    await sqs(app, 'ChangeMessageVisibility', { QueueUrl: url('q.fifo'), ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 });

    // Act: the second receive moves it
    expect(await receive(app, 'q.fifo')).toEqual([]);
    await close(app);
    const restarted = await open(dir);
    const dead = (await sqs(restarted, 'ReceiveMessage', { QueueUrl: url('dlq.fifo'), MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] })).Messages;

    // Assess
    expect(dead.map((m: { Body: string }) => m.Body)).toEqual(['sent-to-dlq-first', 'a1']);
    expect(dead[1].Attributes.MessageGroupId).toBe('A');
    expect(dead[1].Attributes.MessageDeduplicationId).toBe(dead[1].MessageId);
  });
});
