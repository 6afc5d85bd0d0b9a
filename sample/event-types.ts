/**
 * The sample app's event type names. Apart from ./events.ts (the zod schemas) so that the
 * consumers, which import the names, load no schema library.
 */
export const EventTypes = {
  OrderPlaced: 'order.placed',
  UserErasureRequested: 'user.erasure_requested',
  // The account lifecycle, ordered by account: opened → verified → charged (sample/stack.ts).
  AccountOpened: 'account.opened',
  AccountVerified: 'account.verified',
  AccountCharged: 'account.charged',
} as const;
export type EventType = (typeof EventTypes)[keyof typeof EventTypes];
