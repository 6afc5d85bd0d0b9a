import { Duration, type CfnResource } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import type { CfnTopic } from 'aws-cdk-lib/aws-sns';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { QueueflowConfigError } from '../../lib/constructs/errors.ts';
import type { EventTypeDefinition } from '../../lib/constructs/queue-workflow.ts';
import { OutputKeys } from '../../lib/constructs/output-keys.ts';
import { FIXTURE_ENTRY, ORDER_PLACED, sampleStack, workflowFixture } from './workflow-fixture.ts';

const Id = z.string().min(1).max(64);
const OPENED: EventTypeDefinition = {
  name: 'account.opened',
  route: { method: 'POST', path: '/accounts' },
  schema: z.object({ accountId: Id, email: z.string().min(3) }),
  orderedBy: '/accountId',
};
const CHARGED: EventTypeDefinition = {
  name: 'account.charged',
  route: { method: 'POST', path: '/accounts/{accountId}/charges' },
  schema: z.object({ amountCents: z.number().int() }),
  orderedBy: '/accountId',
};

const orderedFixture = () => {
  const fixture = workflowFixture({ eventTypes: [ORDER_PLACED, OPENED, CHARGED] });
  return fixture;
};

/** The synth's error annotations, which CDK collects from every construct's validations. */
const synthErrors = (build: () => { app: { synth: () => unknown } }): string => {
  try {
    build().app.synth();
  } catch (error) {
    return (error as Error).message;
  }
  return '';
};

