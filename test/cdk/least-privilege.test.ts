/**
 * Least privilege of the consumer functions: the shared tables (idempotency, failures, tombstones,
 * the sample's ledger) hold every function's items side by side, so each consumer may touch only
 * the items keyed under its own name (`<consumer>#…`); and each may send only to its own DLQ.
 */
import type { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { PRODUCER_IDEMPOTENCY_KEY_PREFIX } from '../../lambdas/shared/idempotent-request.ts';
import type { QueueConsumer } from '../../lib/constructs/queue-consumer.ts';
import type { QueueWorkflow } from '../../lib/constructs/queue-workflow.ts';
import {
  actionsOf,
  ERASURE_REQUESTED,
  FIXTURE_ENTRY,
  ORDER_PLACED,
  roleStatements,
  sampleStack,
  workflowFixture,
  type TemplateStatement,
} from './workflow-fixture.ts';

/** The DynamoDB actions that name the partition key of every item they touch. */
const ITEM_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'];

const getAtt = (stack: Stack, construct: IConstruct) => ({ 'Fn::GetAtt': [stack.getLogicalId(construct.node.defaultChild as CfnResource), 'Arn'] });

/** Whether an IAM `StringLike` pattern of the form `prefix*` matches `value`. */
const likeMatches = (pattern: string, value: string): boolean =>
  pattern.endsWith('*') && !pattern.slice(0, -1).includes('*') ? value.startsWith(pattern.slice(0, -1)) : pattern === value;

/** A library workflow whose erasure event type creates the tombstone table; `email-archive` shares a prefix with `email`. */
const libraryWorkflow = () => {
  const { stack, workflow } = workflowFixture({
    eventTypes: [ORDER_PLACED, { ...ERASURE_REQUESTED, subject: '/userId', erasesSubject: true }],
  });
  workflow.addConsumer({ name: 'email', eventTypes: ['order.placed', 'user.erasure_requested'], entry: FIXTURE_ENTRY });
  workflow.addConsumer({ name: 'email-archive', eventTypes: ['order.placed', 'user.erasure_requested'], entry: FIXTURE_ENTRY });
  workflow.addConsumer({ name: 'inventory', eventTypes: ['order.placed'], entry: FIXTURE_ENTRY });
  return { stack, workflow, template: Template.fromStack(stack) };
};

const dynamoDbStatements = (statements: TemplateStatement[]) =>
  statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('dynamodb:')));

/** The specification each built stack must meet, with the tables each consumer is expected to write. */
const specify = (
  build: () => { stack: Stack; workflow: QueueWorkflow; template: Template },
  tablesOf: (workflow: QueueWorkflow, consumer: QueueConsumer) => ITable[],
) => {
  const { stack, workflow, template } = build();
  const consumers = [...workflow.consumers.values()];

  it.each(consumers.map((consumer) => [consumer.consumerName, consumer] as const))(
    'confines every DynamoDB statement of %s to its own items, on item-level actions only',
    (name, consumer) => {
      // Act
      const statements = dynamoDbStatements(roleStatements(template, stack, consumer.function));

      // Assess
      expect(statements.map((statement) => statement.Resource)).toEqual(tablesOf(workflow, consumer).map((table) => getAtt(stack, table)));
      for (const statement of statements) {
        expect(statement.Effect).toBe('Allow');
        expect(statement.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${name}#*`] } });
        for (const action of actionsOf(statement)) expect(ITEM_ACTIONS).toContain(action);
      }
    },
  );

  it("lets no consumer touch the items of another consumer or the producer's", () => {
    for (const consumer of consumers) {
      const patterns = dynamoDbStatements(roleStatements(template, stack, consumer.function)).flatMap(
        (statement) => statement.Condition!['ForAllValues:StringLike']!['dynamodb:LeadingKeys'] as string[],
      );
      expect(patterns.length).toBeGreaterThan(0);
      const othersKeys = [
        ...consumers.filter((candidate) => candidate !== consumer).map((other) => `${other.consumerName}#e-1`),
        `${PRODUCER_IDEMPOTENCY_KEY_PREFIX}#request-hash`,
      ];
      for (const pattern of patterns) {
        expect(likeMatches(pattern, `${consumer.consumerName}#e-1`), pattern).toBe(true);
        for (const key of othersKeys) expect(likeMatches(pattern, key), `${pattern} vs ${key}`).toBe(false);
      }
    }
  });

  it.each(consumers.map((consumer) => [consumer.consumerName, consumer] as const))(
    'lets %s send to its own DLQ (a permanent failure goes there at once) and to no other queue',
    (_, consumer) => {
      // Act
      const sends = roleStatements(template, stack, consumer.function).filter((statement) => actionsOf(statement).includes('sqs:SendMessage'));

      // Assess
      expect(sends.map((statement) => statement.Resource)).toEqual([getAtt(stack, consumer.deadLetterQueue)]);
    },
  );
};

describe('consumer least privilege', () => {
  describe('in a library workflow', () => {
    specify(libraryWorkflow, (workflow, consumer) => [
      workflow.idempotencyTable,
      workflow.failureTable,
      ...(consumer.eventTypes.includes('user.erasure_requested') ? [workflow.tombstoneTable!] : []),
    ]);
  });

  describe('in the sample stack', () => {
    specify(
      () => {
        const { stack, template } = sampleStack();
        return { stack, workflow: stack.workflow, template };
      },
      (workflow, consumer) => [
        workflow.idempotencyTable,
        workflow.failureTable,
        ...(consumer.eventTypes.includes('user.erasure_requested') ? [workflow.tombstoneTable!] : []),
        sampleStack().stack.ledgerTable,
        // Billing keeps the ordered account lifecycle's state, under its own name like the rest.
        ...(consumer.consumerName === 'billing' ? [sampleStack().stack.accountTable] : []),
      ],
    );
  });
});
