/** Sample consumer `email`: order confirmations by email (order.placed) and erasure. */
import { notify } from '../domain/notifications.ts';
import { createSampleConsumerHandler } from '../sample-consumer.ts';

export const handler = createSampleConsumerHandler((event, ledger) => notify('email', event, ledger));
