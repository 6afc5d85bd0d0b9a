import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Duration, Stack, type CfnResource } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { QueueflowConfigError } from '../../lib/constructs/errors.ts';
import type { ConsumerDefinition } from '../../lib/constructs/queue-consumer.ts';
import { QueueWorkflow } from '../../lib/constructs/queue-workflow.ts';
import {
  appWithoutBundling,
  ERASURE_REQUESTED,
  FIXTURE_ENTRY,
  ORDER_PLACED,
  templateWithConsumer,
  workflowFixture,
} from './workflow-fixture.ts';

const queueProperties = (template: Template) =>
  Object.values(template.findResources('AWS::SQS::Queue', { Properties: { RedrivePolicy: Match.anyValue() } }))[0].Properties;

describe('QueueWorkflow', () => {
  describe('visibility timeout', () => {
    it('defaults to 6 × the function timeout', () => {
      expect(queueProperties(templateWithConsumer({ timeout: Duration.seconds(20) })).VisibilityTimeout).toBe(120);
    });

    it('keeps an explicit value of at least 6 × the timeout', () => {
      const template = templateWithConsumer({ timeout: Duration.seconds(20), visibilityTimeout: Duration.minutes(5) });
      expect(queueProperties(template).VisibilityTimeout).toBe(300);
    });

    it('fails at synth, naming the minimum, when set below 6 × the timeout', () => {
      expect(() => templateWithConsumer({ timeout: Duration.seconds(20), visibilityTimeout: Duration.seconds(119) })).toThrow(
        new QueueflowConfigError(
          "consumer 'email': visibilityTimeout 119s is below 6 × the function timeout (20s), so a batch still running could be " +
            'delivered twice. Use at least 120s, or leave visibilityTimeout unset.',
        ),
      );
    });
  });

  it('applies consumer options to the queue, the event source and the function', () => {
    // Act
    const template = templateWithConsumer({
      // Above the 26 receives that cover the default hour with this backoff.
      maxReceiveCount: 40,
      batchSize: 50,
      maxBatchingWindow: Duration.seconds(5),
      maxConcurrency: 5,
      backoffBase: Duration.seconds(3),
      backoffCap: Duration.minutes(10),
      memorySize: 512,
      environment: { EXTRA: 'yes' },
    });

    // Assess
    expect(queueProperties(template).RedrivePolicy.maxReceiveCount).toBe(40);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 5 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
      Environment: { Variables: Match.objectLike({ BACKOFF_BASE_SECONDS: '3', BACKOFF_CAP_SECONDS: '600', EXTRA: 'yes' }) },
    });
  });

  it('lets a consumer override the workflow-wide consumer defaults', () => {
    const template = templateWithConsumer(
      { backoffCap: Duration.seconds(30) },
      { consumerDefaults: { backoffBase: Duration.seconds(5), backoffCap: Duration.seconds(90), timeout: Duration.seconds(15) } },
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 15,
      Environment: { Variables: Match.objectLike({ BACKOFF_BASE_SECONDS: '5', BACKOFF_CAP_SECONDS: '30' }) },
    });
    expect(queueProperties(template).VisibilityTimeout).toBe(90);
  });

  it('notifies an alarm topic and uses the age threshold it is given', () => {
    // Arrange
    const stack = new Stack(appWithoutBundling(), 'Test');
    const alarmTopic = new Topic(stack, 'Alarms');
    const workflow = new QueueWorkflow(stack, 'Workflow', {
      producerEntry: FIXTURE_ENTRY,
      eventTypes: [ORDER_PLACED],
      alarmTopic,
      oldestMessageAgeThreshold: Duration.minutes(15),
    });

    // Act
    workflow.addConsumer({ name: 'email', eventTypes: ['order.placed'], entry: FIXTURE_ENTRY });
    const template = Template.fromStack(stack);

    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 900 });
    const topicRef = [{ Ref: stack.getLogicalId(alarmTopic.node.defaultChild as CfnResource) }];
    const alarmsWithActions = template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmActions: topicRef, OKActions: topicRef } });
    expect(Object.keys(alarmsWithActions)).toHaveLength(2);
    expect(workflow.alarmsOf('email')?.dlqNotEmpty).toBeDefined();
  });

  it('can leave the API open: no key, no usage plan, no ApiKeyId output', () => {
    const template = templateWithConsumer({}, { apiKeyRequired: false });
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
    template.allResourcesProperties('AWS::ApiGateway::Method', { ApiKeyRequired: false });
    expect(template.toJSON().Outputs.ApiKeyId).toBeUndefined();
  });

  describe('the producer and its event catalog', () => {
    it('builds the catalog from each event type, the schema as JSON Schema draft 4', () => {
      // Arrange
      const { workflow } = workflowFixture({ eventTypes: [ORDER_PLACED] });

      // Act
      workflow.addEventType(ERASURE_REQUESTED);

      // Assess
      expect(workflow.eventCatalog).toEqual([
        { eventType: 'order.placed', method: 'POST', resourcePath: '/orders', schema: z.toJSONSchema(ORDER_PLACED.schema, { target: 'draft-4' }) },
        {
          eventType: 'user.erasure_requested',
          method: 'POST',
          resourcePath: '/users/{userId}/erasure',
          schema: z.toJSONSchema(ERASURE_REQUESTED.schema, { target: 'draft-4' }),
        },
      ]);
    });

    it('builds the producer at synth, so event types added after the constructor still get a route', () => {
      // Arrange
      const { stack, workflow } = workflowFixture();
      workflow.addEventType(ORDER_PLACED);
      workflow.addConsumer({ name: 'email', eventTypes: ['order.placed'], entry: FIXTURE_ENTRY });
      workflow.addEventType(ERASURE_REQUESTED);

      // Act
      const template = Template.fromStack(stack);

      // Assess
      template.resourceCountIs('AWS::ApiGateway::Method', 2);
      template.resourceCountIs('AWS::Lambda::Function', 2);
      template.hasResourceProperties('AWS::Lambda::Function', { Description: 'queueflow producer: order.placed, user.erasure_requested' });
    });

    it('refuses a new event type once the producer is built', () => {
      const { workflow } = workflowFixture({ eventTypes: [ORDER_PLACED] });
      expect(workflow.producer).toBeDefined();
      expect(() => workflow.addEventType(ERASURE_REQUESTED)).toThrow(/already built with a fixed catalog/);
    });

    it('fails at synth when no event type is declared', () => {
      const { stack } = workflowFixture();
      expect(() => Template.fromStack(stack)).toThrow(/declares no event type/);
    });

    it('bakes the catalog into an ESM, minified bundle with a source map', async () => {
      // Arrange
      const outdir = mkdtempSync(join(tmpdir(), 'queueflow-cdk-'));
      try {
        const { app, stack, workflow } = workflowFixture({ eventTypes: [ORDER_PLACED, ERASURE_REQUESTED] }, new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } }));

        // Act
        app.synth();
        const assetPath = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(workflow.producer.node.defaultChild as CfnResource)]
          .Metadata['aws:asset:path'];
        const bundle = join(outdir, assetPath, 'index.mjs');
        const { handler } = await import(pathToFileURL(bundle).href);

        // Assess
        expect(await handler()).toEqual(workflow.eventCatalog);
        expect(existsSync(`${bundle}.map`)).toBe(true);
        const code = readFileSync(bundle, 'utf8');
        expect(code.startsWith("import { createRequire } from 'node:module';")).toBe(true);
        expect(code).not.toContain('QUEUEFLOW_EVENT_CATALOG');
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    });
  });

  describe('rejects invalid configuration at synth', () => {
    const consumer = (overrides: Partial<ConsumerDefinition>): ConsumerDefinition => ({
      name: 'email',
      eventTypes: ['order.placed'],
      entry: FIXTURE_ENTRY,
      ...overrides,
    });

    it.each<[string, Partial<ConsumerDefinition>, RegExp]>([
      ['a bad consumer name', { name: 'Email!' }, /Invalid consumer name 'Email!'/],
      ['a name its output keys cannot give back', { name: 'user-2fa' }, /'user-2fa': its output keys would read back as 'user2fa'/],
      ['the reserved name producer', { name: 'producer' }, /Consumer name 'producer' is reserved/],
      ['an unknown event type', { eventTypes: ['order.shipped'] }, /unknown event type\(s\) 'order.shipped'.*known: order.placed/],
      ['no event type', { eventTypes: [] }, /eventTypes must list 1-150 event types/],
      ['an event type listed twice', { eventTypes: ['order.placed', 'order.placed'] }, /'order.placed' is listed twice/],
      ['batchSize 0', { batchSize: 0 }, /batchSize must be a whole number from 1 to 10000, got 0/],
      ['batchSize 10,001', { batchSize: 10_001, maxBatchingWindow: Duration.seconds(1) }, /batchSize must be a whole number from 1 to 10000/],
      ['batchSize 11 without a batching window', { batchSize: 11 }, /batchSize above 10 needs a maxBatchingWindow/],
      ['a batching window over 300 s', { maxBatchingWindow: Duration.seconds(301) }, /maxBatchingWindow 301s exceeds the Lambda maximum of 300s/],
      ['maxConcurrency 1', { maxConcurrency: 1 }, /maxConcurrency must be a whole number from 2 to 1000, got 1/],
      ['maxConcurrency 1,001', { maxConcurrency: 1001 }, /maxConcurrency must be a whole number from 2 to 1000/],
      ['maxReceiveCount 0', { maxReceiveCount: 0 }, /maxReceiveCount must be a whole number from 1 to 1000/],
      ['a zero backoff base', { backoffBase: Duration.seconds(0) }, /backoffBase must be greater than 0/],
      ['a fractional backoff', { backoffBase: Duration.millis(1500) }, /backoffBase must be a whole number of seconds, got 1.5s/],
      ['a cap below the base', { backoffBase: Duration.seconds(10), backoffCap: Duration.seconds(5) }, /backoffCap 5s is below backoffBase 10s/],
      ['a cap over 12 hours', { backoffCap: Duration.hours(13) }, /backoffCap 46800s exceeds 12 hours/],
      [
        'retries outlasting half the retention',
        { backoffCap: Duration.hours(12), retentionPeriod: Duration.days(4) },
        /can take up to 585540s to reach the DLQ \(27 receives, .* keeps messages only 345600s; it must keep them 2× that \(1171080s\)/,
      ],
    ])('a consumer with %s', (_, overrides, message) => {
      // Arrange
      const { workflow } = workflowFixture({ eventTypes: [ORDER_PLACED] });

      // Act
      const act = () => workflow.addConsumer(consumer(overrides));

      // Assess
      expect(act).toThrow(QueueflowConfigError);
      expect(act).toThrow(message);
    });

    it('a consumer declared twice', () => {
      const { workflow } = workflowFixture({ eventTypes: [ORDER_PLACED] });
      workflow.addConsumer(consumer({}));
      expect(() => workflow.addConsumer(consumer({}))).toThrow(new QueueflowConfigError("Consumer 'email' is declared twice."));
    });

    it.each([
      ['a duplicate name', ORDER_PLACED, { ...ORDER_PLACED, route: { method: 'POST' as const, path: '/other' } }, /'order.placed' is declared twice/],
      ['a shared route', ORDER_PLACED, { ...ERASURE_REQUESTED, route: ORDER_PLACED.route }, /share the route POST \/orders/],
    ])('event types with %s', (_, first, second, message) => {
      const { workflow } = workflowFixture({ eventTypes: [first] });
      expect(() => workflow.addEventType(second)).toThrow(message);
    });

    it.each([
      ['a bad name', { ...ORDER_PLACED, name: 'OrderPlaced' }, /Invalid event type name 'OrderPlaced'/],
      ['a GET route', { ...ORDER_PLACED, route: { method: 'GET' as never, path: '/orders' } }, /route 'GET \/orders' is invalid/],
      ['a greedy path', { ...ORDER_PLACED, route: { method: 'POST' as const, path: '/orders/{proxy+}' } }, /is invalid/],
      ['a non-object schema', { ...ORDER_PLACED, schema: z.string() }, /the body schema must be a zod object, not 'string'/],
      ['a schema JSON Schema cannot express', { ...ORDER_PLACED, schema: z.object({ at: z.date() }) }, /cannot be expressed as JSON Schema draft 4/],
    ])('an event type with %s', (_, definition, message) => {
      const { workflow } = workflowFixture();
      expect(() => workflow.addEventType(definition)).toThrow(message);
    });
  });
});

