/**
 * One event's journey, built from the trace store's events and the stack's topology: accepted →
 * published → delivered to each subscribed queue (or filtered out) → every attempt → processed,
 * dead-lettered, redriven. The console draws it, `queueflow trace` prints it: both read this JSON.
 */
import type { AttemptOutcome, AttemptTraceEvent, TraceEvent } from './trace-events.ts';

/** A subscription of a topic to a consumer's queue, as the trace needs it. */
export interface TraceSubscription {
  readonly topicName: string;
  readonly queueArn: string;
  readonly queueName: string;
  readonly dlqName?: string;
  /** The consumer's name (its function's label), or the queue name when no function reads it. */
  readonly consumer: string;
  /** The filter policy JSON text, when the subscription has one. */
  readonly filterPolicy?: string;
  readonly filterPolicyScope?: 'MessageAttributes' | 'MessageBody';
}

export type TraceStep =
  | { readonly kind: 'accepted'; readonly at: number; readonly method: string; readonly path: string; readonly status: number; readonly latencyMs: number; readonly requestId: string }
  | { readonly kind: 'published'; readonly at: number; readonly by: string; readonly lambdaRequestId: string }
  | { readonly kind: 'delivered'; readonly at: number; readonly consumer: string; readonly queue: string }
  | { readonly kind: 'filtered-out'; readonly at: number; readonly consumer: string; readonly queue: string; readonly filterPolicy: string }
  | {
      readonly kind: 'attempt';
      readonly at: number;
      readonly consumer: string;
      readonly functionName: string;
      readonly attempt: number;
      readonly durationMs: number;
      readonly outcome: AttemptOutcome;
      readonly error?: string;
      readonly backoffSeconds?: number;
      readonly attemptsLeft?: number;
      readonly lambdaRequestId: string;
    }
  | { readonly kind: 'dead-lettered'; readonly at: number; readonly consumer: string; readonly queue: string; readonly error?: string }
  | { readonly kind: 'redrive'; readonly at: number; readonly consumer: string };

/** Where the event stands with one subscribed consumer. */
export type ConsumerStatus = 'processed' | 'skipped' | 'retrying' | 'dead-lettered' | 'failed' | 'filtered out' | 'not delivered yet';

export interface ConsumerTrace {
  readonly consumer: string;
  readonly queue: string;
  readonly status: ConsumerStatus;
  readonly attempts: number;
  readonly filterPolicy?: string;
}

export interface Trace {
  readonly eventId: string;
  readonly eventType: string | null;
  readonly correlationId: string | null;
  readonly consumers: readonly ConsumerTrace[];
  readonly steps: readonly TraceStep[];
}

const STATUS_OF: Record<AttemptOutcome, ConsumerStatus> = {
  ok: 'processed',
  skipped: 'skipped',
  retry: 'retrying',
  'dead-lettered': 'dead-lettered',
  error: 'failed',
};

/**
 * Builds the trace of `eventId` from its recorded events (TraceStore.eventsOf), or undefined when
 * none is recorded.
 */
