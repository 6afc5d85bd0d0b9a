import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchGetItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { AwsQueryProtocol } from '@aws-sdk/core/protocols';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { PortInUseError } from '../../../lib/local/errors.ts';
import { startServices, type LocalServices, type RequestStats } from '../../../lib/local/services.ts';
import { SQS_XML_NAMESPACE } from '../../../lib/local/sqs-query-protocol.ts';
import { rawRequest } from '../../helpers/raw-http.ts';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

function clientsFor(services: LocalServices) {
  const config = { endpoint: services.endpoint, region: 'us-east-1', credentials };
  return { sqs: new SQSClient(config), sns: new SNSClient(config), dynamodb: new DynamoDBClient(config) };
}

/**
 * An SDK v3 SQS client speaking SQS's query protocol (form-encoded requests, XML replies), as the
 * older clients do (Debian's AWS CLI 2.9, boto3 before its JSON switch, aws-sdk v2, Java v1).
 */
function querySqsClient(services: LocalServices): SQSClient {
  return new SQSClient({
    endpoint: services.endpoint,
    region: 'us-east-1',
    credentials,
    protocol: AwsQueryProtocol,
    protocolSettings: { defaultNamespace: 'com.amazonaws.sqs', xmlNamespace: SQS_XML_NAMESPACE, version: '2012-11-05' },
  });
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/**
 * The local addresses (`hex-ip:hex-port`, as in /proc/net/tcp) this process listens on, found by
 * its socket inodes. Linux only.
 */
function listeningAddresses(): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const listening = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is field 1, st field 3 (0A: LISTEN), inode field 9.
      if (fields[3] === '0A' && inodes.has(fields[9]!)) listening.add(fields[1]!);
    }
  }
  return listening;
}

