/** Sample consumer `billing`: the ordered account lifecycle (opened → verified → charged). */
import { createDynamoDbAccounts } from '../adapters/accounts.ts';
import { bill } from '../domain/billing.ts';
import { readBillingEnv } from '../env.ts';
import { createSampleConsumerHandler } from '../sample-consumer.ts';

const accounts = createDynamoDbAccounts(readBillingEnv().accountsTableName);

export const handler = createSampleConsumerHandler((event, ledger) => bill(event, ledger, accounts));
