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
  /** The ordered account lifecycle's effects, recorded by the billing consumer. */
  AccountOpened: 'account.opened',
  AccountVerified: 'account.verified',
  AccountCharged: 'account.charged',
  /** A Stripe event the payments consumer recorded. */
  PaymentRecorded: 'payment.recorded',
  /** A GitHub delivery the repository consumer recorded. */
  RepositoryEventRecorded: 'repository_event.recorded',
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
  /**
   * The effect's place in its account's history (1, 2, …) in the ordered account lifecycle: the
   * order in which billing applied the account's events, which must be their publish order.
   */
  readonly sequence?: number;
} & (
  /** An account lifecycle effect, tied to the account. */
  | { readonly accountId: string; readonly orderId?: never; readonly userId?: never; readonly providerEventId?: never }
  | { readonly orderId: string; readonly userId?: never; readonly providerEventId?: never; readonly accountId?: never }
  | { readonly userId: string; readonly orderId?: never; readonly providerEventId?: never; readonly accountId?: never }
  /** A webhook event's effect, tied to the provider's event or delivery id. */
  | { readonly providerEventId: string; readonly orderId?: never; readonly userId?: never; readonly accountId?: never }
);

export interface EffectLedger {
  /** Performs (records) one effect, or records why it was skipped; repeating the same consumer + event + effect performs nothing new. */
  record(entry: EffectEntry): Promise<void>;
}
