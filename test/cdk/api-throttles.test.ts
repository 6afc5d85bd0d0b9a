import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ApiThrottleContextKeys as Keys } from '../../lib/constructs/api-throttles.ts';
import { QueueflowConfigError } from '../../lib/constructs/errors.ts';
import type { QueueWorkflowProps } from '../../lib/constructs/queue-workflow.ts';
import { ORDER_PLACED, workflowFixture } from './workflow-fixture.ts';

const appWith = (context: Record<string, unknown> = {}): App => new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });

const build = (context: Record<string, unknown> = {}, props: QueueWorkflowProps = {}) => {
  const { stack } = workflowFixture({ eventTypes: [ORDER_PLACED], ...props }, appWith(context));
  return { stack, template: Template.fromStack(stack) };
};

const usagePlanThrottle = (template: Template) => Object.values(template.findResources('AWS::ApiGateway::UsagePlan'))[0]?.Properties.Throttle;
const stageThrottle = (template: Template) => {
  const [setting] = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0]?.Properties.MethodSettings as Record<string, unknown>[];
  return { RateLimit: setting?.ThrottlingRateLimit, BurstLimit: setting?.ThrottlingBurstLimit };
};

const LIFTED = { [Keys.apiKeyRateLimit]: '10000', [Keys.apiKeyBurstLimit]: '20000', [Keys.stageRateLimit]: '10000', [Keys.stageBurstLimit]: '20000' };

describe('API throttles', () => {
  it('default to 50 requests/s (burst 100) per API key and 100 requests/s (burst 200) per stage', () => {
    // Act
    const { template } = build();

    // Assess
    expect(usagePlanThrottle(template)).toEqual({ RateLimit: 50, BurstLimit: 100 });
    expect(stageThrottle(template)).toEqual({ RateLimit: 100, BurstLimit: 200 });
  });

  it('take the context values as the CLI passes them (strings)', () => {
    // Act
    const { template } = build(LIFTED);

    // Assess
    expect(usagePlanThrottle(template)).toEqual({ RateLimit: 10000, BurstLimit: 20000 });
    expect(stageThrottle(template)).toEqual({ RateLimit: 10000, BurstLimit: 20000 });
  });

  it('take the context values as cdk.json gives them (numbers), each pair on its own', () => {
    // Act
    const { template } = build({ [Keys.apiKeyRateLimit]: 12.5, [Keys.apiKeyBurstLimit]: 25 });

    // Assess
    expect(usagePlanThrottle(template)).toEqual({ RateLimit: 12.5, BurstLimit: 25 });
    expect(stageThrottle(template)).toEqual({ RateLimit: 100, BurstLimit: 200 });
  });

  it('take the props over the context values, and warn that the context values are ignored', () => {
    // Arrange
    const props = { apiKeyThrottle: { rateLimit: 5, burstLimit: 10 }, stageThrottle: { rateLimit: 7, burstLimit: 14 } };

    // Act
    const { stack, template } = build(LIFTED, props);

    // Assess
    expect(usagePlanThrottle(template)).toEqual({ RateLimit: 5, BurstLimit: 10 });
    expect(stageThrottle(template)).toEqual({ RateLimit: 7, BurstLimit: 14 });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('context value'));
    expect(warnings.map((warning) => warning.entry.data)).toEqual([
      expect.stringContaining(`The 'apiKeyThrottle' prop is set, so the context values '${Keys.apiKeyRateLimit}' and '${Keys.apiKeyBurstLimit}' are ignored.`),
      expect.stringContaining(`The 'stageThrottle' prop is set, so the context values '${Keys.stageRateLimit}' and '${Keys.stageBurstLimit}' are ignored.`),
    ]);
  });

  it.each([
    ['zero', { [Keys.apiKeyRateLimit]: '0', [Keys.apiKeyBurstLimit]: '100' }, `the context value '${Keys.apiKeyRateLimit}' must be a positive number of requests per second, not "0".`],
    ['a negative number', { [Keys.stageRateLimit]: -5, [Keys.stageBurstLimit]: 10 }, `the context value '${Keys.stageRateLimit}' must be a positive number of requests per second, not -5.`],
    ['a word', { [Keys.apiKeyRateLimit]: 'fast', [Keys.apiKeyBurstLimit]: '100' }, `the context value '${Keys.apiKeyRateLimit}' must be a positive number of requests per second, not "fast".`],
    ['a hexadecimal string', { [Keys.apiKeyRateLimit]: '0x10', [Keys.apiKeyBurstLimit]: '100' }, `'${Keys.apiKeyRateLimit}' must be a positive number of requests per second, not "0x10".`],
    ['a fractional burst', { [Keys.apiKeyRateLimit]: '10', [Keys.apiKeyBurstLimit]: '2.5' }, `the context value '${Keys.apiKeyBurstLimit}' must be a positive whole number of requests, not "2.5".`],
    ['a rate without its burst', { [Keys.stageRateLimit]: '1000' }, `set both '${Keys.stageRateLimit}' and '${Keys.stageBurstLimit}', or neither: only '${Keys.stageRateLimit}' is set.`],
  ])('fail the synth naming the key for %s', (_, context, message) => {
    // Act
    const act = () => build(context);

    // Assess
    expect(act).toThrow(QueueflowConfigError);
    expect(act).toThrow(message);
  });

  it('report every bad context value in one error', () => {
    // Act
    const act = () => build({ [Keys.apiKeyRateLimit]: '', [Keys.apiKeyBurstLimit]: '1e3', [Keys.stageBurstLimit]: '10' });

    // Assess
    expect(act).toThrow(
      `API throttles of Test/Workflow: the context value '${Keys.apiKeyRateLimit}' must be a positive number of requests per second, not "". ` +
        `the context value '${Keys.apiKeyBurstLimit}' must be a positive whole number of requests, not "1e3". ` +
        `set both '${Keys.stageRateLimit}' and '${Keys.stageBurstLimit}', or neither: only '${Keys.stageBurstLimit}' is set.`,
    );
  });
});
