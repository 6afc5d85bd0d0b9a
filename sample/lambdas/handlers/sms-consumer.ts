/** Sample consumer `sms`: order confirmations by SMS (order.placed) and erasure. */
import { notify } from '../domain/notifications.ts';
import { createSampleConsumerHandler } from '../sample-consumer.ts';

export const handler = createSampleConsumerHandler((event, ledger) => notify('sms', event, ledger));
