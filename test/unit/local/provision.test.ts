import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSubscriptionAttributesCommand, ListSubscriptionsByTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalModel, LocalQueue } from '../../../lib/local/model.ts';
import { provision, redriveOrder } from '../../../lib/local/provision.ts';
import { startServices, type LocalServices } from '../../../lib/local/services.ts';

const ACCOUNT = '000000000000';

function modelOn(endpoint: string, overrides: { visibilityTimeout?: string; filter?: string[] } = {}): LocalModel {
  const queue = (name: string, attributes: Record<string, string>): LocalQueue => ({
    logicalId: name,
    name,
    url: `${endpoint}/${ACCOUNT}/${name}`,
    arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`,
    attributes,
  });
  const dlq = queue('work-dlq', { MessageRetentionPeriod: '1209600' });
  const work = queue('work', {
    VisibilityTimeout: overrides.visibilityTimeout ?? '30',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 3 }),
  });
  const other = queue('other', {});
  const topicArn = `arn:aws:sns:us-east-1:${ACCOUNT}:events`;
  return {
    stackName: 'Test',
    stackNames: ['Test'],
    region: 'us-east-1',
    accountId: ACCOUNT,
    assemblyDir: '/nowhere',
    // The work queue first: provisioning must still create its DLQ before it.
    queues: [work, other, dlq],
    topics: [{ logicalId: 'Events', name: 'events', arn: topicArn }],
    subscriptions: [
      { logicalId: 'WorkSub', topicArn, queueArn: work.arn, rawMessageDelivery: true, filterPolicy: JSON.stringify({ eventType: overrides.filter ?? ['order.placed'] }) },
      { logicalId: 'OtherSub', topicArn, queueArn: other.arn, rawMessageDelivery: false },
    ],
    tables: [
      {
        logicalId: 'Ledger',
        name: 'ledger',
        arn: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/ledger`,
        keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        attributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'consumer', AttributeType: 'S' },
        ],
        globalSecondaryIndexes: [{ IndexName: 'byConsumer', KeySchema: [{ AttributeName: 'consumer', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
      },
    ],
    functions: [],
    eventSourceMappings: [],
    outputs: {},
    skipped: [],
  };
}

describe('provision', () => {
  let dataDir: string;
  let services: LocalServices;
  let clients: { sqs: SQSClient; sns: SNSClient; dynamodb: DynamoDBClient };

  const restart = async () => {
    await services?.close();
    services = await startServices({ port: 0, dataDir });
    const config = { endpoint: services.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    clients = { sqs: new SQSClient(config), sns: new SNSClient(config), dynamodb: new DynamoDBClient(config) };
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'queueflow-provision-'));
    await restart();
  });
  afterAll(async () => {
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates queues with their redrive policy, topics, subscriptions and tables', async () => {
    // Prepare
    const model = modelOn(services.endpoint);

    // Act
    const report = await provision(model, clients);

    // Assess
    expect(report.created.sort()).toEqual(['Ledger', 'OtherSub', 'WorkSub', 'other', 'work', 'work-dlq']);
    const attributes = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: model.queues[0]!.url, AttributeNames: ['All'] }));
    expect(JSON.parse(attributes.Attributes!.RedrivePolicy!)).toEqual({ deadLetterTargetArn: model.queues[2]!.arn, maxReceiveCount: 3 });
    const table = await clients.dynamodb.send(new DescribeTableCommand({ TableName: 'ledger' }));
    expect(table.Table?.TableStatus).toBe('ACTIVE');
    expect(table.Table?.GlobalSecondaryIndexes?.[0]?.IndexName).toBe('byConsumer');
  });

  it('delivers a publish only where the filter policy matches, raw where raw delivery is on', async () => {
    // Prepare
    const model = modelOn(services.endpoint);
    const [work, other] = model.queues;

    // Act
    await clients.sns.send(
      new PublishCommand({ TopicArn: model.topics[0]!.arn, Message: '{"id":"e1"}', MessageAttributes: { eventType: { DataType: 'String', StringValue: 'user.erasure_requested' } } }),
    );
    await clients.sns.send(
      new PublishCommand({ TopicArn: model.topics[0]!.arn, Message: '{"id":"e2"}', MessageAttributes: { eventType: { DataType: 'String', StringValue: 'order.placed' } } }),
    );
    const onWork = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: work!.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    const onOther = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: other!.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));

    // Assess
    expect(onWork.Messages?.map((message) => message.Body)).toEqual(['{"id":"e2"}']);
    expect(onOther.Messages).toHaveLength(2);
    expect(JSON.parse(onOther.Messages![0]!.Body!)).toMatchObject({ Type: 'Notification' });
  });

  it('reuses everything after a restart on the same data folder, and applies changed attributes', async () => {
    // Prepare
    await restart();
    const model = modelOn(services.endpoint, { visibilityTimeout: '90', filter: ['order.placed', 'user.erasure_requested'] });

    // Act
    const report = await provision(model, clients);

    // Assess
    expect(report.created).toEqual([]);
    expect(report.updated.sort()).toEqual(['WorkSub', 'work']);
    const attributes = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: model.queues[0]!.url, AttributeNames: ['VisibilityTimeout'] }));
    expect(attributes.Attributes?.VisibilityTimeout).toBe('90');
    const subscriptions = await clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: model.topics[0]!.arn }));
    expect(subscriptions.Subscriptions).toHaveLength(2);
    const workSubscription = subscriptions.Subscriptions!.find((subscription) => subscription.Endpoint === model.queues[0]!.arn)!;
    const subscriptionAttributes = await clients.sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: workSubscription.SubscriptionArn }));
    expect(JSON.parse(subscriptionAttributes.Attributes!.FilterPolicy!)).toEqual({ eventType: ['order.placed', 'user.erasure_requested'] });
  });
});

describe('redriveOrder', () => {
  it('puts each dead-letter queue before the queues that redrive into it, chains included', () => {
    // Prepare
    const q = (name: string, dlq?: string): LocalQueue => ({
      logicalId: name,
      name,
      url: name,
      arn: name,
      attributes: dlq ? { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq, maxReceiveCount: 1 }) } : {},
    });

    // Act
    const order = redriveOrder([q('a', 'b'), q('b', 'c'), q('c'), q('d')]).map((queue) => queue.name);

    // Assess
    expect(order).toEqual(['c', 'b', 'a', 'd']);
  });
});