describe('ordered event types', () => {
  it('go through a FIFO topic, output as OrderedTopicArn, encrypted with the event topic key', () => {
    // Prepare
    const { stack, workflow } = orderedFixture();
    workflow.addConsumer({ name: 'billing', eventTypes: ['account.opened', 'account.charged'], entry: FIXTURE_ENTRY });

    // Act
    const template = Template.fromStack(stack);

    // Assess
    const topicId = stack.getLogicalId(workflow.orderedTopic!.node.defaultChild as CfnTopic);
    template.hasResourceProperties('AWS::SNS::Topic', {
      FifoTopic: true,
      FifoThroughputScope: 'MessageGroup',
      TopicName: Match.stringLikeRegexp('\\.fifo$'),
      KmsMasterKeyId: Match.anyValue(),
    });
    expect(template.findResources('AWS::SNS::Topic', { Properties: { ContentBasedDeduplication: true } })).toEqual({});
    template.hasOutput(OutputKeys.OrderedTopicArn, { Value: { Ref: topicId } });
  });

  it('give their consumer FIFO queues subscribed to the FIFO topic, and tell the function and the producer', () => {
    // Prepare
    const { stack, workflow } = orderedFixture();
    const billing = workflow.addConsumer({ name: 'billing', eventTypes: ['account.opened', 'account.charged'], entry: FIXTURE_ENTRY });
    const email = workflow.addConsumer({ name: 'email', eventTypes: ['order.placed'], entry: FIXTURE_ENTRY });

    // Act
    const template = Template.fromStack(stack);

    // Assess
    const queue = (billing.queue.node.defaultChild as CfnQueue);
    const dlq = (billing.deadLetterQueue.node.defaultChild as CfnQueue);
    const resources = template.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>;
    expect(resources[stack.getLogicalId(queue)].Properties).toMatchObject({
      FifoQueue: true,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
    });
    // No QueueName: CloudFormation names a FIFO queue itself, with the .fifo suffix.
    expect(resources[stack.getLogicalId(dlq)].Properties).toMatchObject({ FifoQueue: true });
    expect(resources[stack.getLogicalId(billing.queue.node.defaultChild as CfnResource)].Properties.ContentBasedDeduplication).toBeUndefined();
    expect(resources[stack.getLogicalId(email.queue.node.defaultChild as CfnQueue)].Properties.FifoQueue).toBeUndefined();
    template.hasResourceProperties('AWS::SNS::Subscription', {
      TopicArn: { Ref: stack.getLogicalId(workflow.orderedTopic!.node.defaultChild as CfnTopic) },
      Endpoint: { 'Fn::GetAtt': [stack.getLogicalId(queue), 'Arn'] },
      RawMessageDelivery: true,
      FilterPolicy: { eventType: ['account.opened', 'account.charged'] },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      TopicArn: { Ref: stack.getLogicalId(workflow.topic.node.defaultChild as CfnTopic) },
      Endpoint: { 'Fn::GetAtt': [stack.getLogicalId(email.queue.node.defaultChild as CfnQueue), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [stack.getLogicalId(queue), 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumBatchingWindowInSeconds: Match.absent(),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CONSUMER_NAME: 'billing', FIFO_QUEUE: 'true', PERMANENT_FAILURE: 'dead-letter' }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CONSUMER_NAME: 'email', FIFO_QUEUE: Match.absent(), PERMANENT_FAILURE: Match.absent() }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ORDERED_TOPIC_ARN: { Ref: stack.getLogicalId(workflow.orderedTopic!.node.defaultChild as CfnTopic) } }) },
    });
    expect(workflow.eventCatalog.map((entry) => [entry.eventType, entry.orderedBy])).toEqual([
      ['order.placed', undefined],
      ['account.opened', '/accountId'],
      ['account.charged', '/accountId'],
    ]);
  });

  it('lets the producer publish to the FIFO topic', () => {
    const { stack, workflow } = orderedFixture();
    workflow.addConsumer({ name: 'billing', eventTypes: ['account.opened'], entry: FIXTURE_ENTRY });
    const template = Template.fromStack(stack);
    const topicId = stack.getLogicalId(workflow.orderedTopic!.node.defaultChild as CfnTopic);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Publish', Resource: { Ref: topicId } })]) },
    });
  });

  it('passes the permanent-failure choice to the function', () => {
    const { stack, workflow } = orderedFixture();
    workflow.addConsumer({ name: 'billing', eventTypes: ['account.opened'], entry: FIXTURE_ENTRY, permanentFailure: 'hold-group' });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CONSUMER_NAME: 'billing', PERMANENT_FAILURE: 'hold-group' }) },
    });
  });

  it('applies a default permanentFailure to the ordered consumers only', () => {
    const { stack, workflow } = workflowFixture({ eventTypes: [ORDER_PLACED, OPENED], consumerDefaults: { permanentFailure: 'hold-group' } });
    workflow.addConsumer({ name: 'billing', eventTypes: ['account.opened'], entry: FIXTURE_ENTRY });
    workflow.addConsumer({ name: 'email', eventTypes: ['order.placed'], entry: FIXTURE_ENTRY });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CONSUMER_NAME: 'billing', PERMANENT_FAILURE: 'hold-group' }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CONSUMER_NAME: 'email', PERMANENT_FAILURE: Match.absent() }) },
    });
  });

  it("orders every event type by the workflow's orderedBy unless a type sets its own", () => {
    const { workflow } = workflowFixture({
      orderedBy: '/accountId',
      eventTypes: [{ ...OPENED, orderedBy: undefined }, { ...CHARGED, orderedBy: '/amountCents' }],
    });
    expect(workflow.eventCatalog.map((entry) => entry.orderedBy)).toEqual(['/accountId', '/amountCents']);
  });

  it('creates no FIFO topic when nothing is ordered', () => {
    const { stack, workflow } = workflowFixture({ eventTypes: [ORDER_PLACED] });
    expect(workflow.orderedTopic).toBeUndefined();
    expect(Template.fromStack(stack).findResources('AWS::SNS::Topic', { Properties: { FifoTopic: true } })).toEqual({});
  });

  it('the sample orders the account lifecycle by /accountId for billing', () => {
    const { stack, template } = sampleStack();
    const billing = stack.workflow.consumers.get('billing')!;
    expect(billing.ordered).toBe(true);
    expect(template.toJSON().Resources[stack.getLogicalId(billing.queue.node.defaultChild as CfnQueue)].Properties.FifoQueue).toBe(true);
    expect(stack.workflow.eventCatalog.filter((entry) => entry.orderedBy === '/accountId').map((entry) => entry.eventType)).toEqual([
      'account.opened',
      'account.verified',
      'account.charged',
    ]);
    expect([...stack.workflow.consumers.values()].filter((consumer) => consumer.ordered).map((consumer) => consumer.consumerName)).toEqual(['billing']);
  });
});

