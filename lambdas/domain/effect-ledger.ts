/**
 * The port through which the sample consumers perform their side effects. The sample's
 * implementation records each effect as its own ledger item — a stand-in for sending an email or
 * reserving stock that makes an effect performed twice visible.
 */

export const Effects = {
  EmailSent: 'email.sent',
  SmsSent: 'sms.sent',
  StockReserved: 'stock.reserved',
  UserErased: 'user.erased',
} as const;
export type Effect = (typeof Effects)[keyof typeof Effects];

/** One performed effect, tied to the order or the user it concerns. */
export type EffectEntry = {
  readonly consumer: string;
  readonly eventId: string;
  readonly effect: Effect;
} & ({ readonly orderId: string; readonly userId?: never } | { readonly userId: string; readonly orderId?: never });

export interface EffectLedger {
  /** Performs (records) one effect; each call is a new effect, never an upsert. */
  record(entry: EffectEntry): Promise<void>;
}
