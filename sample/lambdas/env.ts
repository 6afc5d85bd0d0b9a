/** The sample consumers' settings beyond the library's: the ledger table and a simulated latency. */
import { EnvReader } from 'queueflow/lambda';

/** An inclusive range of milliseconds, written `"min-max"` (or one number for a fixed delay). */
export interface LatencyRange {
  readonly minMs: number;
  readonly maxMs: number;
}

export interface SampleConsumerEnv {
  readonly ledgerTableName: string;
  readonly simulatedLatency?: LatencyRange;
}

const LATENCY_RANGE = /^\d{1,6}(-\d{1,6})?$/;

const latencyRange = (text: string): LatencyRange => {
  if (!LATENCY_RANGE.test(text)) throw new Error('must be "min-max" in milliseconds, e.g. "300-800"');
  const [min, max = min] = text.split('-').map(Number) as [number, number?];
  if (max < min) throw new Error('max must be at least min');
  return { minMs: min, maxMs: max };
};

/** The sample consumers' extra settings. @throws {ConfigurationError} */
export const readSampleConsumerEnv = (env: NodeJS.ProcessEnv = process.env): SampleConsumerEnv => {
  const reader = new EnvReader(env);
  const ledgerTableName = reader.name('LEDGER_TABLE_NAME');
  const simulatedLatency = reader.optional('SIMULATED_LATENCY_MS', latencyRange);
  reader.done();
  return { ledgerTableName, ...(simulatedLatency === undefined ? {} : { simulatedLatency }) };
};

/** The billing consumer's account table. @throws {ConfigurationError} */
export const readBillingEnv = (env: NodeJS.ProcessEnv = process.env): { readonly accountsTableName: string } => {
  const reader = new EnvReader(env);
  const accountsTableName = reader.name('ACCOUNTS_TABLE_NAME');
  reader.done();
  return { accountsTableName };
};
