/**
 * Retry delay for a failed SQS record.
 *
 * SQS redelivers a failed message only when its visibility timeout expires, and that timeout is
 * at least six times the function timeout — minutes, for every attempt alike. Setting each failed
 * record's visibility to an exponential backoff instead retries a transient failure within seconds
 * and still walks a poison message to the DLQ (after maxReceiveCount attempts) in bounded time.
 */

export interface BackoffPolicy {
  /** Delay before the second attempt, in seconds, before jitter. */
  readonly baseSeconds: number;
  /** Upper bound of any delay, in seconds. */
  readonly capSeconds: number;
}

/** The backoff a consumer uses unless told otherwise (constructs and the Lambda share it). */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseSeconds: 2, capSeconds: 300 };

/** SQS refuses a visibility timeout above 12 hours. */
export const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * Seconds to hide a record that failed its `attempt`-th delivery (1 = first):
 * `min(cap, base·2^(attempt−1))` with equal jitter — half of it fixed, so retries never bunch at
 * zero, half random, so a batch that failed together does not retry together.
 *
 * @param random a source of numbers in [0, 1); inject one to make the result deterministic.
 * @example
 * ```ts
 * backoffSeconds(3, { baseSeconds: 2, capSeconds: 300 }, () => 0.5); // 8 → 4 + 0.5·4 = 6
 * ```
 */
export const backoffSeconds = (attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number => {
  const ceiling = backoffCeilingSeconds(attempt, policy);
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  // Whole seconds, as SQS wants; at least 1 so a retry never comes back in the same instant.
  return Math.max(1, Math.min(Math.floor(ceiling), Math.round(jittered)));
};

/** `min(cap, base·2^(attempt−1))`, the delay after the `attempt`-th failure before jitter. */
export const backoffCeilingSeconds = (attempt: number, policy: BackoffPolicy): number => {
  const exponent = Number.isFinite(attempt) && attempt >= 1 ? Math.floor(attempt) - 1 : 0;
  return Math.min(policy.capSeconds, MAX_VISIBILITY_SECONDS, policy.baseSeconds * 2 ** exponent);
};

/** The shortest and the longest delay {@link backoffSeconds} can choose after the `attempt`-th failure. */
export const backoffBounds = (attempt: number, policy: BackoffPolicy): { readonly min: number; readonly max: number } => ({
  min: backoffSeconds(attempt, policy, () => 0),
  max: backoffSeconds(attempt, policy, () => 1 - Number.EPSILON),
});
