import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CfnResource } from 'aws-cdk-lib';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { beforeAll, describe, expect, it } from 'vitest';
import { AssemblyNotFoundError, StackNotFoundError, UnsupportedTemplateError } from '../../../lib/local/errors.ts';
import type { LocalModel } from '../../../lib/local/model.ts';
import { readCloudAssembly } from '../../../lib/local/template-reader.ts';
import { synthTinyStack, TINY_STACK } from './tiny-stack.ts';

const ENDPOINT = 'http://127.0.0.1:4566';
const API_URL = 'http://127.0.0.1:3000/';
const KEY = 'k'.repeat(40);

const read = (assemblyDir: string, stackName = TINY_STACK) =>
  readCloudAssembly({ assemblyDir, stackNames: [stackName], endpoint: ENDPOINT, apiUrl: API_URL, apiKeyValue: () => KEY });

/** A one-stack assembly with a hand-written template, for shapes CDK would not produce easily. */
function assemblyWith(resources: Record<string, unknown>, outputs: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'queueflow-assembly-'));
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({ version: '48.0.0', artifacts: { Hand: { type: 'aws:cloudformation:stack', environment: 'aws://unknown-account/unknown-region', properties: { templateFile: 'Hand.template.json' } } } }),
  );
  writeFileSync(join(dir, 'Hand.template.json'), JSON.stringify({ Resources: resources, Outputs: outputs }));
  return dir;
}

