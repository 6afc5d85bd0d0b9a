/** The retry backoff: `min(cap, base·2^(attempt−1))` with equal jitter, in whole seconds. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_VISIBILITY_SECONDS, backoffSeconds } from '../../../../lambdas/shared/backoff.ts';

const policy = { baseSeconds: 2, capSeconds: 300 };

describe('backoffSeconds', () => {
  it.each([
    [1, 0, 1], // ceiling 2: half of it
    [1, 0.999, 2],
    [2, 0, 2], // ceiling 4
    [2, 0.5, 3],
    [4, 0.25, 10], // ceiling 16: 8 + 0.25·8
    [8, 0, 128], // ceiling 256, still under the cap of 300
    [9, 0.5, 225], // ceiling min(300, 512) = 300: 150 + 75
  ])('attempt %d with random %d → %d s', (attempt, random, expected) => {
    // Act / Assess
    expect(backoffSeconds(attempt, policy, () => random)).toBe(expected);
  });

  it('doubles the fixed half on each attempt until the cap', () => {
    // Act
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((attempt) => backoffSeconds(attempt, policy, () => 0));

    // Assess
    expect(delays).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 150, 150]);
  });

  it('never exceeds the cap, even for huge attempt counts', () => {
    // Act / Assess
    expect(backoffSeconds(10_000, policy, () => 0.999_999)).toBe(300);
    expect(backoffSeconds(Number.MAX_SAFE_INTEGER, policy, () => 0.5)).toBe(225);
  });

  it('treats a missing or nonsensical attempt count as the first attempt', () => {
    // Act / Assess
    for (const attempt of [0, -3, Number.NaN]) {
      expect(backoffSeconds(attempt, policy, () => 0)).toBe(1);
    }
  });

  it('never goes over the SQS visibility maximum, whatever the policy', () => {
    // Act / Assess
    expect(backoffSeconds(30, { baseSeconds: 60, capSeconds: 1_000_000 }, () => 0.999_999)).toBe(MAX_VISIBILITY_SECONDS);
  });

  it('stays within [max(1, ceiling/2), ceiling] for any attempt and random value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 3_600 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseSeconds, extraCap, random) => {
          // Prepare
          const capSeconds = baseSeconds + extraCap;
          const ceiling = Math.min(capSeconds, baseSeconds * 2 ** (attempt - 1));

          // Act
          const delay = backoffSeconds(attempt, { baseSeconds, capSeconds }, () => random);

          // Assess
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(Math.max(1, Math.floor(ceiling / 2)));
          expect(delay).toBeLessThanOrEqual(ceiling);
        },
      ),
    );
  });
});
