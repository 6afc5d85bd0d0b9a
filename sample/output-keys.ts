/** The sample stack's own output keys, beside the workflow's (lib/constructs/output-keys.ts). */
export const SampleOutputKeys = {
  LedgerTableName: 'LedgerTableName',
} as const;