export function buildTrace(eventId: string, events: readonly TraceEvent[], subscriptions: readonly TraceSubscription[]): Trace | undefined {
  if (events.length === 0) return undefined;
  const steps: TraceStep[] = [];
  const attempts = events.filter((event): event is AttemptTraceEvent => event.kind === 'attempt');
  const subscriptionOf = (queueArn: string) => subscriptions.find((subscription) => subscription.queueArn === queueArn);
  const consumerOf = (queueArn: string) => subscriptionOf(queueArn)?.consumer ?? queueArn.split(':').at(-1) ?? queueArn;
  let eventType: string | null = null;
  let correlationId: string | null = null;
  let publishedAt: number | undefined;
  const firstDelivery = Math.min(...attempts.map((attempt) => attempt.sentAt ?? attempt.at));

  const publishers = new Set(events.flatMap((event) => (event.kind === 'published' ? [event.lambdaRequestId] : [])));
  for (const event of events) {
    if ('eventType' in event && event.eventType && eventType === null) eventType = event.eventType;
    if ('correlationId' in event && event.correlationId && correlationId === null) correlationId = event.correlationId;
    if (event.kind === 'request' && event.lambdaRequestId !== undefined && publishers.has(event.lambdaRequestId)) {
      steps.push({ kind: 'accepted', at: event.at, method: event.method, path: event.path, status: event.status, latencyMs: event.latencyMs, requestId: event.requestId });
    } else if (event.kind === 'published') {
      // The producer logs the publish once SNS has answered, which can be after SNS's fan-out sent
      // it to the queues: SNS had accepted it by the first delivery at the latest.
      const at = Math.min(event.at, firstDelivery);
      publishedAt ??= at;
      steps.push({ kind: 'published', at, by: event.label, lambdaRequestId: event.lambdaRequestId });
    } else if (event.kind === 'redrive') {
      steps.push({ kind: 'redrive', at: event.at, consumer: event.consumer });
    }
  }

  // One delivery per message that reached a queue: its first receive, at the time SQS got it.
  const delivered = new Set<string>();
  for (const attempt of attempts) {
    const consumer = consumerOf(attempt.queueArn);
    const queue = subscriptionOf(attempt.queueArn)?.queueName ?? attempt.queueArn;
    if (!delivered.has(attempt.messageId)) {
      delivered.add(attempt.messageId);
      steps.push({ kind: 'delivered', at: attempt.sentAt ?? attempt.at, consumer, queue });
    }
    steps.push({
      kind: 'attempt',
      at: attempt.at,
      consumer,
      functionName: attempt.functionName,
      attempt: attempt.receiveCount,
      durationMs: attempt.durationMs,
      outcome: attempt.outcome,
      ...(attempt.error === undefined ? {} : { error: attempt.error }),
      ...(attempt.backoffSeconds === undefined ? {} : { backoffSeconds: attempt.backoffSeconds }),
      ...(attempt.attemptsLeft === undefined ? {} : { attemptsLeft: attempt.attemptsLeft }),
      lambdaRequestId: attempt.lambdaRequestId,
    });
    if (attempt.outcome === 'dead-lettered') {
      const dlq = subscriptionOf(attempt.queueArn)?.dlqName ?? `${queue} DLQ`;
      steps.push({ kind: 'dead-lettered', at: attempt.at + attempt.durationMs + (attempt.backoffSeconds ?? 0) * 1000, consumer, queue: dlq, ...(attempt.error === undefined ? {} : { error: attempt.error }) });
    }
  }

  // The other subscriptions of the topics that delivered it: filtered out when the policy says so.
  const attributes = attempts.find((attempt) => attempt.attributes !== undefined)?.attributes;
  const deliveredQueues = new Set(attempts.map((attempt) => attempt.queueArn));
  const topics = new Set(subscriptions.filter((subscription) => deliveredQueues.has(subscription.queueArn)).map((subscription) => subscription.topicName));
  const consumers: ConsumerTrace[] = [];
  for (const subscription of subscriptions.filter((s) => topics.has(s.topicName))) {
    const own = attempts.filter((attempt) => attempt.queueArn === subscription.queueArn);
    const policy = subscription.filterPolicy === undefined ? {} : { filterPolicy: subscription.filterPolicy };
    const last = own.at(-1);
    let status: ConsumerStatus = last ? STATUS_OF[last.outcome] : 'not delivered yet';
    if (!last && attributes !== undefined && subscription.filterPolicy !== undefined && subscription.filterPolicyScope !== 'MessageBody' && matchesFilterPolicy(subscription.filterPolicy, attributes) === false) {
      status = 'filtered out';
      steps.push({ kind: 'filtered-out', at: publishedAt ?? firstDelivery, consumer: subscription.consumer, queue: subscription.queueName, filterPolicy: subscription.filterPolicy });
    }
    consumers.push({ consumer: subscription.consumer, queue: subscription.queueName, status, attempts: own.length, ...policy });
  }

  const order: Record<TraceStep['kind'], number> = { accepted: 0, published: 1, 'filtered-out': 2, delivered: 3, attempt: 4, 'dead-lettered': 5, redrive: 6 };
  steps.sort((a, b) => a.at - b.at || order[a.kind] - order[b.kind]);
  return { eventId, eventType, correlationId, consumers, steps };
}

/**
 * Whether String message attributes match an SNS filter policy (MessageAttributes scope), or
 * undefined when the policy uses an operator this reader does not evaluate (then the trace says
 * "not delivered yet" rather than guess). Covers what AWS documents for string matching: exact
 * values, `prefix`, `suffix`, `anything-but`, `equals-ignore-case` and `exists`; keys are ANDed,
 * values of one key ORed.
 */
export function matchesFilterPolicy(policyJson: string, attributes: Readonly<Record<string, string>>): boolean | undefined {
  let policy: unknown;
  try {
    policy = JSON.parse(policyJson);
  } catch {
    return undefined;
  }
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) return undefined;
  let result: boolean | undefined = true;
  for (const [key, condition] of Object.entries(policy)) {
    if (key.startsWith('$') || !Array.isArray(condition)) return undefined;
    const value = attributes[key];
    const matches = condition.map((rule: unknown) => matchesRule(rule, value));
    if (matches.includes(true)) continue;
    if (matches.includes(undefined)) result = undefined;
    else return false;
  }
  return result;
}

function matchesRule(rule: unknown, value: string | undefined): boolean | undefined {
  if (typeof rule === 'string') return value === rule;
  if (typeof rule !== 'object' || rule === null) return undefined;
  const [[operator, operand] = []] = Object.entries(rule);
  if (operator === 'exists' && typeof operand === 'boolean') return (value !== undefined) === operand;
  if (value === undefined) return operator === 'anything-but' ? undefined : false;
  if (operator === 'prefix' && typeof operand === 'string') return value.startsWith(operand);
  if (operator === 'suffix' && typeof operand === 'string') return value.endsWith(operand);
  if (operator === 'equals-ignore-case' && typeof operand === 'string') return value.toLowerCase() === operand.toLowerCase();
  if (operator === 'anything-but') {
    if (typeof operand === 'string') return value !== operand;
    if (Array.isArray(operand) && operand.every((item) => typeof item === 'string')) return !operand.includes(value);
  }
  return undefined;
}
