/**
 * Erasure as the workflow declares it: an event type's data subject (a JSON pointer validated at
 * synth), the tombstone table the first erasing event type creates, and the consumers that take
 * an erasure event type learning where their tombstones live.
 */
import { RemovalPolicy, Stack, type CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { QueueflowConfigError } from '../../lib/constructs/errors.ts';
import { QueueConsumer } from '../../lib/constructs/queue-consumer.ts';
import type { EventTypeDefinition } from '../../lib/constructs/queue-workflow.ts';
import { createQueueflowTable } from '../../lib/constructs/queueflow-table.ts';
import { appWithoutBundling, ERASURE_REQUESTED, FIXTURE_ENTRY, ORDER_PLACED, roleStatements, workflowFixture } from './workflow-fixture.ts';

const ORDER_WITH_SUBJECT: EventTypeDefinition = { ...ORDER_PLACED, subject: '/customer/id' };
const ERASING: EventTypeDefinition = { ...ERASURE_REQUESTED, subject: '/userId', erasesSubject: true };
const ERASURE_ENV = ['ERASURE_EVENT_TYPES', 'TOMBSTONE_TABLE_NAME', 'TOMBSTONE_TTL_SECONDS'];

/** A workflow with `email` taking both event types and `inventory` taking order.placed only. */
const build = (eventTypes: EventTypeDefinition[]) => {
  const { stack, workflow } = workflowFixture({ eventTypes });
  workflow.addConsumer({ name: 'email', eventTypes: eventTypes.map((type) => type.name), entry: FIXTURE_ENTRY });
  workflow.addConsumer({ name: 'inventory', eventTypes: ['order.placed'], entry: FIXTURE_ENTRY });
  const template = Template.fromStack(stack);
  const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnResource);
  const environmentOf = (name: string): Record<string, unknown> =>
    template.toJSON().Resources[logicalId(workflow.consumers.get(name)!.function)].Properties.Environment.Variables;
  return { stack, workflow, template, logicalId, environmentOf };
};

