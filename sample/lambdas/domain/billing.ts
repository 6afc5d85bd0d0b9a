/**
 * The sample's billing consumer: the ordered account lifecycle. Events of one account arrive in
 * the order they were published (opened → verified → charged …, ordered by `/accountId`), and
 * billing depends on it: it refuses to charge an account it has not seen verified.
 *
 * Each effect is numbered in its account's history (`sequence`, 1, 2, …) and recorded in the
 * ledger with that number, so the ledger shows the order in which the events were applied.
 */
import { EventTypes } from '../../event-types.ts';
import type { AccountChargedData, AccountOpenedData, AccountVerifiedData } from '../../events.ts';
import { Effects } from './effect-ledger.ts';
import type { Effect, EffectLedger } from './effect-ledger.ts';
import { UnsupportedEventTypeError, parseEventData } from './event-data.ts';
import type { SampleEvent } from './sample-event.ts';
import { PermanentError } from 'queueflow/lambda';

/** What billing knows of an account. */
export interface Account {
  readonly status: 'opened' | 'verified';
  /** Effects applied so far: the last one's `sequence`. */
  readonly effects: number;
  /** The event of the last effect: an attempt that died before its ledger write left it. */
  readonly lastEventId: string;
}

/** Billing's account state, one item per consumer and account. */
export interface AccountStore {
  get(consumer: string, accountId: string): Promise<Account | undefined>;
  /**
   * Stores `account` if the stored one still has `previousEffects` effects (0: none stored).
   * @throws when another attempt changed the account since it was read (transient: retried).
   */
  put(consumer: string, accountId: string, account: Account, previousEffects: number): Promise<void>;
}

/** A charge, or a verification, for an account billing has never seen opened; retrying cannot help. */
export class UnknownAccountError extends PermanentError {
  constructor(eventType: string) {
    super(`${eventType} for an account that was never opened`);
    this.name = 'UnknownAccountError';
  }
}

/** A second `account.opened` for an account billing already has. */
export class AccountAlreadyOpenedError extends PermanentError {
  constructor() {
    super('account.opened for an account that is already open');
    this.name = 'AccountAlreadyOpenedError';
  }
}

/** A charge for an account billing has not seen verified: it is never charged. */
export class AccountNotVerifiedError extends PermanentError {
  constructor() {
    super('account.charged for an account that is not verified: not charged');
    this.name = 'AccountNotVerifiedError';
  }
}

interface Transition {
  readonly accountId: string;
  readonly effect: Effect;
  readonly status: Account['status'];
}

/** The account's next state for the event, or the permanent error that refuses it. */
const transition = (event: SampleEvent, account: Account | undefined): Transition => {
  switch (event.eventType) {
    case EventTypes.AccountOpened: {
      const { accountId } = parseEventData<AccountOpenedData>(event.eventType, event.data);
      if (account !== undefined) throw new AccountAlreadyOpenedError();
      return { accountId, effect: Effects.AccountOpened, status: 'opened' };
    }
    case EventTypes.AccountVerified: {
      const { accountId } = parseEventData<AccountVerifiedData>(event.eventType, event.data);
      if (account === undefined) throw new UnknownAccountError(event.eventType);
      return { accountId, effect: Effects.AccountVerified, status: 'verified' };
    }
    case EventTypes.AccountCharged: {
      const { accountId } = parseEventData<AccountChargedData>(event.eventType, event.data);
      if (account === undefined) throw new UnknownAccountError(event.eventType);
      if (account.status !== 'verified') throw new AccountNotVerifiedError();
      return { accountId, effect: Effects.AccountCharged, status: account.status };
    }
    default:
      throw new UnsupportedEventTypeError(event.consumer, event.eventType);
  }
};

const EFFECTS: Readonly<Record<string, Effect>> = {
  [EventTypes.AccountOpened]: Effects.AccountOpened,
  [EventTypes.AccountVerified]: Effects.AccountVerified,
  [EventTypes.AccountCharged]: Effects.AccountCharged,
};

const accountIdOf = (data: unknown): string | undefined => {
  const value = (data as { accountId?: unknown } | null)?.accountId;
  return typeof value === 'string' ? value : undefined;
};

/**
 * Applies one account event and records its effect. The account write and the ledger write are
 * two steps: an attempt that dies between them left the account with this event as its last
 * one, and the retry only records the effect, under the same sequence.
 *
 * @throws {AccountNotVerifiedError} a charge before the account's verification.
 * @throws {UnknownAccountError} a verification or charge before the account was opened.
 * @throws {AccountAlreadyOpenedError} a second opening.
 */
export const bill = async (event: SampleEvent, ledger: EffectLedger, accounts: AccountStore): Promise<void> => {
  const { consumer, eventId } = event;
  const accountId = accountIdOf(event.data);
  const account = accountId === undefined ? undefined : await accounts.get(consumer, accountId);
  const effect = EFFECTS[event.eventType];
  if (account !== undefined && accountId !== undefined && effect !== undefined && account.lastEventId === eventId) {
    await ledger.record({ consumer, eventId, effect, accountId, sequence: account.effects });
    return;
  }
  const next = transition(event, account);
  const previous = account?.effects ?? 0;
  const sequence = previous + 1;
  await accounts.put(consumer, next.accountId, { status: next.status, effects: sequence, lastEventId: eventId }, previous);
  await ledger.record({ consumer, eventId, effect: next.effect, accountId: next.accountId, sequence });
};
