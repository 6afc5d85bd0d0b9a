/** Sample consumer `email`: order confirmations by email (order.placed) and erasure. */
import { notify } from '#domain/notifications';
import { createSampleConsumerHandler } from '#shared/sample-consumer';

export const handler = createSampleConsumerHandler((event, ledger) => notify('email', event, ledger));
