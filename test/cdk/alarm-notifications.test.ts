import { App, Stack, type CfnResource } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { QueueflowConfigError } from '../../lib/constructs/errors.ts';
import { QueueWorkflow, type QueueWorkflowProps } from '../../lib/constructs/queue-workflow.ts';
import { ALARM_EMAIL_CONTEXT_KEY } from '../../lib/constructs/workflow-monitoring.ts';
import { QueueflowSampleStack } from '../../sample/stack.ts';
import { ERASURE_REQUESTED, FIXTURE_ENTRY, ORDER_PLACED } from './workflow-fixture.ts';

const appWith = (context: Record<string, unknown> = {}): App => new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });

/** A workflow with two consumers (four alarms); `prepare` may add resources to the stack first. */
const build = (props: QueueWorkflowProps = {}, app: App = appWith(), prepare?: (stack: Stack) => Partial<QueueWorkflowProps>) => {
  const stack = new Stack(app, 'Test');
  const workflow = new QueueWorkflow(stack, 'Workflow', {
    producerEntry: FIXTURE_ENTRY,
    eventTypes: [ORDER_PLACED, ERASURE_REQUESTED],
    ...props,
    ...prepare?.(stack),
  });
  workflow.addConsumer({ name: 'email', eventTypes: ['order.placed'], entry: FIXTURE_ENTRY });
  workflow.addConsumer({ name: 'inventory', eventTypes: ['order.placed'], entry: FIXTURE_ENTRY });
  return { stack, workflow, template: Template.fromStack(stack) };
};

const logicalId = (stack: Stack, construct: IConstruct): string => stack.getLogicalId(construct.node.defaultChild as CfnResource);
const emailSubscriptions = (template: Template) => template.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'email' } });
const CLOUDWATCH_SOURCE = {
  StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
  ArnLike: {
    'aws:SourceArn': {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*']],
    },
  },
};

