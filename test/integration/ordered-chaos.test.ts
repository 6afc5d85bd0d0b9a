/**
 * A small ordered chaos run (the full one is `npm run chaos:ordered`): the sample's account
 * lifecycle, ordered by account, through a runtime that injects transient failures, crashes after
 * the effect and duplicate deliveries, with requests repeated under their Idempotency-Key and one
 * kill -9 mid-run. Per account: every effect once, in publish order, nothing in the billing DLQ.
 *
 * Its length has the same floor as the other chaos test: a batch failed as a whole (an injected
 * fault, the kill) comes back after the queue's 60 s visibility timeout, and holds its accounts
 * that long.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runOrderedChaos } from '../../bench/lib/ordered-chaos-run.ts';
import { startRuntime, type RuntimeProcess } from '../../bench/lib/runtime.ts';

const FAULTS = { transientFailureRate: 0.05, crashAfterEffectRate: 0.05, duplicateDeliveryRate: 0.1, seed: 11 };

describe('ordered chaos: the account lifecycle under faults, duplicates and a kill -9', () => {
  let runtime: RuntimeProcess | undefined;

  afterAll(async () => {
    await runtime?.stop();
  });

  it('applies every account event once, in publish order', { timeout: 600_000 }, async () => {
    // Prepare
    runtime = await startRuntime({ faults: FAULTS });

    // Act
    const result = await runOrderedChaos(runtime, {
      accounts: 20,
      chargesPerAccount: 3,
      concurrency: 10,
      repeatRequestRate: 0.2,
      killAfterShare: 0.5,
      quiescenceTimeoutMs: 360_000,
      log: () => {},
      runId: `t${Date.now().toString(36)}`,
    });
    runtime = result.runtime;

    // Assess
    const { violations, ...counts } = result.report;
    console.info(`ordered chaos (small): ${JSON.stringify(counts)}`);
    expect(violations).toEqual([]);
    expect(counts.accepted).toBe(100);
    expect(counts.effectsFound).toBe(100);
    expect(counts.killedAtAccepted).toBeGreaterThanOrEqual(50);
    expect(counts.repeatedRequests).toBeGreaterThan(0);
  });
});
