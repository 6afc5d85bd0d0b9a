/**
 * A small chaos run (the full one is `npm run chaos`): a few hundred events through a runtime
 * that injects transient failures, crashes after the effect and duplicate deliveries, with one
 * kill -9 mid-run and a restart on the same data folder, a 45 s outage of the ledger table with
 * orders overtaken in retry by their customer's erasure, one Idempotency-Key reused across
 * resources and after expiry, and a redrive of dead letters after their customer's erasure.
 * Every invariant of bench/lib/chaos-run.ts must hold.
 *
 * Its length has a floor: a message in flight at the kill (or failed by an injected fault)
 * comes back only after the queue's visibility timeout, 60 s in the sample (6 × its 10 s function
 * timeout), and each further fault on the same message adds another 60 s. Lower fault rates than
 * the full run keep such chains short; it still takes about 2.5–3.5 minutes on two cores.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runChaos, type ChaosTarget } from '../../bench/lib/chaos-run.ts';
import { startRuntime, type RuntimeProcess as TestRuntime } from '../../bench/lib/runtime.ts';

const FAULTS = { transientFailureRate: 0.05, crashAfterEffectRate: 0.05, duplicateDeliveryRate: 0.1, seed: 7 };

/** The harness's runtime as the chaos run drives it. */
const asChaosTarget = (runtime: TestRuntime, onRestart: (next: TestRuntime) => void): ChaosTarget => ({
  state: runtime.state,
  kill9: () => runtime.kill9(),
  restart: async () => {
    const next = await runtime.restart();
    onRestart(next);
    return asChaosTarget(next, onRestart);
  },
});

describe('chaos: faults, duplicates, poison and a kill -9', () => {
  let current: TestRuntime | undefined;

  afterAll(async () => {
    await current?.stop();
  });

  it('loses nothing and doubles nothing, the kill -9 and the outage included', { timeout: 600_000 }, async () => {
    // Prepare
    current = await startRuntime({ faults: FAULTS });
    const target = asChaosTarget(current, (next) => (current = next));

    // Act
    const { report } = await runChaos(target, {
      events: 300,
      ratePerSecond: 50,
      concurrency: 16,
      killAfterShare: 0.5,
      outage: { afterShare: 0.7, seconds: 45, racePairs: 3 },
      deadLettersAfterErasure: 2,
      quiescenceTimeoutMs: 300_000,
      log: () => {},
      runId: `t${Date.now().toString(36)}`,
    });

    // Assess (the counts are printed: how many repeats the effects' idempotency keys absorbed varies by run)
    const { violations, ...counts } = report;
    console.info(`chaos (small): ${JSON.stringify(counts)}`);
    expect(violations).toEqual([]);
    expect(report.accepted).toBe(300);
    expect(report.missing).toBe(0);
    expect(report.effectsFound).toBe(report.effectsExpected);
    expect(report.ordersWithTwoEvents).toBe(0);
    expect(report.deadLettered.poison).toBe(report.poison);
    expect(report.deadLettered.parked).toBe(0);
    expect(report.killedAtAccepted).toBeGreaterThanOrEqual(150);
    // The scenarios ran and were checked: the outage refused requests, erased customers' orders were skipped.
    expect(report.scenarios.refusedDuringOutage).toBeGreaterThan(0);
    expect(report.scenarios.raceOrders).toBe(3);
    expect(report.scenarios.keyReuseEvents).toBe(3);
    expect(report.scenarios.redrivenAfterErasure).toBe(2);
    expect(report.scenarios.peekFlaggedErased).toBe(4);
    // Every notification of a redriven order is skipped; a raced order's is skipped unless the
    // consumer got to it before the erasure (checked against the tombstone's time in the run).
    expect(report.scenarios.skippedEffects + report.scenarios.racePerformedBeforeErasure).toBe(2 * (3 + 2));
    expect(report.scenarios.skippedEffects).toBeGreaterThanOrEqual(2 * 2);
  });
});
