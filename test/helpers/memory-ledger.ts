import type { EffectEntry, EffectLedger } from '../../sample/lambdas/domain/effect-ledger.ts';

/** An {@link EffectLedger} that keeps the effects in memory, for domain tests. */
export const memoryLedger = () => {
  const entries: EffectEntry[] = [];
  const ledger: EffectLedger = { record: async (entry) => void entries.push(entry) };
  return { entries, ledger };
};
