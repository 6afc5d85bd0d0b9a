/** The sample's billing consumer: the ordered account lifecycle, numbered per account, refusing a charge before verification. */
import { describe, expect, it } from 'vitest';
import { installSampleEventValidators } from '../../../helpers/event-validators.ts';
import { memoryLedger } from '../../../helpers/memory-ledger.ts';
import {
  AccountAlreadyOpenedError,
  AccountNotVerifiedError,
  UnknownAccountError,
  bill,
  type Account,
  type AccountStore,
} from '../../../../sample/lambdas/domain/billing.ts';
import { InvalidEventDataError } from '../../../../sample/lambdas/domain/event-data.ts';

await installSampleEventValidators();

const memoryAccounts = () => {
  const accounts = new Map<string, Account>();
  const store: AccountStore = {
    get: async (consumer, accountId) => accounts.get(`${consumer}#${accountId}`),
    put: async (consumer, accountId, account, previousEffects) => {
      const key = `${consumer}#${accountId}`;
      if ((accounts.get(key)?.effects ?? 0) !== previousEffects) throw new Error('ConditionalCheckFailedException');
      accounts.set(key, account);
    },
  };
  return { accounts, store };
};

const opened = { consumer: 'billing', eventId: 'e1', eventType: 'account.opened', data: { accountId: 'acc-1', email: 'ada@example.com' } };
const verified = { consumer: 'billing', eventId: 'e2', eventType: 'account.verified', data: { accountId: 'acc-1' } };
const charged = (eventId: string) => ({ consumer: 'billing', eventId, eventType: 'account.charged', data: { accountId: 'acc-1', amountCents: 500, currency: 'EUR' } });

describe('bill', () => {
  it('numbers the effects of an account in the order it applies them', async () => {
    // Prepare
    const { entries, ledger } = memoryLedger();
    const { store } = memoryAccounts();

    // Act
    for (const event of [opened, verified, charged('e3'), charged('e4')]) await bill(event, ledger, store);

    // Assess
    expect(entries.map((entry) => [entry.eventId, entry.effect, entry.accountId, entry.sequence])).toEqual([
      ['e1', 'account.opened', 'acc-1', 1],
      ['e2', 'account.verified', 'acc-1', 2],
      ['e3', 'account.charged', 'acc-1', 3],
      ['e4', 'account.charged', 'acc-1', 4],
    ]);
  });

  it('refuses to charge an account it has not seen verified, permanently, and records nothing', async () => {
    const { entries, ledger } = memoryLedger();
    const { store } = memoryAccounts();
    await bill(opened, ledger, store);
    await expect(bill(charged('e3'), ledger, store)).rejects.toBeInstanceOf(AccountNotVerifiedError);
    expect(entries.map((entry) => entry.effect)).toEqual(['account.opened']);
  });

  it('refuses a verification or a charge of an account never opened, and a second opening', async () => {
    const { ledger } = memoryLedger();
    const { store } = memoryAccounts();
    await expect(bill(verified, ledger, store)).rejects.toBeInstanceOf(UnknownAccountError);
    await expect(bill(charged('e3'), ledger, store)).rejects.toBeInstanceOf(UnknownAccountError);
    await bill(opened, ledger, store);
    await expect(bill({ ...opened, eventId: 'e9' }, ledger, store)).rejects.toBeInstanceOf(AccountAlreadyOpenedError);
    await expect(bill({ ...charged('e5'), data: { accountId: 'acc-1', amountCents: -1, currency: 'EUR' } }, ledger, store)).rejects.toBeInstanceOf(InvalidEventDataError);
  });

  it('finishes an attempt that died between the account write and the ledger write under the same number', async () => {
    // Prepare: the account took e2, the ledger never heard of it
    const { entries, ledger } = memoryLedger();
    const { store } = memoryAccounts();
    await bill(opened, ledger, store);
    const failingLedger = { record: async () => Promise.reject(new Error('crash')) };
    await expect(bill(verified, failingLedger, store)).rejects.toThrow('crash');

    // Act: the redelivery
    await bill(verified, ledger, store);

    // Assess
    expect(entries.map((entry) => [entry.eventId, entry.sequence])).toEqual([
      ['e1', 1],
      ['e2', 2],
    ]);
  });
});
