import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FAUXQS_ACCOUNT, fauxqsApps, queueArn, queueUrl, snsRequest as sns, sqsRequest as sqs, type FauxqsApp as App } from '../../helpers/fauxqs.ts';

// The fixes of patches/fauxqs+2.4.1.patch, through fauxqs's public API (buildApp with a dataDir,
// requests injected without a socket). A "crash" between two writes of one operation is simulated
// with a trigger that aborts the second write: what the first one left in the database is what a
// kill -9 at that instant would leave.

async function counts(app: App, name: string): Promise<Record<string, string>> {
  const { json } = await sqs(app, 'GetQueueAttributes', {
    QueueUrl: queueUrl(name),
    AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
  });
  return json.Attributes;
}

describe('fauxqs 2.4.1 as patched', () => {
  const { open, close, dataDir } = fauxqsApps('queueflow-fauxqs-');
  /** A second connection to fauxqs's database, as a crash test's accomplice. */
  const database = (dir: string) => new DatabaseSync(join(dir, 'fauxqs.db'));

  it('persists a release with visibility 0 (keeping the receive count) instead of losing the message', async () => {
    // Prepare
    const dir = dataDir();
    const first = await open(dir);
    await sqs(first, 'CreateQueue', { QueueName: 'q', Attributes: { VisibilityTimeout: '60' } });
    await sqs(first, 'SendMessage', { QueueUrl: queueUrl('q'), MessageBody: 'released' });
    const received = await sqs(first, 'ReceiveMessage', { QueueUrl: queueUrl('q') });
    const handle = received.json.Messages[0].ReceiptHandle;

    // Act
    const released = await sqs(first, 'ChangeMessageVisibility', { QueueUrl: queueUrl('q'), ReceiptHandle: handle, VisibilityTimeout: 0 });
    const before = await counts(first, 'q');
    await close(first);
    const second = await open(dir);
    const again = await sqs(second, 'ReceiveMessage', { QueueUrl: queueUrl('q'), MessageSystemAttributeNames: ['ApproximateReceiveCount'] });

    // Assess
    expect(released.status).toBe(200);
    expect(before.ApproximateNumberOfMessages).toBe('1');
    expect(again.json.Messages?.[0]?.Body).toBe('released');
    expect(again.json.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
  });

  it('counts expired in-flight and due delayed messages on GetQueueAttributes, without a receive', async () => {
    // Prepare
    const app = await open();
    await sqs(app, 'CreateQueue', { QueueName: 'q', Attributes: { VisibilityTimeout: '1' } });
    await sqs(app, 'SendMessage', { QueueUrl: queueUrl('q'), MessageBody: 'in flight, then expired' });
    await sqs(app, 'ReceiveMessage', { QueueUrl: queueUrl('q') });
    await sqs(app, 'SendMessage', { QueueUrl: queueUrl('q'), MessageBody: 'delayed', DelaySeconds: 1 });

    // Act
    await sleep(1_100);
    const attributes = await counts(app, 'q');

    // Assess
    expect(attributes).toEqual({ ApproximateNumberOfMessages: '2', ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0' });
  });

  it('moves a message to its DLQ in one commit: a crash between the delete and the insert loses nothing', async () => {
    // Prepare: a message received once from a queue that dead-letters after one receive.
    const dir = dataDir();
    const first = await open(dir);
    await sqs(first, 'CreateQueue', { QueueName: 'dlq' });
    await sqs(first, 'CreateQueue', {
      QueueName: 'source',
      Attributes: { VisibilityTimeout: '60', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: queueArn('dlq'), maxReceiveCount: 1 }) },
    });
    await sqs(first, 'SendMessage', { QueueUrl: queueUrl('source'), MessageBody: 'poison' });
    const received = await sqs(first, 'ReceiveMessage', { QueueUrl: queueUrl('source') });
    await sqs(first, 'ChangeMessageVisibility', { QueueUrl: queueUrl('source'), ReceiptHandle: received.json.Messages[0].ReceiptHandle, VisibilityTimeout: 0 });
    const accomplice = database(dir);
    accomplice.exec(`CREATE TRIGGER crash BEFORE INSERT ON sqs_messages WHEN NEW.queue_name = 'dlq' BEGIN SELECT RAISE(ABORT, 'crash'); END`);

    // Act: the second receive moves it to the DLQ; the process "dies" at the insert.
    const moving = await sqs(first, 'ReceiveMessage', { QueueUrl: queueUrl('source') });
    await close(first);
    accomplice.exec('DROP TRIGGER crash');
    accomplice.close();
    const second = await open(dir);
    const persisted = { source: await counts(second, 'source'), dlq: await counts(second, 'dlq') };
    const redelivered = await sqs(second, 'ReceiveMessage', { QueueUrl: queueUrl('source') });
    const moved = await counts(second, 'dlq');

    // Assess: still in the source queue as it was before the receive, so the next receive moves it.
    expect(moving.status).toBe(500);
    expect(persisted.source.ApproximateNumberOfMessages).toBe('1');
    expect(persisted.dlq.ApproximateNumberOfMessages).toBe('0');
    expect(redelivered.json.Messages).toBeUndefined();
    expect(moved.ApproximateNumberOfMessages).toBe('1');
  });

  it('fans a published message out in one commit: a crash before the last queue leaves no copy in the others', async () => {
    // Prepare
    const dir = dataDir();
    const first = await open(dir);
    await sqs(first, 'CreateQueue', { QueueName: 'a' });
    await sqs(first, 'CreateQueue', { QueueName: 'b' });
    const topicArn = `arn:aws:sns:us-east-1:${FAUXQS_ACCOUNT}:t`;
    await sns(first, { Action: 'CreateTopic', Name: 't' });
    await sns(first, { Action: 'Subscribe', TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn('a') });
    await sns(first, { Action: 'Subscribe', TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn('b') });
    const accomplice = database(dir);
    accomplice.exec(`CREATE TRIGGER crash BEFORE INSERT ON sqs_messages WHEN NEW.queue_name = 'b' BEGIN SELECT RAISE(ABORT, 'crash'); END`);

    // Act
    const published = await sns(first, { Action: 'Publish', TopicArn: topicArn, Message: 'm' });
    await close(first);
    accomplice.exec('DROP TRIGGER crash');
    accomplice.close();
    const second = await open(dir);

    // Assess: all or nothing; the publisher was told it failed, so it publishes again.
    expect(published).toBe(500);
    expect((await counts(second, 'a')).ApproximateNumberOfMessages).toBe('0');
    expect((await counts(second, 'b')).ApproximateNumberOfMessages).toBe('0');
  });
});