// CreateTable answers CREATING; item calls succeed once the table is ACTIVE (as on AWS), so wait.
const createTable = async (dynamodb: DynamoDBClient, name: string) => {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 10, minDelay: 1, maxDelay: 1 }, { TableName: name });
};

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
    await createTable(dynamodb, 'tbl');
    await dynamodb.send(new PutItemCommand({ TableName: 'tbl', Item: { pk: { S: 'a' } } }));
    const item = await dynamodb.send(new GetItemCommand({ TableName: 'tbl', Key: { pk: { S: 'a' } } }));

    // Assess
    expect(services.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(received.Messages?.[0]?.Body).toBe('hello');
    expect(published.MessageId).toBeDefined();
    expect(item.Item).toEqual({ pk: { S: 'a' } });
  });

  it.skipIf(process.platform !== 'linux')('listens on loopback only: the endpoint and dynalite, and no fauxqs socket', async () => {
    // Prepare
    const before = listeningAddresses();

    // Act
    const dataDir = mkdtempSync(join(tmpdir(), 'queueflow-services-'));
    dirs.push(dataDir);
    const services = await start(dataDir);
    const opened = [...listeningAddresses()].filter((address) => !before.has(address));

    // Assess: 127.0.0.1 is 0100007F in /proc/net/tcp; two sockets, one of them the endpoint.
    expect(opened).toHaveLength(2);
    expect(opened.every((address) => address.startsWith('0100007F:'))).toBe(true);
    expect(opened).toContain(`0100007F:${services.port.toString(16).toUpperCase().padStart(4, '0')}`);
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
    expect(over.requests).toEqual({ sns: { CreateTopic: 1, Publish: 2 }, sqs: { CreateQueue: 1 }, dynamodb: {}, sts: {}, secretsmanager: {} });
    expect(reset.requests).toEqual({ sns: {}, sqs: {}, dynamodb: {}, sts: {}, secretsmanager: {} });
  });

  describe('DynamoDB outages', () => {
    const outages = (services: LocalServices, method: string, path = '', body?: unknown) =>
      fetch(`${services.endpoint}/_queueflow/outages${path}`, { method, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
    // One attempt, so each refused call is one refused request and the test does not wait on backoff.
    const oneAttempt = (services: LocalServices) => new DynamoDBClient({ endpoint: services.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    const getItem = (client: DynamoDBClient, tableName: string) => client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'kept' } } }));
    const withTables = async (...names: string[]) => {
      const services = await start();
      const dynamodb = oneAttempt(services);
      for (const name of names) {
        await createTable(dynamodb, name);
        await dynamodb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'kept' } } }));
      }
      return { services, dynamodb };
    };

    it('refuses every request naming a table that is down with a 503 ServiceUnavailable, until the outage is ended, and keeps its items', async () => {
      // Prepare
      const { services, dynamodb } = await withTables('down', 'other');

      // Act
      const started = await outages(services, 'POST', '', { table: 'down', seconds: 600 });
      const single = await getItem(dynamodb, 'down').catch((error: unknown) => error);
      const batch = await dynamodb
        .send(new BatchGetItemCommand({ RequestItems: { other: { Keys: [{ pk: { S: 'kept' } }] }, down: { Keys: [{ pk: { S: 'kept' } }] } } }))
        .catch((error: unknown) => error);
      const transaction = await dynamodb
        .send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: 'down', Item: { pk: { S: 'new' } } } }] }))
        .catch((error: unknown) => error);
      const other = await getItem(dynamodb, 'other');
      const during = await (await outages(services, 'GET')).json();
      const ended = await (await outages(services, 'DELETE')).json();
      const after = await getItem(dynamodb, 'down');

      // Assess
      const body = (await started.json()) as { table: string; until: string };
      expect(started.status).toBe(200);
      expect(body.table).toBe('down');
      expect(Date.parse(body.until) - Date.now()).toBeGreaterThan(590_000);
      expect(during).toEqual({ outages: [body] });
      for (const error of [single, batch, transaction]) {
        expect(error).toMatchObject({ name: 'ServiceUnavailable', $fault: 'server', $metadata: { httpStatusCode: 503 } });
      }
      expect(other.Item).toEqual({ pk: { S: 'kept' } });
      expect(ended).toEqual({ ended: ['down'] });
      expect(after.Item).toEqual({ pk: { S: 'kept' } });
      expect((await services.stats()).outages).toEqual({ down: { refused: 3 } });
      expect((await services.stats()).requests.dynamodb).toMatchObject({ GetItem: 3, BatchGetItem: 1, TransactWriteItems: 1 });
    });

    it('hands a request on another table to DynamoDB whole, however many chunks it came in', async () => {
      // Prepare
      const { services, dynamodb } = await withTables('down', 'other');
      await outages(services, 'POST', '', { table: 'down', seconds: 600 });
      const large = 'x'.repeat(380_000);

      // Act
      await dynamodb.send(new PutItemCommand({ TableName: 'other', Item: { pk: { S: 'large' }, data: { S: large } } }));
      const read = await dynamodb.send(new GetItemCommand({ TableName: 'other', Key: { pk: { S: 'large' } } }));

      // Assess
      expect(read.Item?.data?.S).toBe(large);
    });

    it('refuses each attempt the SDK makes, as its retry strategy retries a real 503', async () => {
      // Prepare
      const { services } = await withTables('down');
      const retrying = new DynamoDBClient({ endpoint: services.endpoint, region: 'us-east-1', credentials });
      await outages(services, 'POST', '', { table: 'down', seconds: 600 });

      // Act
      const error = (await getItem(retrying, 'down').catch((error: unknown) => error)) as { $metadata: { attempts: number } };

      // Assess
      expect(error.$metadata.attempts).toBeGreaterThan(1);
      expect((await services.stats()).outages).toEqual({ down: { refused: error.$metadata.attempts } });
    });

    it('ends an outage when its time is up', async () => {
      // Prepare
      const { services, dynamodb } = await withTables('brief');
      await outages(services, 'POST', '', { table: 'brief', seconds: 1 });
      const during = await getItem(dynamodb, 'brief').catch((error: unknown) => error);

      // Act
      await sleep(1_100);
      const after = await getItem(dynamodb, 'brief');
      const listed = await (await outages(services, 'GET')).json();

      // Assess
      expect(during).toMatchObject({ name: 'ServiceUnavailable' });
      expect(after.Item).toEqual({ pk: { S: 'kept' } });
      expect(listed).toEqual({ outages: [] });
    });

    it('ends the outage of one table by name, and no other', async () => {
      // Prepare
      const { services, dynamodb } = await withTables('first', 'second');
      await outages(services, 'POST', '', { table: 'first', seconds: 600 });
      await outages(services, 'POST', '', { table: 'second', seconds: 600 });

      // Act
      const ended = await (await outages(services, 'DELETE', '/first')).json();
      const first = await getItem(dynamodb, 'first');
      const second = await getItem(dynamodb, 'second').catch((error: unknown) => error);

      // Assess
      expect(ended).toEqual({ ended: ['first'] });
      expect(first.Item).toEqual({ pk: { S: 'kept' } });
      expect(second).toMatchObject({ name: 'ServiceUnavailable' });
    });

    it('starts no outage from a request that is not JSON, out of bounds, or names no table', async () => {
      // Prepare
      const { services } = await withTables('real');

      // Act
      const answers = await Promise.all(
        ['{', { table: 'real', seconds: 0 }, { table: 'real', seconds: 86_401 }, { table: 'real' }, { table: 'real', seconds: 5, extra: 1 }, { table: 'missing', seconds: 5 }].map(
          async (body) => (await outages(services, 'POST', '', body)).status,
        ),
      );
      const listed = await (await outages(services, 'GET')).json();

      // Assess
      expect(answers).toEqual([400, 400, 400, 400, 400, 404]);
      expect(listed).toEqual({ outages: [] });
    });
  });

  it('reports Lambda invocations since the last reset', async () => {
    // Prepare
    let invocations = 3;
    const services = await start();
    services.setLambdaStats(() => ({ Fn: { invocations, errors: 1 } }));
    await services.resetStats();

    // Act
    invocations = 5;
    const stats = await services.stats();

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
    await createTable(before.dynamodb, 'kept');
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

  describe("SQS's query protocol", () => {
    it('serves an SDK client speaking it: queues, messages with attributes (the SDK checks their MD5s), batches, attributes and errors', async () => {
      // Prepare
      const services = await start();
      const sqs = querySqsClient(services);
      const sent: string[] = [];
      sqs.middlewareStack.add((next) => async (args) => {
        sent.push(String((args.request as { headers: Record<string, string> }).headers['content-type']));
        return next(args);
      }, { step: 'finalizeRequest' });

      // Act
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'orders', Attributes: { VisibilityTimeout: '30' } }));
      const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'orders-dlq' }));
      const { Attributes: dlqAttributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqAttributes!.QueueArn, maxReceiveCount: 3 }) } }));
      await sqs.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: 'line one\r\nline <two> & "three"',
          MessageAttributes: { eventType: { DataType: 'String', StringValue: 'order.placed' }, raw: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 255]) } },
        }),
      );
      const batch = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'a', MessageBody: 'a' }, { Id: 'b', MessageBody: 'b', DelaySeconds: 0 }] }));
      const received = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['ApproximateReceiveCount'], WaitTimeSeconds: 1 }),
      );
      const messages = received.Messages ?? [];
      const first = messages.find((message) => message.MessageAttributes !== undefined)!;
      await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first.ReceiptHandle }));
      const deleted = await sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl, Entries: messages.filter((message) => message !== first).map((message, index) => ({ Id: `m${index}`, ReceiptHandle: message.ReceiptHandle })) }),
      );
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
      const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'orders' }));
      const missing = await sqs.send(new GetQueueUrlCommand({ QueueName: 'nope' })).catch((error: unknown) => error);

      // Assess
      expect(new Set(sent)).toEqual(new Set(['application/x-www-form-urlencoded']));
      expect(QueueUrl).toBe(`${services.endpoint}/000000000000/orders`);
      expect(batch.Successful?.map((entry) => entry.Id).sort()).toEqual(['a', 'b']);
      expect(messages).toHaveLength(3);
      expect(first.Body).toBe('line one\r\nline <two> & "three"');
      expect(first.MessageAttributes).toEqual({
        eventType: { DataType: 'String', StringValue: 'order.placed' },
        raw: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 255]) },
      });
      expect(first.Attributes).toEqual({ ApproximateReceiveCount: '1' });
      expect(deleted.Successful).toHaveLength(2);
      expect(Attributes).toMatchObject({ VisibilityTimeout: '30', ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
      expect(JSON.parse(Attributes!.RedrivePolicy!)).toMatchObject({ deadLetterTargetArn: dlqAttributes!.QueueArn });
      expect(listed.QueueUrls?.sort()).toEqual([QueueUrl, dlq.QueueUrl]);
      expect(missing).toBeInstanceOf(QueueDoesNotExist);
      expect(missing).toMatchObject({ Code: 'AWS.SimpleQueueService.NonExistentQueue', $metadata: { httpStatusCode: 400 } });
    });

    it('takes a request posted to the queue URL with no QueueUrl field, as aws-sdk v2 sends it', async () => {
      // Prepare
      const services = await start();
      const { sqs } = clientsFor(services);
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'orders' }));

      // Act
      const sent = await rawRequest(QueueUrl!, { method: 'POST', headers: FORM, body: 'Action=SendMessage&Version=2012-11-05&MessageBody=hello' });
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));

      // Assess
      expect(sent.status).toBe(200);
      expect(sent.headers['content-type']).toBe('text/xml');
      expect(sent.body).toContain(`<SendMessageResponse xmlns="${SQS_XML_NAMESPACE}"><SendMessageResult><MD5OfMessageBody>5d41402abc4b2a76b9719d911017c592</MD5OfMessageBody>`);
      expect(received.Messages?.[0]?.Body).toBe('hello');
    });

    it('routes a form request by its action when no signature names the service: SQS actions to SQS, the others to SNS', async () => {
      // Prepare
      const services = await start();
      await clientsFor(services).sns.send(new CreateTopicCommand({ Name: 't' }));

      // Act
      const sqsReply = await rawRequest(`${services.endpoint}/`, { method: 'POST', headers: FORM, body: 'Action=ListQueues&Version=2012-11-05' });
      const snsReply = await rawRequest(`${services.endpoint}/`, { method: 'POST', headers: FORM, body: 'Action=ListTopics&Version=2010-03-31' });

      // Assess
      expect(sqsReply.body).toContain(`<ListQueuesResponse xmlns="${SQS_XML_NAMESPACE}"><ListQueuesResult/>`);
      expect(snsReply.body).toContain('<ListTopicsResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">');
      expect(snsReply.body).toContain('arn:aws:sns:us-east-1:000000000000:t');
      expect((await services.stats()).requests).toMatchObject({ sqs: { ListQueues: 1 }, sns: { CreateTopic: 1, ListTopics: 1 } });
    });

    it('answers an unknown action signed for sqs with an InvalidAction ErrorResponse', async () => {
      // Prepare
      const services = await start();
      const authorization = 'AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0';

      // Act
      const reply = await rawRequest(`${services.endpoint}/`, { method: 'POST', headers: { ...FORM, authorization }, body: 'Action=Publish&Version=2012-11-05' });

      // Assess
      expect(reply.status).toBe(400);
      expect(reply.body).toMatch(/<ErrorResponse xmlns="http:\/\/queue\.amazonaws\.com\/doc\/2012-11-05\/"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code>.*<RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/);
    });
  });

  describe('what the endpoint refuses', () => {
    it("answers 404 to fauxqs's S3 and /_fauxqs routes: no bucket, no message bodies", async () => {
      // Prepare
      const services = await start();
      const { sqs } = clientsFor(services);
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'orders' }));
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'secret body' }));

      // Act
      const replies = await Promise.all([
        rawRequest(`${services.endpoint}/_fauxqs/queues`),
        rawRequest(`${services.endpoint}/_fauxqs/queues/orders`),
        rawRequest(`${services.endpoint}/bucket`, { method: 'PUT' }),
        rawRequest(`${services.endpoint}/bucket/key`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: 'x' }),
        rawRequest(`${services.endpoint}/health`),
        rawRequest(`${services.endpoint}/`),
      ]);

      // Assess
      expect(replies.map((reply) => reply.status)).toEqual([404, 404, 404, 404, 404, 404]);
      expect(replies.map((reply) => reply.body).join('')).not.toContain('secret body');
      expect(replies[0]!.body).toContain('<Code>NotFound</Code>');
    });

    it('refuses a DNS-rebinding request (a Host that is not a loopback name) with 403, on AWS and control routes alike', async () => {
      // Prepare
      const services = await start();
      const host = 'evil.example';

      // Act
      const aws = await rawRequest(`${services.endpoint}/`, { method: 'POST', headers: { ...FORM, host }, body: 'Action=ListQueues' });
      const json = await rawRequest(`${services.endpoint}/`, {
        method: 'POST',
        headers: { host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues' },
        body: '{}',
      });
      const stats = await rawRequest(`${services.endpoint}/_queueflow/stats`, { headers: { host: `${host}:${services.port}` } });

      // Assess
      expect([aws.status, json.status, stats.status]).toEqual([403, 403, 403]);
      expect(aws.body).toContain('<Code>AccessDenied</Code>');
      expect(JSON.parse(json.body)).toMatchObject({ __type: 'AccessDeniedException', message: expect.stringContaining('DNS rebinding') });
      expect(JSON.parse(stats.body)).toEqual({ message: expect.stringContaining('Host "evil.example:') });
      expect((await services.stats()).requests.sqs).toEqual({});
    });

    it('refuses a cross-origin form post that would publish to the topic, and publishes nothing; the same post with no Origin publishes', async () => {
      // Prepare
      const services = await start();
      const { sqs, sns } = clientsFor(services);
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'events' }));
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'subscriber' }));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn, Attributes: { RawMessageDelivery: 'true' } }));
      const publish = `Action=Publish&Version=2010-03-31&TopicArn=${encodeURIComponent(TopicArn!)}&Message=`;

      // Act
      const fromPage = await rawRequest(`${services.endpoint}/`, { method: 'POST', headers: { ...FORM, origin: 'http://evil.example' }, body: `${publish}forged` });
      const fromSite = await rawRequest(`${services.endpoint}/`, { method: 'POST', headers: { 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' }, body: `${publish}forged` });
      const afterRefusals = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
      const fromCli = await rawRequest(`${services.endpoint}/`, { method: 'POST', headers: FORM, body: `${publish}wanted` });
      const afterCli = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));

      // Assess
      expect([fromPage.status, fromSite.status, fromCli.status]).toEqual([403, 403, 200]);
      expect(fromPage.body).toContain('Refused a cross-origin request from http://evil.example');
      expect(afterRefusals.Messages).toBeUndefined();
      expect(afterCli.Messages?.map((message) => message.Body)).toEqual(['wanted']);
      expect((await services.stats()).requests.sns.Publish).toBe(1);
    });

    it('refuses an outage started from a web page', async () => {
      // Prepare
      const services = await start();
      const { dynamodb } = clientsFor(services);
      await createTable(dynamodb, 'ledger');

      // Act
      const refused = await rawRequest(`${services.endpoint}/_queueflow/outages`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'http://evil.example' },
        body: JSON.stringify({ table: 'ledger', seconds: 60 }),
      });
      const listed = await fetch(`${services.endpoint}/_queueflow/outages`).then((response) => response.json());

      // Assess
      expect(refused.status).toBe(403);
      expect(listed).toEqual({ outages: [] });
    });

    it('serves a JSON request from its own origin', async () => {
      // Prepare
      const services = await start();

      // Act
      const reply = await rawRequest(`${services.endpoint}/`, {
        method: 'POST',
        headers: { origin: services.endpoint, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues' },
        body: '{}',
      });

      // Assess
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toEqual({ QueueUrls: [] });
    });
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