describe('readCloudAssembly on a synthesized stack', () => {
  let model: LocalModel;
  let assemblyDir: string;

  beforeAll(() => {
    assemblyDir = synthTinyStack();
    model = read(assemblyDir);
  });

  it('forms queue names, URLs on the endpoint and ARNs in the local account', () => {
    // Assess
    const work = model.queues.find((queue) => queue.logicalId.startsWith('WorkQueue'))!;
    expect(work.name).toBe(`${TINY_STACK}-${work.logicalId}`);
    expect(work.url).toBe(`${ENDPOINT}/000000000000/${work.name}`);
    expect(work.arn).toBe(`arn:aws:sqs:us-east-1:000000000000:${work.name}`);
  });

  it('resolves the redrive policy to the DLQ ARN with its maxReceiveCount', () => {
    // Assess
    const work = model.queues.find((queue) => queue.logicalId.startsWith('WorkQueue'))!;
    const dlq = model.queues.find((queue) => queue.logicalId.startsWith('WorkDlq'))!;
    expect(JSON.parse(work.attributes.RedrivePolicy!)).toEqual({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 3 });
    expect(work.attributes.VisibilityTimeout).toBe('60');
    expect(dlq.attributes.MessageRetentionPeriod).toBe('1209600');
  });

  it('reads the subscription with raw delivery and its filter policy as JSON', () => {
    // Assess
    expect(model.subscriptions).toEqual([
      expect.objectContaining({
        topicArn: model.topics[0]!.arn,
        queueArn: model.queues.find((queue) => queue.logicalId.startsWith('WorkQueue'))!.arn,
        rawMessageDelivery: true,
        filterPolicy: '{"eventType":["order.placed"]}',
      }),
    ]);
  });

  it('reads the table key schema and TTL attribute', () => {
    // Assess
    expect(model.tables).toEqual([
      expect.objectContaining({
        keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        ttlAttribute: 'expiration',
      }),
    ]);
  });

  it('reads the function with an absolute asset folder and resolved environment', () => {
    // Assess
    const [fn] = model.functions;
    const table = model.tables[0]!;
    expect(fn).toMatchObject({
      handler: 'index.handler',
      runtime: 'nodejs24.x',
      architecture: 'arm64',
      timeoutSeconds: 10,
      memorySizeMb: 256,
    });
    expect(fn!.assetDir.startsWith(assemblyDir)).toBe(true);
    expect(fn!.environment).toEqual({
      QUEUE_URL: model.queues.find((queue) => queue.logicalId.startsWith('WorkQueue'))!.url,
      TOPIC_ARN: model.topics[0]!.arn,
      TABLE_NAME: table.name,
      REGION_AND_NAME: `us-east-1/${table.name}`,
    });
  });

  it('reads the event source mapping settings', () => {
    // Assess
    expect(model.eventSourceMappings).toEqual([
      expect.objectContaining({
        functionLogicalId: model.functions[0]!.logicalId,
        batchSize: 5,
        maximumBatchingWindowSeconds: 1,
        maximumConcurrency: 3,
        reportBatchItemFailures: true,
        enabled: true,
      }),
    ]);
  });

  it('reads the routes with their resource paths, API keys, validators and models', () => {
    // Assess
    const orders = model.api!.routes.find((route) => route.resourcePath === '/orders')!;
    const erasure = model.api!.routes.find((route) => route.resourcePath === '/users/{userId}/erasure')!;
    expect(orders).toMatchObject({ method: 'POST', apiKeyRequired: true, validateRequestBody: true, validateRequestParameters: true });
    expect(orders.requestModels['application/json']).toMatchObject({ type: 'object', required: ['orderId'] });
    expect(erasure).toMatchObject({ validateRequestBody: false, requestParameters: { 'method.request.path.userId': true } });
  });

  it('takes the tightest throttle of stage and usage plan, and the generated API key', () => {
    // Assess
    expect(model.api!.throttle).toEqual({ rateLimit: 20, burstLimit: 50 });
    expect(model.api!.apiKeys).toEqual([expect.objectContaining({ value: KEY })]);
    expect(model.api!.stageName).toBe('v1');
    expect(model.api!.gatewayResponses.BAD_REQUEST_BODY).toMatchObject({ statusCode: '400' });
  });

  it('resolves every output to its local value, the API URL to the local gateway', () => {
    // Assess
    expect(model.outputs.ApiUrl).toBe(API_URL);
    expect(model.outputs.ApiKeyId).toBe(model.api!.apiKeys[0]!.id);
    expect(model.outputs.WorkQueueUrl).toMatch(new RegExp(`^${ENDPOINT}/000000000000/${TINY_STACK}-WorkQueue`));
    expect(model.outputs.LedgerTableName).toBe(model.tables[0]!.name);
    expect(model.outputs.WorkerFunctionName).toBe(model.functions[0]!.name);
  });

  it('lists IAM, permissions, policies and the API account as skipped', () => {
    // Assess
    const types = new Set(model.skipped.map((entry) => entry.type));
    expect(types).toEqual(new Set(['AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::SQS::QueuePolicy', 'AWS::Lambda::Permission', 'AWS::ApiGateway::Account', 'AWS::ApiGateway::Deployment', 'AWS::ApiGateway::UsagePlanKey']));
  });

  it('names the stacks it found when the stack is missing', () => {
    // Act
    const act = () => read(assemblyDir, 'Nope');

    // Assess
    expect(act).toThrow(StackNotFoundError);
    expect(act).toThrow(/"Nope".*TinyStack/);
  });
});

describe('readCloudAssembly with an email subscription (the alarm topic\'s)', () => {
  it('skips it knowingly, says why, and keeps the SQS subscriptions', () => {
    // Prepare
    let emailSubscriptionId = '';
    const assemblyDir = synthTinyStack((stack, { topic }) => {
      const subscription = topic.addSubscription(new EmailSubscription('ops@example.com'));
      emailSubscriptionId = stack.getLogicalId(subscription.node.defaultChild as CfnResource);
    });

    // Act
    const model = read(assemblyDir);

    // Assess
    expect(model.subscriptions).toEqual([expect.objectContaining({ queueArn: model.queues.find((queue) => queue.logicalId.startsWith('WorkQueue'))!.arn })]);
    expect(model.skipped).toContainEqual({ logicalId: emailSubscriptionId, type: 'AWS::SNS::Subscription', detail: 'email, not delivered locally' });
  });

  it.each(['email', 'email-json', 'sms'])('skips an inline %s subscription of a topic', (protocol) => {
    // Prepare
    const dir = assemblyWith({ T: { Type: 'AWS::SNS::Topic', Properties: { Subscription: [{ Protocol: protocol, Endpoint: 'ops@example.com' }] } } });

    // Act
    const model = read(dir, 'Hand');

    // Assess
    expect(model.subscriptions).toEqual([]);
    expect(model.skipped).toEqual([{ logicalId: 'T.Subscription[0]', type: 'AWS::SNS::Subscription', detail: `${protocol}, not delivered locally` }]);
  });
});

