/**
 * An optional pause before a sample consumer's effect (`SIMULATED_LATENCY_MS`), so benchmarks
 * can model a slow downstream without a real one.
 */
import type { LatencyRange } from './env.ts';

/** A delay drawn uniformly from the range, in whole milliseconds. */
export const latencyMs = (range: LatencyRange, random: () => number = Math.random): number =>
  range.minMs + Math.floor(random() * (range.maxMs - range.minMs + 1));

/** Waits a delay drawn from the range; resolves at once when there is no range. */
export const simulateLatency = async (range: LatencyRange | undefined, random: () => number = Math.random): Promise<void> => {
  if (range === undefined) return;
  const delay = latencyMs(range, random);
  await new Promise((resolve) => setTimeout(resolve, delay));
};
