/**
 * The retry budget of a consumer, in time rather than in receives.
 *
 * SQS moves a message to the dead-letter queue after `maxReceiveCount` receives, whatever the time
 * between them. queueflow asks for a time instead (`retryFor`, default one hour): a dependency that
 * is down for a few minutes must not dead-letter everything that arrived meanwhile. The receive
 * count that guarantees that time is derived here from the backoff schedule, counting the worst
 * case of each attempt:
 *
 * - a record that fails comes back after its backoff, at least half of `min(cap, base·2^(k−1))`
 *   (equal jitter), measured from when the consumer reports it;
 * - an invocation that fails as a whole (a crash, a timeout, a lost ChangeMessageVisibility) gets
 *   no backoff: its messages come back when the queue's visibility timeout runs out.
 *
 * So the k-th failed attempt delays the next one by at least `min(backoffMin(k), visibility)` and
 * at most `max(window + timeout + backoffMax(k), visibility)` (`window`: the batching window a
 * received record may wait before its invocation). The earliest a message can reach the DLQ is
 * the sum of the minimums over `maxReceiveCount` attempts; the latest, the sum of the maximums.
 */
import { backoffBounds, type BackoffPolicy } from '../../lambdas/shared/backoff.ts';

/** SQS accepts a maxReceiveCount of 1 to 1,000. */
export const MAX_RECEIVE_COUNT_LIMIT = 1_000;

/** The queue must keep a message at least this many times its latest possible retry window. */
export const RETENTION_MARGIN = 2;

export interface RetryBudgetInput {
  /** The least time a failing message must keep being retried before it may reach the DLQ. */
  readonly retryForSeconds: number;
  readonly backoff: BackoffPolicy;
  readonly visibilitySeconds: number;
  readonly timeoutSeconds: number;
  /** How long the event source may hold a received record before invoking (its batching window). @default 0 */
  readonly batchingWindowSeconds?: number;
}

/** When the k-th receive of a message that keeps failing can happen, in seconds after the first. */
export interface AttemptWindow {
  readonly attempt: number;
  readonly earliestSeconds: number;
  readonly latestSeconds: number;
}

export interface RetryPlan {
  /** The fewest receives whose earliest move to the DLQ still comes after `retryForSeconds`. */
  readonly maxReceiveCount: number;
  /** Every receive up to `maxReceiveCount`, then the move to the DLQ as attempt `maxReceiveCount + 1`. */
  readonly attempts: readonly AttemptWindow[];
  /** The earliest a message that always fails reaches the DLQ. */
  readonly earliestDeadLetterSeconds: number;
  /** The latest a message that always fails reaches the DLQ (before any throttling or backlog). */
  readonly latestDeadLetterSeconds: number;
}

/** The shortest and longest wait after the `attempt`-th failed receive. */
export const waitAfterFailure = (attempt: number, input: Omit<RetryBudgetInput, 'retryForSeconds'>): { min: number; max: number } => {
  const { min, max } = backoffBounds(attempt, input.backoff);
  return {
    min: Math.min(min, input.visibilitySeconds),
    // A received record may wait out the batching window before its invocation even starts.
    max: Math.max((input.batchingWindowSeconds ?? 0) + input.timeoutSeconds + max, input.visibilitySeconds),
  };
};

/**
 * The attempt windows for `maxReceiveCount` receives (the last entry is the move to the DLQ).
 * With `maxReceiveCount` undefined, the fewest receives that retry for at least `retryForSeconds`
 * (capped at {@link MAX_RECEIVE_COUNT_LIMIT}; the caller checks the result).
 */
export const planRetries = (input: RetryBudgetInput, maxReceiveCount?: number): RetryPlan => {
  const attempts: AttemptWindow[] = [{ attempt: 1, earliestSeconds: 0, latestSeconds: 0 }];
  let earliest = 0;
  let latest = 0;
  for (let attempt = 1; attempt <= MAX_RECEIVE_COUNT_LIMIT; attempt += 1) {
    const wait = waitAfterFailure(attempt, input);
    earliest += wait.min;
    latest += wait.max;
    attempts.push({ attempt: attempt + 1, earliestSeconds: earliest, latestSeconds: latest });
    const done = maxReceiveCount === undefined ? earliest >= input.retryForSeconds : attempt >= maxReceiveCount;
    if (done) break;
  }
  const count = attempts.length - 1;
  return {
    maxReceiveCount: count,
    attempts,
    earliestDeadLetterSeconds: attempts[count]!.earliestSeconds,
    latestDeadLetterSeconds: attempts[count]!.latestSeconds,
  };
};
