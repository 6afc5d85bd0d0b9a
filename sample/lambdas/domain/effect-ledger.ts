/**
 * The port through which the sample consumers perform their side effects. The sample's
 * implementation records each effect as a ledger item — a stand-in for sending an email or
 * reserving stock.
 *
 * The downstream takes an idempotency key, as Stripe's `Idempotency-Key` header does:
 * `<consumer>#<eventId>#<effect>`. Consumer-side idempotency records cannot close one window: an
 * invocation that dies after the effect but before its record is marked COMPLETED (a timeout, a
 * crashed runtime) is redelivered once the in-progress record expires and performs the effect
 * again. With the key, the downstream absorbs that repeat and counts it in `deliveries`.
 */

export const Effects = {
  EmailSent: 'email.sent',
  SmsSent: 'sms.sent',
  StockReserved: 'stock.reserved',
  UserErased: 'user.erased',
} as const;
export type Effect = (typeof Effects)[keyof typeof Effects];

/** Why an effect was not performed: its data subject was erased after the event. */
export interface SkippedEffect {
  readonly reason: 'subject-erased';
  readonly erasureEventId: string;
}

/** One effect, performed or (with `skipped`) deliberately not, tied to the order or the user it concerns. */
export type EffectEntry = {
  readonly consumer: string;
  readonly eventId: string;
  readonly effect: Effect;
  readonly skipped?: SkippedEffect;
} & ({ readonly orderId: string; readonly userId?: never } | { readonly userId: string; readonly orderId?: never });

export interface EffectLedger {
  /** Performs (records) one effect, or records why it was skipped; repeating the same consumer + event + effect performs nothing new. */
  record(entry: EffectEntry): Promise<void>;
}
