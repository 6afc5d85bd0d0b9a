/**
 * The retry budget as the construct applies it: the queue's maxReceiveCount is derived from
 * `retryFor`, the backoff and the visibility timeout; an explicit count or a retention that cannot
 * honour it fails at synth; the consumer learns its count and its DLQ.
 */
import { Duration, type CfnResource } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { QueueflowConfigError } from '../../lib/constructs/errors.ts';
import { DEFAULT_RETRY_FOR, type ConsumerDefinition } from '../../lib/constructs/queue-consumer.ts';
import { planRetries } from '../../lib/constructs/retry-budget.ts';
import { FIXTURE_ENTRY, ORDER_PLACED, workflowFixture } from './workflow-fixture.ts';

/** A workflow with one `email` consumer of order.placed, built from `overrides`. */
const build = (overrides: Partial<ConsumerDefinition> = {}) => {
  const { stack, workflow } = workflowFixture({ eventTypes: [ORDER_PLACED] });
  const consumer = workflow.addConsumer({ name: 'email', eventTypes: ['order.placed'], entry: FIXTURE_ENTRY, ...overrides });
  return { stack, consumer, template: Template.fromStack(stack) };
};

const maxReceiveCountOf = (template: Template): number => {
  const [queue] = Object.values(template.findResources('AWS::SQS::Queue', { Properties: { RedrivePolicy: Match.anyValue() } }));
  return queue!.Properties.RedrivePolicy.maxReceiveCount;
};

/** Building the `email` consumer with `overrides`, to assert on what it throws. */
const rejection = (overrides: Partial<ConsumerDefinition>) => () => build(overrides);

describe('QueueWorkflow retry budget', () => {
  it('retries a failing message for an hour by default: 31 receives with the default backoff and a 30 s function', () => {
    // Act
    const { consumer, template } = build();

    // Assess
    expect(DEFAULT_RETRY_FOR.toSeconds()).toBe(3600);
    expect(maxReceiveCountOf(template)).toBe(31);
    expect(consumer.retryPlan).toEqual(
      planRetries({ retryForSeconds: 3600, backoff: { baseSeconds: 2, capSeconds: 300 }, visibilitySeconds: 180, timeoutSeconds: 30 }),
    );
    expect(consumer.retryPlan).toMatchObject({ earliestDeadLetterSeconds: 3705, latestDeadLetterSeconds: 9136 });
  });

  it.each<[string, Partial<ConsumerDefinition>, number]>([
    ['a shorter retryFor', { retryFor: Duration.minutes(10) }, 11],
    ['a longer retryFor', { retryFor: Duration.hours(2) }, 55],
    // Whole-invocation failures come back after the visibility timeout (60 s here), not the backoff.
    ['a shorter visibility timeout', { timeout: Duration.seconds(10) }, 65],
    ['a longer backoff', { backoffBase: Duration.seconds(3), backoffCap: Duration.minutes(10) }, 26],
  ])('derives the receive count anew for %s', (_, overrides, expected) => {
    // Act
    const { consumer, template } = build(overrides);

    // Assess
    expect(maxReceiveCountOf(template)).toBe(expected);
    expect(consumer.retryPlan.maxReceiveCount).toBe(expected);
    expect(consumer.retryPlan.earliestDeadLetterSeconds).toBeGreaterThanOrEqual((overrides.retryFor ?? DEFAULT_RETRY_FOR).toSeconds());
  });

  it('keeps an explicit maxReceiveCount that covers retryFor, with the window of that count', () => {
    // Act
    const { consumer, template } = build({ maxReceiveCount: 50 });

    // Assess
    expect(maxReceiveCountOf(template)).toBe(50);
    expect(consumer.retryPlan).toMatchObject({ maxReceiveCount: 50, earliestDeadLetterSeconds: 6555, latestDeadLetterSeconds: 15_406 });
  });

  it('accepts an explicit maxReceiveCount equal to the derived one', () => {
    expect(maxReceiveCountOf(build({ maxReceiveCount: 31 }).template)).toBe(31);
  });

  it('rejects an explicit maxReceiveCount below the derived one, naming when it would dead-letter and the minimum', () => {
    expect(rejection({ maxReceiveCount: 30 })).toThrow(
      new QueueflowConfigError(
        "consumer 'email': maxReceiveCount 30 can dead-letter a failing message after 3555s, before retryFor 3600s; " +
          'use at least 31, or leave maxReceiveCount unset (it is derived from retryFor).',
      ),
    );
  });

  it('rejects the old default of 5 receives, which dead-letters after 31 s', () => {
    expect(rejection({ maxReceiveCount: 5 })).toThrow(/maxReceiveCount 5 can dead-letter a failing message after 31s, .* use at least 31/);
  });

  it('rejects a retryFor that needs more than the 1,000 receives SQS allows', () => {
    expect(rejection({ retryFor: Duration.days(10) })).toThrow(
      new QueueflowConfigError(
        "consumer 'email': retryFor 864000s needs more than 1000 receives (the SQS maximum) with this backoff; raise backoffCap or lower retryFor.",
      ),
    );
  });

  it('rejects a retention shorter than twice the latest time a failing message can reach the DLQ', () => {
    // The defaults dead-letter at the latest after 9,136 s: the queue must keep messages 18,272 s.
    expect(rejection({ retentionPeriod: Duration.seconds(18_271) })).toThrow(
      new QueueflowConfigError(
        "consumer 'email': a failing message can take up to 9136s to reach the DLQ (31 receives, each failure waiting its backoff " +
          'or the visibility timeout), but the queue keeps messages only 18271s; it must keep them 2× that (18272s): raise ' +
          'retentionPeriod, or lower retryFor or backoffCap.',
      ),
    );
    expect(build({ retentionPeriod: Duration.seconds(18_272) }).template.toJSON()).toBeDefined();
  });

  it('checks the retention against an explicit count, whose window is longer', () => {
    // 200 receives: 9,136 + 169 × 330 s at the latest.
    expect(rejection({ maxReceiveCount: 200, retentionPeriod: Duration.days(1) })).toThrow(/can take up to 64906s .* \(200 receives/);
  });

  it.each<[string, Partial<ConsumerDefinition>, RegExp]>([
    ['retryFor 0', { retryFor: Duration.seconds(0) }, /retryFor must be at least 1 second/],
    ['a fractional retryFor', { retryFor: Duration.millis(1500) }, /retryFor must be a whole number of seconds, got 1.5s/],
    ['maxReceiveCount 1,001', { maxReceiveCount: 1001 }, /maxReceiveCount must be a whole number from 1 to 1000, got 1001/],
  ])('rejects %s', (_, overrides, message) => {
    expect(rejection(overrides)).toThrow(QueueflowConfigError);
    expect(rejection(overrides)).toThrow(message);
  });

  it('tells the consumer its DLQ and its receive count', () => {
    // Act
    const { stack, consumer, template } = build({ retryFor: Duration.hours(2) });

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DLQ_URL: { Ref: stack.getLogicalId(consumer.deadLetterQueue.node.defaultChild as CfnResource) },
          MAX_RECEIVE_COUNT: '55',
        }),
      },
    });
  });
});
