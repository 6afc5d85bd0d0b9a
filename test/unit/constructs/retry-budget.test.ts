/**
 * The retry budget: the receive count that keeps a failing message retrying for at least
 * `retryFor`, derived from the backoff and the visibility timeout, and the window in which such a
 * message reaches its DLQ.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_RECEIVE_COUNT_LIMIT, planRetries, waitAfterFailure, type RetryBudgetInput } from '../../../lib/constructs/retry-budget.ts';

/** The construct's defaults: backoff 2 s doubling to 300 s, a 30 s function, visibility 6 × 30 s, one hour. */
const DEFAULTS: RetryBudgetInput = {
  retryForSeconds: 3600,
  backoff: { baseSeconds: 2, capSeconds: 300 },
  visibilitySeconds: 180,
  timeoutSeconds: 30,
};
/** The sample stack: the defaults with a 10 s function, so a 60 s visibility. */
const SAMPLE: RetryBudgetInput = { ...DEFAULTS, timeoutSeconds: 10, visibilitySeconds: 60 };

describe('planRetries', () => {
  it('derives 31 receives for the defaults, reaching the DLQ between 3,705 s and 9,136 s', () => {
    // Act
    const plan = planRetries(DEFAULTS);

    // Assess
    expect(plan).toMatchObject({ maxReceiveCount: 31, earliestDeadLetterSeconds: 3705, latestDeadLetterSeconds: 9136 });
    // One fewer receive could dead-letter before the hour is up: 31 is the fewest.
    expect(plan.attempts[30]!.earliestSeconds).toBeLessThan(3600);
  });

  it("derives 65 receives for the sample's 10 s function and 60 s visibility", () => {
    // Act
    const plan = planRetries(SAMPLE);

    // Assess
    expect(plan.maxReceiveCount).toBe(65);
    expect(plan.earliestDeadLetterSeconds).toBeGreaterThanOrEqual(3600);
    expect(plan.attempts[64]!.earliestSeconds).toBeLessThan(3600);
  });

  it('lists every receive from the first at 0 s, then the move to the DLQ as attempt maxReceiveCount + 1', () => {
    // Act
    const plan = planRetries(DEFAULTS);

    // Assess
    expect(plan.attempts).toHaveLength(32);
    expect(plan.attempts[0]).toEqual({ attempt: 1, earliestSeconds: 0, latestSeconds: 0 });
    expect(plan.attempts.map(({ attempt }) => attempt)).toEqual(Array.from({ length: 32 }, (_, index) => index + 1));
    expect(plan.attempts.at(-1)).toEqual({ attempt: 32, earliestSeconds: 3705, latestSeconds: 9136 });
    // The second receive comes 1 s (half of the 2 s backoff) to 180 s (the visibility) after the first.
    expect(plan.attempts[1]).toEqual({ attempt: 2, earliestSeconds: 1, latestSeconds: 180 });
  });

  describe('the wait after a failed receive', () => {
    it('is at least half the backoff and at most the visibility timeout while the backoff is short', () => {
      expect(waitAfterFailure(1, DEFAULTS)).toEqual({ min: 1, max: 180 });
      expect(waitAfterFailure(7, DEFAULTS)).toEqual({ min: 64, max: 180 });
    });

    it('adds the function timeout to the longest backoff once it outgrows the visibility timeout', () => {
      // Attempt 8: backoff up to 256 s, reported up to 30 s after the receive.
      expect(waitAfterFailure(8, DEFAULTS)).toEqual({ min: 128, max: 286 });
    });

    it("stays within the cap's bounds from the 9th attempt on: half the cap to the timeout plus the cap", () => {
      // Act
      const waits = [9, 10, 20, 31, 1000].map((attempt) => waitAfterFailure(attempt, DEFAULTS));

      // Assess
      for (const wait of waits) expect(wait).toEqual({ min: 150, max: 30 + 300 });
    });

    it('is at shortest the visibility timeout when that is below half the backoff: a whole invocation can fail without any backoff', () => {
      // The sample's visibility of 60 s is shorter than half the 300 s cap: a crashed batch comes back sooner.
      expect(waitAfterFailure(9, SAMPLE)).toEqual({ min: 60, max: 310 });
    });
  });

  it('counts whole-invocation failures: a shorter visibility timeout needs more receives for the same time', () => {
    // Act
    const counts = [900, 180, 60].map((visibilitySeconds) => planRetries({ ...DEFAULTS, visibilitySeconds }).maxReceiveCount);

    // Assess: 900 s lets half the cap (150 s) be the least wait; 60 s caps it at 60 s.
    expect(counts).toEqual([31, 31, 65]);
  });

  it('counts the batching window in the latest time, not the earliest', () => {
    // Act
    const without = planRetries(DEFAULTS);
    const withWindow = planRetries({ ...DEFAULTS, batchingWindowSeconds: 60 });

    // Assess: a record may wait out the window before each invocation; it never shortens a wait
    expect(withWindow.maxReceiveCount).toBe(without.maxReceiveCount);
    expect(withWindow.earliestDeadLetterSeconds).toBe(without.earliestDeadLetterSeconds);
    expect(withWindow.latestDeadLetterSeconds).toBeGreaterThan(without.latestDeadLetterSeconds);
    expect(waitAfterFailure(9, { ...DEFAULTS, batchingWindowSeconds: 60 }).max).toBe(60 + 30 + 300);
  });

  it('gives an explicit receive count the window of that count', () => {
    // Act
    const five = planRetries(DEFAULTS, 5);
    const fifty = planRetries(DEFAULTS, 50);

    // Assess: 1 + 2 + 4 + 8 + 16 s at the earliest; 5 × 180 s at the latest
    expect(five).toMatchObject({ maxReceiveCount: 5, earliestDeadLetterSeconds: 31, latestDeadLetterSeconds: 900 });
    expect(five.attempts).toHaveLength(6);
    expect(fifty).toMatchObject({ maxReceiveCount: 50, earliestDeadLetterSeconds: 3705 + 19 * 150, latestDeadLetterSeconds: 9136 + 19 * 330 });
  });

  it(`stops at ${MAX_RECEIVE_COUNT_LIMIT} receives, short of a retryFor no receive count can cover`, () => {
    // Act
    const plan = planRetries({ ...DEFAULTS, retryForSeconds: 10 * 86_400 });

    // Assess: the caller sees earliestDeadLetterSeconds < retryForSeconds and refuses it
    expect(plan.maxReceiveCount).toBe(MAX_RECEIVE_COUNT_LIMIT);
    expect(plan.earliestDeadLetterSeconds).toBeLessThan(10 * 86_400);
  });

  describe('properties', () => {
    const budget = fc.record({
      retryForSeconds: fc.integer({ min: 1, max: 14 * 86_400 }),
      timeoutSeconds: fc.integer({ min: 1, max: 900 }),
      extraVisibilitySeconds: fc.integer({ min: 0, max: 3600 }),
      baseSeconds: fc.integer({ min: 1, max: 600 }),
      extraCapSeconds: fc.integer({ min: 0, max: 43_200 }),
    });
    const inputOf = (generated: {
      retryForSeconds: number;
      timeoutSeconds: number;
      extraVisibilitySeconds: number;
      baseSeconds: number;
      extraCapSeconds: number;
    }): RetryBudgetInput => ({
      retryForSeconds: generated.retryForSeconds,
      timeoutSeconds: generated.timeoutSeconds,
      // As the construct enforces: visibility ≥ 6 × timeout, base ≤ cap ≤ 12 h.
      visibilitySeconds: Math.min(43_200, 6 * generated.timeoutSeconds + generated.extraVisibilitySeconds),
      backoff: { baseSeconds: generated.baseSeconds, capSeconds: Math.min(43_200, generated.baseSeconds + generated.extraCapSeconds) },
    });

    it('never gives fewer receives for a longer retryFor', () => {
      fc.assert(
        fc.property(budget, fc.integer({ min: 0, max: 86_400 }), (generated, more) => {
          const input = inputOf(generated);
          const longer = { ...input, retryForSeconds: input.retryForSeconds + more };
          expect(planRetries(longer).maxReceiveCount).toBeGreaterThanOrEqual(planRetries(input).maxReceiveCount);
        }),
      );
    });

    it('derives the fewest receives whose earliest move to the DLQ is no sooner than retryFor, when one exists', () => {
      fc.assert(
        fc.property(budget, (generated) => {
          const input = inputOf(generated);
          const plan = planRetries(input);
          if (plan.maxReceiveCount < MAX_RECEIVE_COUNT_LIMIT) expect(plan.earliestDeadLetterSeconds).toBeGreaterThanOrEqual(input.retryForSeconds);
          else expect(plan.maxReceiveCount).toBe(MAX_RECEIVE_COUNT_LIMIT);
          if (plan.maxReceiveCount > 1) expect(plan.attempts[plan.maxReceiveCount - 1]!.earliestSeconds).toBeLessThan(input.retryForSeconds);
        }),
      );
    });

    it('keeps every window ordered: the earliest no later than the latest, both growing with each attempt', () => {
      fc.assert(
        fc.property(budget, fc.integer({ min: 1, max: 200 }), (generated, count) => {
          const { attempts } = planRetries(inputOf(generated), count);
          expect(attempts).toHaveLength(count + 1);
          attempts.forEach((window, index) => {
            expect(window.earliestSeconds).toBeLessThanOrEqual(window.latestSeconds);
            if (index > 0) expect(window.earliestSeconds).toBeGreaterThan(attempts[index - 1]!.earliestSeconds);
          });
        }),
      );
    });

    it('gives an explicit count the same windows as the derived plan up to that count', () => {
      fc.assert(
        fc.property(budget, (generated) => {
          const input = inputOf(generated);
          const derived = planRetries(input);
          const explicit = planRetries(input, derived.maxReceiveCount);
          expect(explicit).toEqual(derived);
        }),
      );
    });
  });
});