describe('ordered event types refused at synth', () => {
  it('an ordering key that is not a required string or integer of the data', () => {
    const define = (orderedBy: string) => () => workflowFixture({ eventTypes: [{ ...OPENED, orderedBy }] });
    expect(define('accountId')).toThrow(
      new QueueflowConfigError("Event type 'account.opened': orderedBy 'accountId' must be a JSON pointer of property names, e.g. '/customer/id'."),
    );
    expect(define('/missing')).toThrow(
      new QueueflowConfigError("Event type 'account.opened': orderedBy '/missing' must name a required property of the body schema or a path parameter."),
    );
    expect(() =>
      workflowFixture({ eventTypes: [{ ...CHARGED, schema: z.object({ amountCents: z.number() }), orderedBy: '/amountCents' }] }),
    ).toThrow(new QueueflowConfigError("Event type 'account.charged': orderedBy '/amountCents' must be a string or an integer, not 'number'."));
  });

  it('a consumer of ordered and unordered event types', () => {
    const { workflow } = orderedFixture();
    expect(() => workflow.addConsumer({ name: 'mixed', eventTypes: ['order.placed', 'account.opened'], entry: FIXTURE_ENTRY })).toThrow(
      new QueueflowConfigError(
        "Consumer 'mixed' takes ordered event types (account.opened) and unordered ones (order.placed); an ordered consumer has a FIFO " +
          'queue on the FIFO topic, which carries only the ordered types. Split it into two consumers.',
      ),
    );
  });

  it('a batch above 10 and a batching window on a FIFO source, in one error', () => {
    const { workflow } = orderedFixture();
    expect(() =>
      workflow.addConsumer({
        name: 'billing',
        eventTypes: ['account.opened'],
        entry: FIXTURE_ENTRY,
        batchSize: 20,
        maxBatchingWindow: Duration.seconds(5),
      }),
    ).toThrow(
      new QueueflowConfigError(
        "consumer 'billing': batchSize 20 is above 10, the most Lambda reads from a FIFO queue per batch; use 1-10.\n" +
          "consumer 'billing': maxBatchingWindow is not supported on a FIFO event source (its event types are ordered); remove it.",
      ),
    );
  });

  it('the permanent-failure choice on an unordered consumer', () => {
    const { workflow } = orderedFixture();
    expect(() =>
      workflow.addConsumer({ name: 'email', eventTypes: ['order.placed'], entry: FIXTURE_ENTRY, permanentFailure: 'hold-group' }),
    ).toThrow(new QueueflowConfigError("consumer 'email': permanentFailure applies to ordered consumers only (its event types are not ordered); remove it."));
  });

  it('escape hatches that break the FIFO wiring, every one listed in one synth failure', () => {
    // Prepare: content-based deduplication on the topic and the queue, a standard DLQ, a batching window.
    const message = synthErrors(() => {
      const fixture = orderedFixture();
      const billing = fixture.workflow.addConsumer({ name: 'billing', eventTypes: ['account.opened'], entry: FIXTURE_ENTRY });
      (fixture.workflow.orderedTopic!.node.defaultChild as CfnTopic).contentBasedDeduplication = true;
      (billing.queue.node.defaultChild as CfnQueue).contentBasedDeduplication = true;
      (billing.deadLetterQueue.node.defaultChild as CfnQueue).fifoQueue = false;
      const mapping = billing.function.node.findAll().find((child) => (child as CfnResource).cfnResourceType === 'AWS::Lambda::EventSourceMapping') as CfnResource & {
        maximumBatchingWindowInSeconds?: number;
      };
      mapping.maximumBatchingWindowInSeconds = 5;
      return fixture;
    });

    // Assess
    expect(message).toContain("consumer 'billing': its topic has content-based deduplication");
    expect(message).toContain("consumer 'billing': its queue has content-based deduplication");
    expect(message).toContain("consumer 'billing': the dead-letter queue must be of the queue's type (FIFO)");
    expect(message).toContain("consumer 'billing': its event source has a batching window; a FIFO source allows none.");
  });

  it('a standard queue forced onto the FIFO topic', () => {
    const message = synthErrors(() => {
      const fixture = orderedFixture();
      const billing = fixture.workflow.addConsumer({ name: 'billing', eventTypes: ['account.opened'], entry: FIXTURE_ENTRY });
      (billing.queue.node.defaultChild as CfnQueue).fifoQueue = false;
      return fixture;
    });
    expect(message).toContain("consumer 'billing': a standard queue cannot subscribe to a FIFO topic (SNS refuses it); its queue must be FIFO.");
  });

  it('raises no annotation on a well-formed ordered workflow', () => {
    const { stack, workflow } = orderedFixture();
    workflow.addConsumer({ name: 'billing', eventTypes: ['account.opened'], entry: FIXTURE_ENTRY });
    expect(() => Annotations.fromStack(stack)).not.toThrow();
  });
});
