/**
 * Ordered consumers (a FIFO queue subscribed to the workflow's FIFO topic): the settings and the
 * synthesized wiring AWS refuses or that would break the order of a message group. Each problem is
 * one sentence; the callers collect them and fail once (docs/architecture.md, "Ordered processing").
 */
import { Stack } from 'aws-cdk-lib';
import { CfnEventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { CfnTopic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { CfnQueue, type Queue } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { MAX_FIFO_BATCH_SIZE, PermanentFailureModes, type PermanentFailureMode } from '../../lambdas/shared/ordering.ts';

export { MAX_FIFO_BATCH_SIZE, PermanentFailureModes, type PermanentFailureMode };

/** The consumer settings that matter to a FIFO source. */
export interface OrderedSettings {
  readonly ordered: boolean;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly permanentFailure?: PermanentFailureMode;
}

/** What an ordered (or unordered) consumer's props may not combine, one sentence each. */
export function orderedSettingsProblems(where: string, settings: OrderedSettings): string[] {
  const problems: string[] = [];
  if (!settings.ordered) {
    if (settings.permanentFailure !== undefined) {
      problems.push(`${where}: permanentFailure applies to ordered consumers only (its event types are not ordered); remove it.`);
    }
    return problems;
  }
  if (settings.batchSize > MAX_FIFO_BATCH_SIZE) {
    problems.push(
      `${where}: batchSize ${settings.batchSize} is above ${MAX_FIFO_BATCH_SIZE}, the most Lambda reads from a FIFO queue per batch; use 1-${MAX_FIFO_BATCH_SIZE}.`,
    );
  }
  if (settings.batchingWindowSeconds > 0) {
    problems.push(`${where}: maxBatchingWindow is not supported on a FIFO event source (its event types are ordered); remove it.`);
  }
  if (settings.permanentFailure !== undefined && !Object.values(PermanentFailureModes).includes(settings.permanentFailure)) {
    problems.push(`${where}: permanentFailure must be one of ${Object.values(PermanentFailureModes).join(', ')}, got '${String(settings.permanentFailure)}'.`);
  }
  return problems;
}

/** The consumer's resources as synthesized (escape hatches and overrides included). */
export interface ConsumerWiring {
  readonly where: string;
  readonly topic: ITopic;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly function: IConstruct;
}

const resolved = (scope: IConstruct, value: unknown): unknown => Stack.of(scope).resolve(value);
const isOn = (value: unknown): boolean => value === true || value === 'true';

/**
 * Checks the L1 resources at synth, so an escape hatch (`addPropertyOverride`, a changed
 * `CfnQueue`) cannot quietly break what the constructs set: a standard queue on a FIFO topic (or
 * the reverse), a DLQ of the other type, content-based deduplication beside the explicit ids (the
 * event id is the deduplication id: two events with equal bodies are two events), a batching
 * window or a batch above 10 on a FIFO source.
 */
export function orderedWiringProblems(wiring: ConsumerWiring): string[] {
  const { where } = wiring;
  const problems: string[] = [];
  const queue = wiring.queue.node.defaultChild as CfnQueue;
  const dlq = wiring.deadLetterQueue.node.defaultChild as CfnQueue;
  const fifoQueue = isOn(resolved(queue, queue.fifoQueue));
  const fifoDlq = isOn(resolved(dlq, dlq.fifoQueue));
  const fifoTopic = wiring.topic.fifo;
  if (fifoTopic && !fifoQueue) problems.push(`${where}: a standard queue cannot subscribe to a FIFO topic (SNS refuses it); its queue must be FIFO.`);
  if (!fifoTopic && fifoQueue) problems.push(`${where}: a FIFO queue subscribed to a standard topic gets no message group and no order; subscribe it to the FIFO topic.`);
  if (fifoQueue !== fifoDlq) problems.push(`${where}: the dead-letter queue must be of the queue's type (${fifoQueue ? 'FIFO' : 'standard'}); SQS refuses a redrive to the other type.`);
  for (const [name, cfn] of [['queue', queue], ['dead-letter queue', dlq]] as const) {
    if (isOn(resolved(cfn, cfn.contentBasedDeduplication))) {
      problems.push(`${where}: its ${name} has content-based deduplication, but the event id is the deduplication id; two events with equal bodies would be merged. Turn it off.`);
    }
  }
  const topicResource = wiring.topic.node.defaultChild;
  if (topicResource instanceof CfnTopic && isOn(resolved(topicResource, topicResource.contentBasedDeduplication))) {
    problems.push(`${where}: its topic has content-based deduplication, but the producer sends the event id as the deduplication id. Turn it off.`);
  }
  if (fifoQueue) {
    for (const child of wiring.function.node.findAll()) {
      if (!(child instanceof CfnEventSourceMapping)) continue;
      const batchSize = Number(resolved(child, child.batchSize) ?? MAX_FIFO_BATCH_SIZE);
      const window = Number(resolved(child, child.maximumBatchingWindowInSeconds) ?? 0);
      if (batchSize > MAX_FIFO_BATCH_SIZE) problems.push(`${where}: its event source reads batches of ${batchSize}; a FIFO source allows at most ${MAX_FIFO_BATCH_SIZE}.`);
      if (window > 0) problems.push(`${where}: its event source has a batching window; a FIFO source allows none.`);
    }
  }
  return problems;
}
