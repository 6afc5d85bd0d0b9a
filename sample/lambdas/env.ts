/** The sample consumers' settings beyond the library's: the ledger table and a simulated latency. */
import * as z from 'zod';
import { parseEnv } from 'queueflow/lambda';

const name = z.string().trim().min(1);

/** An inclusive range of milliseconds, written `"min-max"` (or one number for a fixed delay). */
export interface LatencyRange {
  readonly minMs: number;
  readonly maxMs: number;
}

const LatencyRangeText = z
  .string()
  .regex(/^\d{1,6}(-\d{1,6})?$/, 'must be "min-max" in milliseconds, e.g. "300-800"')
  .transform((text) => {
    const [min, max = min] = text.split('-').map(Number) as [number, number?];
    return { minMs: min, maxMs: max };
  })
  .refine((range) => range.maxMs >= range.minMs, 'max must be at least min');

const SampleConsumerEnv = z
  .object({
    LEDGER_TABLE_NAME: name,
    SIMULATED_LATENCY_MS: LatencyRangeText.optional(),
  })
  .transform((env) => ({ ledgerTableName: env.LEDGER_TABLE_NAME, simulatedLatency: env.SIMULATED_LATENCY_MS }));
export type SampleConsumerEnv = z.infer<typeof SampleConsumerEnv>;

/** The sample consumers' extra settings. @throws {ConfigurationError} */
export const readSampleConsumerEnv = (env: NodeJS.ProcessEnv = process.env): SampleConsumerEnv =>
  parseEnv(SampleConsumerEnv, env);
