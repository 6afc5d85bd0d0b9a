/** SIMULATED_LATENCY_MS: a benchmark's stand-in for a slow downstream. */
import { describe, expect, it, vi } from 'vitest';
import { readSampleConsumerEnv } from '../../../../sample/lambdas/env.ts';
import { latencyMs, simulateLatency } from '../../../../sample/lambdas/simulated-latency.ts';

describe('simulated latency', () => {
  it('reads "min-max" and a single number, and is off when unset', () => {
    // Act / Assess
    expect(readSampleConsumerEnv({ LEDGER_TABLE_NAME: 't', SIMULATED_LATENCY_MS: '300-800' }).simulatedLatency).toEqual({ minMs: 300, maxMs: 800 });
    expect(readSampleConsumerEnv({ LEDGER_TABLE_NAME: 't', SIMULATED_LATENCY_MS: '50' }).simulatedLatency).toEqual({ minMs: 50, maxMs: 50 });
    expect(readSampleConsumerEnv({ LEDGER_TABLE_NAME: 't' }).simulatedLatency).toBeUndefined();
  });

  it.each([['800-300'], ['fast'], ['-5'], ['1-2-3']])('rejects %s with a clear error', (value) => {
    // Act / Assess
    expect(() => readSampleConsumerEnv({ LEDGER_TABLE_NAME: 't', SIMULATED_LATENCY_MS: value })).toThrow(/SIMULATED_LATENCY_MS/);
  });

  it('draws a whole number of milliseconds from the inclusive range', () => {
    // Act / Assess
    expect(latencyMs({ minMs: 300, maxMs: 800 }, () => 0)).toBe(300);
    expect(latencyMs({ minMs: 300, maxMs: 800 }, () => 0.999_999)).toBe(800);
    expect(latencyMs({ minMs: 300, maxMs: 800 }, () => 0.5)).toBe(550);
  });

  it('waits the drawn delay, and not at all without a range', async () => {
    // Prepare
    vi.useFakeTimers();
    try {
      let done = false;

      // Act
      const waiting = simulateLatency({ minMs: 300, maxMs: 300 }).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(299);
      const beforeDelay = done;
      await vi.advanceTimersByTimeAsync(1);
      await waiting;

      // Assess
      expect(beforeDelay).toBe(false);
      expect(done).toBe(true);
      await expect(simulateLatency(undefined)).resolves.toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });
});
