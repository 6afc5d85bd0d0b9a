import { describe, expect, it } from 'vitest';
import type { AttemptTraceEvent, TraceEvent } from '../../../lib/local/trace-events.ts';
import { buildTrace, matchesFilterPolicy, type TraceSubscription } from '../../../lib/local/trace-timeline.ts';

const queue = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;
const subscriptions: TraceSubscription[] = [
  { topicName: 'Topic', queueArn: queue('EmailQueue'), queueName: 'EmailQueue', dlqName: 'EmailDlq', consumer: 'email', filterPolicy: '{"eventType":["order.placed"]}' },
  { topicName: 'Topic', queueArn: queue('InventoryQueue'), queueName: 'InventoryQueue', dlqName: 'InventoryDlq', consumer: 'inventory', filterPolicy: '{"eventType":["order.placed"]}' },
  { topicName: 'Topic', queueArn: queue('PaymentsQueue'), queueName: 'PaymentsQueue', consumer: 'payments', filterPolicy: '{"eventType":[{"prefix":"stripe."}]}' },
  { topicName: 'Other', queueArn: queue('OtherQueue'), queueName: 'OtherQueue', consumer: 'other' },
];

const attempt = (queueName: string, overrides: Partial<AttemptTraceEvent> = {}): AttemptTraceEvent => ({
  kind: 'attempt',
  at: 200,
  sentAt: 150,
  eventId: 'e1',
  eventType: 'order.placed',
  correlationId: 'c1',
  messageId: `m-${queueName}`,
  queueArn: queue(queueName),
  receiveCount: 1,
  lambdaRequestId: `l-${queueName}`,
  functionName: `Stack-${queueName}Function`,
  label: queueName,
  durationMs: 20,
  outcome: 'ok',
  attributes: { eventType: 'order.placed', correlationId: 'c1' },
  ...overrides,
});

describe('buildTrace', () => {
  it('is undefined for an event nothing was recorded of', () => {
    expect(buildTrace('e1', [], subscriptions)).toBeUndefined();
  });

  it('reads accepted → published → delivered → attempts, with filtered-out subscriptions and a dead letter', () => {
    // Prepare
    const events: TraceEvent[] = [
      { kind: 'request', at: 100, requestId: 'gw', lambdaRequestId: 'l-p', method: 'POST', path: '/orders', status: 202, latencyMs: 70 },
      // Logged after SNS answered, later than its fan-out's first delivery.
      { kind: 'published', at: 160, eventId: 'e1', eventType: 'order.placed', lambdaRequestId: 'l-p', label: 'producer' },
      attempt('EmailQueue'),
      attempt('InventoryQueue', { at: 210, outcome: 'retry', error: 'Timeout: slow', backoffSeconds: 4, attemptsLeft: 2 }),
      attempt('InventoryQueue', { at: 5_000, receiveCount: 2, outcome: 'dead-lettered', error: 'Timeout: slow', backoffSeconds: 8, attemptsLeft: 0, lambdaRequestId: 'l-2' }),
      { kind: 'redrive', at: 20_000, eventId: 'e1', consumer: 'inventory' },
    ];

    // Act
    const trace = buildTrace('e1', events, subscriptions)!;

    // Assess
    expect(trace).toMatchObject({ eventId: 'e1', eventType: 'order.placed', correlationId: 'c1' });
    expect(trace.steps.map((step) => `${step.kind}${'consumer' in step ? ` ${step.consumer}` : ''}`)).toEqual([
      'accepted',
      'published',
      'filtered-out payments',
      'delivered email',
      'delivered inventory',
      'attempt email',
      'attempt inventory',
      'attempt inventory',
      'dead-lettered inventory',
      'redrive inventory',
    ]);
    expect(trace.steps.find((step) => step.kind === 'published')!.at).toBe(150);
    expect(trace.steps.find((step) => step.kind === 'dead-lettered')).toMatchObject({ queue: 'InventoryDlq', at: 5_000 + 20 + 8_000 });
    expect(trace.consumers).toEqual([
      { consumer: 'email', queue: 'EmailQueue', status: 'processed', attempts: 1, filterPolicy: '{"eventType":["order.placed"]}' },
      { consumer: 'inventory', queue: 'InventoryQueue', status: 'dead-lettered', attempts: 2, filterPolicy: '{"eventType":["order.placed"]}' },
      { consumer: 'payments', queue: 'PaymentsQueue', status: 'filtered out', attempts: 0, filterPolicy: '{"eventType":[{"prefix":"stripe."}]}' },
    ]);
  });

  it('does not call a subscription filtered out when its policy would take the event: it is not delivered yet', () => {
    const trace = buildTrace('e1', [attempt('EmailQueue')], subscriptions)!;
    expect(trace.consumers.find((c) => c.consumer === 'inventory')).toMatchObject({ status: 'not delivered yet', attempts: 0 });
    expect(trace.steps.some((step) => step.kind === 'filtered-out' && step.consumer === 'inventory')).toBe(false);
  });

  it('leaves out a request that published nothing of this event', () => {
    const trace = buildTrace('e1', [{ kind: 'request', at: 1, requestId: 'gw', lambdaRequestId: 'l-x', method: 'POST', path: '/orders', status: 202, latencyMs: 1 }, attempt('EmailQueue')], subscriptions)!;
    expect(trace.steps.some((step) => step.kind === 'accepted')).toBe(false);
  });
});

describe('matchesFilterPolicy', () => {
  const attributes = { eventType: 'order.placed', region: 'eu' };

  it.each([
    ['{"eventType":["order.placed","x"]}', true],
    ['{"eventType":["user.erased"]}', false],
    ['{"eventType":[{"prefix":"order."}]}', true],
    ['{"eventType":[{"suffix":".placed"}]}', true],
    ['{"eventType":[{"anything-but":["order.placed"]}]}', false],
    ['{"eventType":[{"anything-but":"x"}]}', true],
    ['{"eventType":[{"equals-ignore-case":"ORDER.PLACED"}]}', true],
    ['{"missing":[{"exists":false}]}', true],
    ['{"missing":[{"exists":true}]}', false],
    ['{"eventType":["order.placed"],"region":["us"]}', false],
    ['{"missing":["x"]}', false],
    // An attribute the message lacks matches no value condition, numeric ones included.
    ['{"missing":[{"numeric":[">",0]}]}', false],
  ])('%s → %s', (policy, expected) => {
    expect(matchesFilterPolicy(policy, attributes)).toBe(expected);
  });

  it.each([['{"eventType":[{"numeric":[">",0]}]}'], ['{"$or":[{"a":["b"]}]}'], ['not json'], ['[]']])('cannot tell for %s', (policy) => {
    expect(matchesFilterPolicy(policy, attributes)).toBeUndefined();
  });
});