describe('QueueWorkflow erasure', () => {
  describe('the tombstone table', () => {
    it('is created with the first event type that erases its subject, with an output', () => {
      // Act
      const { workflow, template, logicalId } = build([ORDER_WITH_SUBJECT, ERASING]);

      // Assess
      expect(workflow.tombstoneTable).toBeDefined();
      expect(workflow.erasureEventTypes).toEqual(['user.erasure_requested']);
      template.resourceCountIs('AWS::DynamoDB::Table', 3);
      expect(template.toJSON().Resources[logicalId(workflow.tombstoneTable!)].Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
      template.hasOutput('TombstoneTableName', { Value: { Ref: logicalId(workflow.tombstoneTable!) } });
    });

    it('is not created when no event type erases its subject, though one names a subject', () => {
      // Act
      const { workflow, template, environmentOf } = build([ORDER_WITH_SUBJECT, ERASURE_REQUESTED]);

      // Assess
      expect(workflow.tombstoneTable).toBeUndefined();
      template.resourceCountIs('AWS::DynamoDB::Table', 2);
      expect(template.toJSON().Outputs.TombstoneTableName).toBeUndefined();
      for (const name of ['email', 'inventory']) for (const key of ERASURE_ENV) expect(environmentOf(name)).not.toHaveProperty(key);
    });

    it('is one table however many event types erase', () => {
      // Act
      const { workflow, template, environmentOf } = build([
        ORDER_WITH_SUBJECT,
        ERASING,
        { name: 'account.closed', route: { method: 'POST', path: '/accounts/{accountId}/closure' }, schema: z.object({}), subject: '/accountId', erasesSubject: true },
      ]);

      // Assess
      template.resourceCountIs('AWS::DynamoDB::Table', 3);
      expect(workflow.erasureEventTypes).toEqual(['user.erasure_requested', 'account.closed']);
      expect(environmentOf('email').ERASURE_EVENT_TYPES).toBe('user.erasure_requested,account.closed');
    });
  });

  describe('a consumer', () => {
    it('that takes an erasure event type learns its erasure types, the tombstone table and the tombstone TTL', () => {
      // Act
      const { workflow, logicalId, environmentOf } = build([ORDER_WITH_SUBJECT, ERASING]);

      // Assess
      expect(environmentOf('email')).toMatchObject({
        ERASURE_EVENT_TYPES: 'user.erasure_requested',
        TOMBSTONE_TABLE_NAME: { Ref: logicalId(workflow.tombstoneTable!) },
        TOMBSTONE_TTL_SECONDS: String(90 * 86_400),
      });
    });

    it('reads and writes its own tombstones only', () => {
      // Act
      const { stack, workflow, template, logicalId } = build([ORDER_WITH_SUBJECT, ERASING]);
      const onTombstones = (name: string) =>
        roleStatements(template, stack, workflow.consumers.get(name)!.function).filter(
          (statement) => JSON.stringify(statement.Resource) === JSON.stringify({ 'Fn::GetAtt': [logicalId(workflow.tombstoneTable!), 'Arn'] }),
        );

      // Assess
      expect(onTombstones('email')).toEqual([
        {
          Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [logicalId(workflow.tombstoneTable!), 'Arn'] },
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['email#*'] } },
        },
      ]);
      expect(onTombstones('inventory')).toEqual([]);
    });

    it('that takes no erasure event type keeps no tombstones, even in a workflow with one', () => {
      // Act
      const { environmentOf } = build([ORDER_WITH_SUBJECT, ERASING]);

      // Assess
      for (const key of ERASURE_ENV) expect(environmentOf('inventory')).not.toHaveProperty(key);
    });
  });

  describe('the subject', () => {
    it('goes into the event catalog, so the producer can copy it into the envelope', () => {
      // Act
      const { workflow } = workflowFixture({
        eventTypes: [ORDER_WITH_SUBJECT, ERASING, { ...ERASURE_REQUESTED, name: 'user.export_requested', route: { method: 'POST', path: '/users/{userId}/export' } }],
      });

      // Assess
      expect(workflow.eventCatalog.map(({ eventType, subject }) => ({ eventType, subject }))).toEqual([
        { eventType: 'order.placed', subject: '/customer/id' },
        { eventType: 'user.erasure_requested', subject: '/userId' },
        { eventType: 'user.export_requested', subject: undefined },
      ]);
      expect(workflow.eventCatalog[2]).not.toHaveProperty('subject');
    });

    it.each<[string, EventTypeDefinition]>([
      ['a required nested string of the body', ORDER_WITH_SUBJECT],
      ['a path parameter', ERASING],
      ['a required integer', { ...ORDER_PLACED, schema: z.object({ accountNo: z.number().int() }), subject: '/accountNo' }],
    ])('may be %s', (_, definition) => {
      const { workflow } = workflowFixture();
      expect(() => workflow.addEventType(definition)).not.toThrow();
    });

    it.each<[string, Partial<EventTypeDefinition>, string]>([
      [
        'a pointer without its leading slash',
        { subject: 'customer/id' },
        "Event type 'order.placed': subject 'customer/id' must be a JSON pointer of property names, e.g. '/customer/id'.",
      ],
      ['a pointer into an array', { subject: '/items/0/sku' }, "Event type 'order.placed': subject '/items/0/sku' must be a JSON pointer of property names, e.g. '/customer/id'."],
      ['an empty pointer', { subject: '' }, "Event type 'order.placed': subject '' must be a JSON pointer of property names, e.g. '/customer/id'."],
      [
        'a property the body does not have',
        { subject: '/customer/name' },
        "Event type 'order.placed': subject '/customer/name' must name a required property of the body schema or a path parameter.",
      ],
      [
        'an optional property',
        { schema: z.object({ userId: z.string().optional() }), subject: '/userId' },
        "Event type 'order.placed': subject '/userId' must name a required property of the body schema or a path parameter.",
      ],
      [
        'a required property of an optional object',
        { schema: z.object({ customer: z.object({ id: z.string() }).optional() }), subject: '/customer/id' },
        "Event type 'order.placed': subject '/customer/id' must name a required property of the body schema or a path parameter.",
      ],
      ['an object', { subject: '/customer' }, "Event type 'order.placed': subject '/customer' must be a string or an integer, not 'object'."],
      ['an array', { subject: '/items' }, "Event type 'order.placed': subject '/items' must be a string or an integer, not 'array'."],
      [
        'a boolean',
        { schema: z.object({ vip: z.boolean() }), subject: '/vip' },
        "Event type 'order.placed': subject '/vip' must be a string or an integer, not 'boolean'.",
      ],
      [
        'a nullable string',
        { schema: z.object({ userId: z.string().nullable() }), subject: '/userId' },
        "Event type 'order.placed': subject '/userId' must be a string or an integer, not 'string,null'.",
      ],
      ['missing on an erasing event type', { erasesSubject: true }, "Event type 'order.placed' erases its subject, so it needs a subject (a JSON pointer such as '/userId')."],
    ])('fails at synth when it is %s', (_, overrides, message) => {
      // Arrange
      const { workflow } = workflowFixture();

      // Act
      const act = () => workflow.addEventType({ ...ORDER_PLACED, ...overrides });

      // Assess
      expect(act).toThrow(new QueueflowConfigError(message));
      expect(workflow.eventCatalog).toEqual([]);
    });

    it('fails at synth when it points below a path parameter, which is a string', () => {
      const { workflow } = workflowFixture();
      expect(() => workflow.addEventType({ ...ERASING, subject: '/userId/id' })).toThrow(
        "subject '/userId/id' must name a required property of the body schema or a path parameter",
      );
    });
  });

  it('refuses a consumer built with erasure event types but no tombstone table', () => {
    // Arrange
    const stack = new Stack(appWithoutBundling(), 'Test');
    const table = (id: string) => createQueueflowTable(stack, id, { partitionKey: 'pk', removalPolicy: RemovalPolicy.DESTROY });

    // Act
    const act = () =>
      new QueueConsumer(stack, 'Email', {
        name: 'email',
        eventTypes: ['user.erasure_requested'],
        entry: FIXTURE_ENTRY,
        topic: new Topic(stack, 'Topic'),
        idempotencyTable: table('Idempotency'),
        failureTable: table('Failures'),
        erasureEventTypes: ['user.erasure_requested'],
      });

    // Assess
    expect(act).toThrow(new QueueflowConfigError("consumer 'email': it takes erasure event types, so it needs a tombstoneTable."));
  });
});