describe('readCloudAssembly refuses what it would not reproduce', () => {
  it('explains a missing assembly', () => {
    expect(() => read(join(tmpdir(), 'queueflow-no-such-assembly'))).toThrow(AssemblyNotFoundError);
  });

  it.each([
    ['an unknown resource type', { B: { Type: 'AWS::S3::Bucket' } }, /B \(AWS::S3::Bucket\).*not emulated/],
    [
      'an SNS subscription that is neither SQS nor to a person',
      { T: { Type: 'AWS::SNS::Topic' }, S: { Type: 'AWS::SNS::Subscription', Properties: { TopicArn: { Ref: 'T' }, Protocol: 'https', Endpoint: 'https://hooks.example.com/' } } },
      /S \(AWS::SNS::Subscription\) property Protocol: protocol https is not emulated/,
    ],
    [
      'Lambda layers',
      { F: { Type: 'AWS::Lambda::Function', Metadata: { 'aws:asset:path': 'asset.x' }, Properties: { Runtime: 'nodejs24.x', Handler: 'index.handler', Layers: ['arn'] } } },
      /F \(AWS::Lambda::Function\) property Layers/,
    ],
    [
      'a Python function',
      { F: { Type: 'AWS::Lambda::Function', Metadata: { 'aws:asset:path': 'asset.x' }, Properties: { Runtime: 'python3.13', Handler: 'index.handler' } } },
      /F \(AWS::Lambda::Function\) property Runtime/,
    ],
    [
      'an event source mapping with filter criteria',
      { M: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { FilterCriteria: { Filters: [] } } } },
      /M \(AWS::Lambda::EventSourceMapping\) property FilterCriteria/,
    ],
    ['a conditional resource', { Q: { Type: 'AWS::SQS::Queue', Condition: 'IsProd' } }, /Q \(AWS::SQS::Queue\) property Condition/],
  ])('%s', (_name, resources, message) => {
    // Prepare
    const dir = assemblyWith(resources);

    // Act
    const act = () => read(dir, 'Hand');

    // Assess
    expect(act).toThrow(UnsupportedTemplateError);
    expect(act).toThrow(message);
  });

  it('names the output whose reference does not exist', () => {
    // Prepare
    const dir = assemblyWith({ Q: { Type: 'AWS::SQS::Queue' } }, { Broken: { Value: { Ref: 'Missing' } } });

    // Act & Assess
    expect(() => read(dir, 'Hand')).toThrow(/Outputs.Broken.*Missing/);
  });

  it('honours explicit physical names and skips log-retention custom resources with their provider', () => {
    // Prepare
    const dir = assemblyWith(
      {
        Q: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'orders' } },
        Retention: { Type: 'Custom::LogRetention', Properties: { ServiceToken: { 'Fn::GetAtt': ['Provider', 'Arn'] } } },
        Provider: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs18.x', Code: { S3Bucket: 'b' } } },
      },
      { Url: { Value: { Ref: 'Q' } } },
    );

    // Act
    const model = read(dir, 'Hand');

    // Assess
    expect(model.outputs.Url).toBe(`${ENDPOINT}/000000000000/orders`);
    expect(model.functions).toEqual([]);
    expect(model.skipped.map((entry) => entry.logicalId).sort()).toEqual(['Provider', 'Retention']);
  });
});
