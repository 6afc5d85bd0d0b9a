import { fileURLToPath } from 'node:url';
import { App, Stack, type CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { OrderPlacedBody, UserErasureRequestedBody } from '../../sample/events.ts';
import { QueueWorkflow, type EventTypeDefinition, type QueueWorkflowProps } from '../../lib/constructs/queue-workflow.ts';
import { QueueflowSampleStack } from '../../sample/stack.ts';

export const FIXTURE_ENTRY = fileURLToPath(new URL('./fixtures/catalog-echo.ts', import.meta.url));

export const ORDER_PLACED: EventTypeDefinition = {
  name: 'order.placed',
  route: { method: 'POST', path: '/orders' },
  schema: OrderPlacedBody,
};
export const ERASURE_REQUESTED: EventTypeDefinition = {
  name: 'user.erasure_requested',
  route: { method: 'POST', path: '/users/{userId}/erasure' },
  schema: UserErasureRequestedBody,
};

/** An app that skips bundling: template tests do not need the assets. */
export const appWithoutBundling = (): App => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

export interface WorkflowFixture {
  readonly app: App;
  readonly stack: Stack;
  readonly workflow: QueueWorkflow;
}

/** A stack holding one workflow with the fixture handler as its producer. */
export const workflowFixture = (props: QueueWorkflowProps = {}, app: App = appWithoutBundling()): WorkflowFixture => {
  const stack = new Stack(app, 'Test');
  const workflow = new QueueWorkflow(stack, 'Workflow', { producerEntry: FIXTURE_ENTRY, ...props });
  return { app, stack, workflow };
};

/** A workflow with both sample event types and one consumer built from `consumer`. */
export const templateWithConsumer = (consumer: Record<string, unknown> = {}, props: QueueWorkflowProps = {}): Template => {
  const { stack, workflow } = workflowFixture({ eventTypes: [ORDER_PLACED, ERASURE_REQUESTED], ...props });
  workflow.addConsumer({ name: 'email', eventTypes: ['order.placed'], entry: FIXTURE_ENTRY, ...consumer });
  return Template.fromStack(stack);
};

let sample: { app: App; stack: QueueflowSampleStack; template: Template } | undefined;

/** The sample stack, synthesized once per test file. */
export const sampleStack = (): { app: App; stack: QueueflowSampleStack; template: Template } => {
  if (!sample) {
    const app = appWithoutBundling();
    const stack = new QueueflowSampleStack(app, 'QueueflowSample');
    sample = { app, stack, template: Template.fromStack(stack) };
  }
  return sample;
};

/** An IAM policy statement as it appears in a synthesized template. */
export interface TemplateStatement {
  readonly Action: string | string[];
  readonly Effect: string;
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of the identity policies attached to `fn`'s execution role. */
export const roleStatements = (template: Template, stack: Stack, fn: IFunction): TemplateStatement[] => {
  const roleId = stack.getLogicalId(fn.role!.node.defaultChild as CfnResource);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as TemplateStatement[]);
};

/** The statement's actions as a list, whether the template holds one or several. */
export const actionsOf = (statement: TemplateStatement): string[] => [statement.Action].flat();