describe('alarm notifications', () => {
  describe('the alarm topic the workflow creates', () => {
    const { stack, workflow, template } = build();
    const topicId = logicalId(stack, workflow.alarmTopic);
    const keyId = logicalId(stack, workflow.monitoring.alarmTopicKey!);

    it('is encrypted with a rotating key of its own, not the event topic key', () => {
      expect(template.toJSON().Resources[topicId].Properties).toMatchObject({ KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      expect(keyId).not.toBe(logicalId(stack, workflow.topicKey));
      template.hasResourceProperties('AWS::KMS::Key', { Description: Match.stringLikeRegexp('alarm topic'), EnableKeyRotation: true });
    });

    it('lets CloudWatch, and no other service, use the key (the source guard is on the topic policy)', () => {
      const statements = template.toJSON().Resources[keyId].Properties.KeyPolicy.Statement;
      expect(statements).toContainEqual({
        Sid: 'AllowCloudWatchAlarmsOfThisAccountAndRegion',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
      });
      const serviceStatements = statements.filter((statement: { Principal: { Service?: string } }) => statement.Principal.Service);
      expect(serviceStatements).toHaveLength(1);
    });

    it('denies publishing without TLS and lets CloudWatch alarms of this account and region publish', () => {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topicId }],
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            {
              Sid: 'AllowCloudWatchAlarmsOfThisAccountAndRegion',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: { Ref: topicId },
              Condition: CLOUDWATCH_SOURCE,
            },
          ],
        },
      });
    });

    it('receives the alarm and the OK action of every alarm', () => {
      // Arrange
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));

      // Assess
      expect(alarms).toHaveLength(4);
      for (const alarm of alarms) {
        expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
        expect(alarm.Properties.OKActions).toEqual([{ Ref: topicId }]);
      }
    });

    it('is published as the AlarmTopicArn output', () => {
      template.hasOutput('AlarmTopicArn', { Value: { Ref: topicId } });
      expect(workflow.alarmTopic).toBe(workflow.monitoring.alarmTopic);
    });

    it('has no email subscription unless an address is given', () => {
      expect(emailSubscriptions(template)).toEqual({});
    });
  });

  describe('the email subscription', () => {
    it('subscribes the alarmEmail prop to the alarm topic', () => {
      // Act
      const { stack, workflow, template } = build({ alarmEmail: 'ops@example.com' });

      // Assess
      expect(Object.values(emailSubscriptions(template)).map((subscription) => subscription.Properties)).toEqual([
        { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: logicalId(stack, workflow.alarmTopic) } },
      ]);
    });

    it(`subscribes the ${ALARM_EMAIL_CONTEXT_KEY} context value`, () => {
      // Act
      const { template } = build({}, appWith({ [ALARM_EMAIL_CONTEXT_KEY]: 'oncall@example.org' }));

      // Assess
      expect(Object.values(emailSubscriptions(template)).map((subscription) => subscription.Properties.Endpoint)).toEqual(['oncall@example.org']);
    });

    it('prefers the prop over the context value', () => {
      const { template } = build({ alarmEmail: 'ops@example.com' }, appWith({ [ALARM_EMAIL_CONTEXT_KEY]: 'oncall@example.org' }));
      expect(Object.values(emailSubscriptions(template)).map((subscription) => subscription.Properties.Endpoint)).toEqual(['ops@example.com']);
    });

    it.each([
      ['a prop without a domain', { alarmEmail: 'ops@' }, {}, /the 'alarmEmail' prop 'ops@' is not an email address/],
      ['a prop with a space', { alarmEmail: 'ops team@example.com' }, {}, /'ops team@example.com' is not an email address/],
      ['a prop with two addresses', { alarmEmail: 'a@example.com,b@example.com' }, {}, /is not an email address; give one address/],
      ['an empty context value', {}, { [ALARM_EMAIL_CONTEXT_KEY]: '' }, /the context value 'queueflow:alarmEmail' '' is not an email address/],
      ['a context value without a dot in the domain', {}, { [ALARM_EMAIL_CONTEXT_KEY]: 'ops@localhost' }, /'ops@localhost' is not an email address/],
      ['a context value that is not a string', {}, { [ALARM_EMAIL_CONTEXT_KEY]: 42 }, /the context value 'queueflow:alarmEmail' must be a string, not 42/],
    ])('fails synth on %s', (_name, props, context, message) => {
      // Act
      const act = () => build(props, appWith(context));

      // Assess
      expect(act).toThrow(QueueflowConfigError);
      expect(act).toThrow(message);
    });
  });

  describe('a topic passed in', () => {
    it('receives every alarm action instead of a created topic, and is the AlarmTopicArn output', () => {
      // Act
      let passed: Topic | undefined;
      const { stack, workflow, template } = build({}, appWith(), (scope) => {
        passed = new Topic(scope, 'OpsAlarms');
        return { alarmTopic: passed };
      });

      // Assess
      const topicRef = { Ref: logicalId(stack, passed!) };
      expect(workflow.alarmTopic).toBe(passed);
      expect(workflow.monitoring.alarmTopicKey).toBeUndefined();
      expect(Object.keys(template.findResources('AWS::SNS::Topic')).sort()).toEqual(
        [logicalId(stack, passed!), logicalId(stack, workflow.topic)].sort(),
      );
      template.resourceCountIs('AWS::KMS::Key', 1);
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
      expect(alarms).toHaveLength(4);
      for (const alarm of alarms) expect([alarm.Properties.AlarmActions, alarm.Properties.OKActions]).toEqual([[topicRef], [topicRef]]);
      template.hasOutput('AlarmTopicArn', { Value: topicRef });
    });

    it('is left as it is: no policy, key grant or subscription added to it', () => {
      // Act
      const { template } = build({}, appWith(), (scope) => ({
        alarmTopic: Topic.fromTopicArn(scope, 'Imported', 'arn:aws:sns:eu-west-1:111122223333:ops-alarms'),
      }));

      // Assess
      template.resourceCountIs('AWS::SNS::TopicPolicy', 1); // the event topic's
      expect(Object.keys(template.findResources('AWS::SNS::Subscription', { Properties: { Protocol: Match.not('sqs') } }))).toEqual([]);
      template.hasOutput('AlarmTopicArn', { Value: 'arn:aws:sns:eu-west-1:111122223333:ops-alarms' });
    });

    it.each([
      ['the alarmEmail prop', { alarmEmail: 'ops@example.com' }, {}, /the 'alarmEmail' prop subscribes an address .* subscribe the address to that topic instead/],
      ['the context value', {}, { [ALARM_EMAIL_CONTEXT_KEY]: 'ops@example.com' }, /the context value 'queueflow:alarmEmail' subscribes an address/],
    ])('cannot be combined with %s', (_name, props, context, message) => {
      const act = () => build(props, appWith(context), (scope) => ({ alarmTopic: new Topic(scope, 'OpsAlarms', { masterKey: new Key(scope, 'OpsKey') }) }));
      expect(act).toThrow(QueueflowConfigError);
      expect(act).toThrow(message);
    });
  });

  it('adds no cdk-nag AwsSolutions finding to the sample when an address is subscribed', () => {
    // Prepare
    const app = appWith({ [ALARM_EMAIL_CONTEXT_KEY]: 'ops@example.com' });
    const stack = new QueueflowSampleStack(app, 'QueueflowSample');

    // Act
    const report = new AwsSolutionsChecks().validateScope(app);

    // Assess
    expect(Object.keys(emailSubscriptions(Template.fromStack(stack)))).toHaveLength(1);
    expect(report.violations.map((violation) => `${violation.severity} ${violation.ruleName}`)).toEqual([]);
  });
});
