import { mkdtempSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { PortInUseError } from '../../../lib/local/errors.ts';
import { startServices, type LocalServices, type RequestStats } from '../../../lib/local/services.ts';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

function clientsFor(services: LocalServices) {
  const config = { endpoint: services.endpoint, region: 'us-east-1', credentials };
  return { sqs: new SQSClient(config), sns: new SNSClient(config), dynamodb: new DynamoDBClient(config) };
}

const table = (name: string) =>
  new CreateTableCommand({
    TableName: name,
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
  });

describe('startServices', () => {
  const open: LocalServices[] = [];
  const dirs: string[] = [];
  const start = async (dataDir?: string) => {
    const services = await startServices({ port: 0, ...(dataDir ? { dataDir } : {}) });
    open.push(services);
    return services;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((services) => services.close()));
    dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  });

  it('serves SQS, SNS and DynamoDB on one loopback endpoint', async () => {
    // Prepare
    const services = await start();
    const { sqs, sns, dynamodb } = clientsFor(services);

    // Act
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'q' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.QueueUrl, MessageBody: 'hello' }));
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, WaitTimeSeconds: 1 }));
    const topic = await sns.send(new CreateTopicCommand({ Name: 't' }));
    const published = await sns.send(new PublishCommand({ TopicArn: topic.TopicArn, Message: 'm' }));
    await dynamodb.send(table('tbl'));
    await dynamodb.send(new PutItemCommand({ TableName: 'tbl', Item: { pk: { S: 'a' } } }));
    const item = await dynamodb.send(new GetItemCommand({ TableName: 'tbl', Key: { pk: { S: 'a' } } }));

    // Assess
    expect(services.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(received.Messages?.[0]?.Body).toBe('hello');
    expect(published.MessageId).toBeDefined();
    expect(item.Item).toEqual({ pk: { S: 'a' } });
  });

  it('hands out queue URLs on the public endpoint', async () => {
    // Prepare
    const services = await start();
    const { sqs } = clientsFor(services);

    // Act
    const created = await sqs.send(new CreateQueueCommand({ QueueName: 'orders' }));
    const found = await sqs.send(new GetQueueUrlCommand({ QueueName: 'orders' }));
    const listed = await sqs.send(new ListQueuesCommand({}));

    // Assess
    const expected = `${services.endpoint}/000000000000/orders`;
    expect([created.QueueUrl, found.QueueUrl, listed.QueueUrls?.[0]]).toEqual([expected, expected, expected]);
  });

  it('counts requests per service and action, and resets the counts', async () => {
    // Prepare
    const services = await start();
    const { sqs, sns } = clientsFor(services);
    const topic = await sns.send(new CreateTopicCommand({ Name: 't' }));
    await sns.send(new PublishCommand({ TopicArn: topic.TopicArn, Message: 'a' }));
    await sns.send(new PublishCommand({ TopicArn: topic.TopicArn, Message: 'b' }));
    await sqs.send(new CreateQueueCommand({ QueueName: 'q' }));

    // Act
    const over = (await fetch(`${services.endpoint}/_queueflow/stats`).then((response) => response.json())) as RequestStats;
    const reset = (await fetch(`${services.endpoint}/_queueflow/stats/reset`, { method: 'POST' }).then((response) => response.json())) as RequestStats;

    // Assess
    expect(over.requests).toEqual({ sns: { CreateTopic: 1, Publish: 2 }, sqs: { CreateQueue: 1 }, dynamodb: {}, sts: {} });
    expect(reset.requests).toEqual({ sns: {}, sqs: {}, dynamodb: {}, sts: {} });
  });

  it('reports Lambda invocations since the last reset', async () => {
    // Prepare
    let invocations = 3;
    const services = await start();
    services.setLambdaStats(() => ({ Fn: { invocations, errors: 1 } }));
    services.resetStats();

    // Act
    invocations = 5;
    const stats = services.stats();

    // Assess
    expect(stats.lambda).toEqual({ Fn: { invocations: 2, errors: 0 } });
  });

  it('answers 404 for an unknown control route', async () => {
    // Prepare
    const services = await start();

    // Act
    const response = await fetch(`${services.endpoint}/_queueflow/nope`);

    // Assess
    expect(response.status).toBe(404);
  });

  it('keeps queues, messages and tables in the data folder across a restart', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'queueflow-services-'));
    dirs.push(dataDir);
    const first = await start(dataDir);
    const before = clientsFor(first);
    const queue = await before.sqs.send(new CreateQueueCommand({ QueueName: 'kept' }));
    await before.sqs.send(new SendMessageCommand({ QueueUrl: queue.QueueUrl, MessageBody: 'survives' }));
    await before.dynamodb.send(table('kept'));
    await before.dynamodb.send(new PutItemCommand({ TableName: 'kept', Item: { pk: { S: 'x' } } }));
    await first.close();
    open.splice(open.indexOf(first), 1);

    // Act
    const second = await start(dataDir);
    const after = clientsFor(second);
    const received = await after.sqs.send(new ReceiveMessageCommand({ QueueUrl: `${second.endpoint}/000000000000/kept`, WaitTimeSeconds: 1 }));
    const tables = await after.dynamodb.send(new ListTablesCommand({}));
    const item = await after.dynamodb.send(new GetItemCommand({ TableName: 'kept', Key: { pk: { S: 'x' } } }));
    const found = await after.sqs.send(new GetQueueUrlCommand({ QueueName: 'kept' }));

    // Assess
    expect(received.Messages?.[0]?.Body).toBe('survives');
    // The queue was created through the first endpoint; its URL must follow the new one.
    expect(second.endpoint).not.toBe(first.endpoint);
    expect(found.QueueUrl).toBe(`${second.endpoint}/000000000000/kept`);
    expect(tables.TableNames).toEqual(['kept']);
    expect(item.Item).toEqual({ pk: { S: 'x' } });
  });

  it('keeps a message released with visibility 0, with its receive count, across a restart', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'queueflow-services-'));
    dirs.push(dataDir);
    const first = await start(dataDir);
    const { sqs } = clientsFor(first);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'released', Attributes: { VisibilityTimeout: '60' } }));
    const receive = async (client: SQSClient, url: string) =>
      (await client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }))).Messages ?? [];
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'released twice' }));

    // Act: release it with ChangeMessageVisibility, then with ChangeMessageVisibilityBatch.
    const [firstTry] = await receive(sqs, QueueUrl!);
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: firstTry!.ReceiptHandle, VisibilityTimeout: 0 }));
    const [secondTry] = await receive(sqs, QueueUrl!);
    const batch = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({ QueueUrl, Entries: [{ Id: 'a', ReceiptHandle: secondTry!.ReceiptHandle, VisibilityTimeout: 0 }] }),
    );
    await first.close();
    open.splice(open.indexOf(first), 1);
    const second = await start(dataDir);
    const [afterRestart] = await receive(clientsFor(second).sqs, `${second.endpoint}/000000000000/released`);

    // Assess
    expect(secondTry?.MessageId).toBe(sent.MessageId);
    expect(secondTry?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(batch.Failed ?? []).toEqual([]);
    expect(afterRestart?.MessageId).toBe(sent.MessageId);
    expect(afterRestart?.Attributes?.ApproximateReceiveCount).toBe('3');
  });

  it('counts messages whose visibility or delay ran out as visible, without anyone receiving', async () => {
    // Prepare
    const services = await start();
    const { sqs } = clientsFor(services);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'counted', Attributes: { VisibilityTimeout: '1' } }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'received, then expired' }));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'delayed', DelaySeconds: 1 }));

    // Act
    await sleep(1_200);
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));

    // Assess
    expect(Attributes).toMatchObject({ ApproximateNumberOfMessages: '2', ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0' });
  });

  it('fails with PortInUseError naming the flag when the port is taken', async () => {
    // Prepare
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;

    // Act
    const attempt = startServices({ port });

    // Assess
    await expect(attempt).rejects.toThrow(PortInUseError);
    await expect(attempt).rejects.toThrow(/--aws-port/);
    blocker.close();
  });
});
