import { Match } from 'aws-cdk-lib/assertions';
import type { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { sampleStack } from './workflow-fixture.ts';

const { stack, template } = sampleStack();
const workflow = stack.workflow;
const CONSUMERS = {
  email: ['order.placed', 'user.erasure_requested'],
  sms: ['order.placed', 'user.erasure_requested'],
  inventory: ['order.placed'],
} as const;

const logicalId = (construct: IConstruct): string => stack.getLogicalId(construct.node.defaultChild as CfnResource);
const consumer = (name: string) => {
  const found = workflow.consumers.get(name);
  if (!found) throw new Error(`no consumer ${name}`);
  return found;
};
const getAtt = (construct: IConstruct, attribute = 'Arn') => ({ 'Fn::GetAtt': [logicalId(construct), attribute] });

describe('QueueflowSample stack', () => {
  it('declares an event topic, an alarm topic, one API and per consumer a queue, a DLQ, a subscription, a function and two alarms', () => {
    // Act
    const count = (type: string) => Object.keys(template.findResources(type)).length;

    // Assess
    // The event topic, the ordered (FIFO) topic of the account lifecycle, the alarm topic.
    expect(count('AWS::SNS::Topic')).toBe(3);
    expect(count('AWS::KMS::Key')).toBe(2);
    // No alarm email without the queueflow:alarmEmail context value.
    // Per consumer (the sample's and the webhook sources' consumers alike).
    const consumers = workflow.consumers.size;
    expect(count('AWS::SNS::Subscription')).toBe(consumers);
    expect(count('AWS::SQS::Queue')).toBe(2 * consumers);
    // The consumers, the producer and the webhook receiver.
    expect(count('AWS::Lambda::Function')).toBe(consumers + 2);
    expect(count('AWS::Lambda::EventSourceMapping')).toBe(consumers);
    // Idempotency, failures, erasure tombstones, the sample's ledger and billing's accounts.
    expect(count('AWS::DynamoDB::Table')).toBe(5);
    expect(count('AWS::CloudWatch::Alarm')).toBe(2 * consumers);
    expect(count('AWS::CloudWatch::Dashboard')).toBe(1);
    expect(count('AWS::ApiGateway::RestApi')).toBe(1);
    const webhookSources = workflow.webhooks?.sources.size ?? 0;
    expect(count('AWS::ApiGateway::Method')).toBe(workflow.eventCatalog.length + webhookSources);
    expect(count('AWS::ApiGateway::Model')).toBe(workflow.eventCatalog.length);
    expect(count('AWS::SecretsManager::Secret')).toBe(webhookSources);
  });

  it.each(Object.entries(CONSUMERS))('subscribes %s to its event types with raw delivery', (name, eventTypes) => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      Endpoint: getAtt(consumer(name).queue),
      TopicArn: { Ref: logicalId(workflow.topic) },
      RawMessageDelivery: true,
      FilterPolicy: { eventType: [...eventTypes] },
    });
  });

  // The default retry budget of an hour: with a 60 s visibility, a crashed batch comes back after at
  // most 60 s, so covering the hour takes 65 receives (31 with the library's 30 s default timeout).
  it.each(Object.keys(CONSUMERS))('gives %s a DLQ kept 14 days after 65 receives, and a 60 s visibility (6 × 10 s)', (name) => {
    // Arrange
    const { queue, deadLetterQueue } = consumer(name);

    // Act
    const { Resources } = template.toJSON();

    // Assess
    expect(Resources[logicalId(queue)].Properties).toEqual({
      VisibilityTimeout: 60,
      MessageRetentionPeriod: 4 * 24 * 3600,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: getAtt(deadLetterQueue), maxReceiveCount: 65 },
    });
    expect(Resources[logicalId(deadLetterQueue)].Properties).toEqual({
      MessageRetentionPeriod: 1_209_600,
      SqsManagedSseEnabled: true,
    });
  });

  it('encrypts every queue and denies it any request without TLS', () => {
    // Arrange
    const queues = template.findResources('AWS::SQS::Queue');
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));

    // Assess
    for (const [id, queue] of Object.entries(queues)) {
      expect(queue.Properties.SqsManagedSseEnabled, id).toBe(true);
      const sslDenied = policies.some(
        (policy) =>
          JSON.stringify(policy.Properties.Queues).includes(id) &&
          policy.Properties.PolicyDocument.Statement.some(
            (statement: { Effect: string; Condition?: unknown }) =>
              statement.Effect === 'Deny' &&
              JSON.stringify(statement.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
          ),
      );
      expect(sslDenied, `${id} enforces TLS`).toBe(true);
    }
  });

  it('encrypts the topic with a rotating customer-managed key and enforces TLS on it', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: getAtt(workflow.topicKey) });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it.each([
    ['idempotency', 'id', true],
    ['failure', 'pk', true],
    ['tombstone', 'pk', true],
    ['ledger', 'pk', false],
  ] as const)('makes the %s table on-demand, encrypted, with PITR, key %s', (table, key, hasTtl) => {
    // Arrange
    const resource = {
      idempotency: workflow.idempotencyTable,
      failure: workflow.failureTable,
      tombstone: workflow.tombstoneTable!,
      ledger: stack.ledgerTable,
    }[table];

    // Act
    const properties = template.toJSON().Resources[logicalId(resource)].Properties;

    // Assess
    expect(properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(properties.TimeToLiveSpecification).toEqual(hasTtl ? { AttributeName: 'expiration', Enabled: true } : undefined);
  });

  it.each(Object.keys(CONSUMERS))('drains %s with partial batch responses, 10 records a batch', (name) => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: getAtt(consumer(name).queue),
      FunctionName: { Ref: logicalId(consumer(name).function) },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it.each(Object.entries(CONSUMERS))('configures %s with the documented environment', (name, eventTypes) => {
    const { queue, deadLetterQueue } = consumer(name);
    // Only consumers that take the erasure event type keep tombstones.
    const erasure = (eventTypes as readonly string[]).includes('user.erasure_requested')
      ? {
          ERASURE_EVENT_TYPES: 'user.erasure_requested',
          TOMBSTONE_TABLE_NAME: { Ref: logicalId(workflow.tombstoneTable!) },
          TOMBSTONE_TTL_SECONDS: String(90 * 86_400),
        }
      : {};
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 10,
      Environment: {
        Variables: {
          CONSUMER_NAME: name,
          QUEUE_URL: { Ref: logicalId(queue) },
          DLQ_URL: { Ref: logicalId(deadLetterQueue) },
          MAX_RECEIVE_COUNT: '65',
          IDEMPOTENCY_TABLE_NAME: { Ref: logicalId(workflow.idempotencyTable) },
          FAILURE_TABLE_NAME: { Ref: logicalId(workflow.failureTable) },
          LEDGER_TABLE_NAME: { Ref: logicalId(stack.ledgerTable) },
          // The library's default backoff: 2 s, doubling up to 300 s.
          BACKOFF_BASE_SECONDS: '2',
          BACKOFF_CAP_SECONDS: '300',
          FAILURE_TTL_SECONDS: '1209600',
          IDEMPOTENCY_TTL_SECONDS: '86400',
          POWERTOOLS_SERVICE_NAME: `queueflow-${name}`,
          ...erasure,
        },
      },
    });
  });

  it('configures the producer with the topic, the idempotency table and the event source', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: {
        Variables: {
          TOPIC_ARN: { Ref: logicalId(workflow.topic) },
          IDEMPOTENCY_TABLE_NAME: { Ref: logicalId(workflow.idempotencyTable) },
          IDEMPOTENCY_TTL_SECONDS: '86400',
          EVENT_SOURCE: 'queueflow/sample',
          POWERTOOLS_SERVICE_NAME: 'queueflow-producer',
        },
      },
    });
  });

  describe('IAM', () => {
    const statementsOf = (fn: IConstruct & { role?: IConstruct }) => {
      const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
        JSON.stringify(policy.Properties.Roles).includes(logicalId(fn.role as IConstruct)),
      );
      return policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    };
    const logs = (fn: IConstruct) => ({
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [stack.getLogicalId(fn.node.scope!.node.findChild(`${fn.node.id}Logs`).node.defaultChild as CfnResource), 'Arn'] },
    });

    it('grants no action on every resource', () => {
      const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement,
      );
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) expect(statement.Resource).not.toBe('*');
      expect(Object.keys(template.findResources('AWS::IAM::Role', { Properties: { ManagedPolicyArns: Match.anyValue() } }))).toEqual([
        // Only API Gateway's account-level logging role uses a managed policy.
        logicalId(workflow.api.node.findChild('CloudWatchRole')),
      ]);
    });

    it.each(Object.entries(CONSUMERS))(
      'lets %s consume its queue, dead-letter to its DLQ, and use only its own items of idempotency, failures, tombstones and the ledger',
      (name, eventTypes) => {
        const { function: fn, queue, deadLetterQueue } = consumer(name);
        // Each shared table holds every function's items: a consumer may touch only those keyed `<consumer>#…`.
        const ownItems = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${name}#*`] } };
        const tombstones = (eventTypes as readonly string[]).includes('user.erasure_requested')
          ? [{ Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Condition: ownItems, Effect: 'Allow', Resource: getAtt(workflow.tombstoneTable!) }]
          : [];
        expect(statementsOf(fn)).toEqual([
          logs(fn),
          {
            Action: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
            Effect: 'Allow',
            Resource: getAtt(queue),
          },
          // A permanent failure is sent to the DLQ at once.
          { Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], Effect: 'Allow', Resource: getAtt(deadLetterQueue) },
          {
            Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
            Condition: ownItems,
            Effect: 'Allow',
            Resource: getAtt(workflow.idempotencyTable),
          },
          { Action: 'dynamodb:UpdateItem', Condition: ownItems, Effect: 'Allow', Resource: getAtt(workflow.failureTable) },
          ...tombstones,
          { Action: 'dynamodb:UpdateItem', Condition: ownItems, Effect: 'Allow', Resource: getAtt(stack.ledgerTable) },
        ]);
      },
    );

    it('lets the producer publish to the topic and use idempotency, nothing more', () => {
      const producer = workflow.producer;
      expect(statementsOf(producer)).toEqual([
        logs(producer),
        { Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: logicalId(workflow.topic) } },
        { Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Effect: 'Allow', Resource: getAtt(workflow.topicKey) },
        // The account lifecycle's FIFO topic, encrypted with the same key.
        { Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: logicalId(workflow.orderedTopic!) } },
        {
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          Effect: 'Allow',
          Resource: getAtt(workflow.idempotencyTable),
          // Its own records only: the consumers' records share the table.
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['producer#*'] } },
        },
      ]);
    });
  });

  describe('monitoring', () => {
    it('notifies the alarm topic when any alarm fires and when it recovers', () => {
      const alarmTopic = { Ref: logicalId(workflow.alarmTopic) };
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
      expect(alarms).toHaveLength(2 * workflow.consumers.size);
      for (const alarm of alarms) expect([alarm.Properties.AlarmActions, alarm.Properties.OKActions]).toEqual([[alarmTopic], [alarmTopic]]);
      template.hasOutput('AlarmTopicArn', { Value: alarmTopic });
    });

    it.each(Object.keys(CONSUMERS))('alarms on any message in the %s DLQ and on its queue\'s oldest message past 300 s', (name) => {
      const { queue, deadLetterQueue } = consumer(name);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(deadLetterQueue, 'QueueName') }],
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(queue, 'QueueName') }],
        Threshold: 300,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    });

    it('charts queue depth, DLQ depth, errors, throttles and duration for every consumer', () => {
      // Arrange
      const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));

      // Act
      const body = JSON.stringify(dashboard.Properties.DashboardBody);

      // Assess
      for (const name of Object.keys(CONSUMERS)) {
        for (const title of ['queue depth', 'DLQ depth', 'errors and throttles', 'duration']) expect(body).toContain(`${name}: ${title}`);
        expect(body).toContain(logicalId(consumer(name).deadLetterQueue));
        expect(body).toContain(logicalId(consumer(name).function));
      }
      for (const metric of ['ApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesNotVisible', 'Errors', 'Throttles', 'Duration']) {
        expect(body).toContain(metric);
      }
    });
  });

  it('publishes the documented outputs under their readable keys, and no other', () => {
    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual(
      [
        'ApiUrl',
        'ApiKeyId',
        'TopicArn',
        'OrderedTopicArn',
        'AlarmTopicArn',
        'IdempotencyTableName',
        'FailureTableName',
        'LedgerTableName',
        'TombstoneTableName',
        ...['Email', 'Sms', 'Inventory'].flatMap((pascal) => [`${pascal}QueueUrl`, `${pascal}DlqUrl`, `${pascal}FunctionName`]),
        // The webhook sources and their consumers (test/cdk/webhooks.test.ts).
        ...['Stripe', 'Github'].flatMap((pascal) => [`${pascal}WebhookUrl`, `${pascal}WebhookSecretArn`]),
        ...['Payments', 'Repository'].flatMap((pascal) => [`${pascal}QueueUrl`, `${pascal}DlqUrl`, `${pascal}FunctionName`]),
        // The ordered account lifecycle's consumer (test/cdk/ordering.test.ts).
        ...['Billing'].flatMap((pascal) => [`${pascal}QueueUrl`, `${pascal}DlqUrl`, `${pascal}FunctionName`]),
      ].sort(),
    );
    template.hasOutput('EmailDlqUrl', { Value: { Ref: logicalId(consumer('email').deadLetterQueue) } });
    template.hasOutput('InventoryFunctionName', { Value: { Ref: logicalId(consumer('inventory').function) } });
    template.hasOutput('LedgerTableName', { Value: { Ref: logicalId(stack.ledgerTable) } });
    template.hasOutput('TombstoneTableName', { Value: { Ref: logicalId(workflow.tombstoneTable!) } });
    template.hasOutput('ApiKeyId', { Value: { Ref: Match.stringLikeRegexp('ApiKey') } });
  });
});
