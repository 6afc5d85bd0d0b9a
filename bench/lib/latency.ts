/** The sample consumers' simulated downstream latencies (`SIMULATED_LATENCY_MS`, "min-max"). */
import { readSampleConsumerEnv, type LatencyRange } from '../../sample/lambdas/env.ts';

/** Parses "min-max" (or one number) exactly as the sample consumers do. */
export const parseLatencyRange = (text: string): LatencyRange => {
  const range = readSampleConsumerEnv({ LEDGER_TABLE_NAME: 'unused', SIMULATED_LATENCY_MS: text }).simulatedLatency;
  if (range === undefined) throw new RangeError(`No latency range in "${text}"`);
  return range;
};

export const formatRange = (range: LatencyRange): string => `${range.minMs}–${range.maxMs} ms`;
