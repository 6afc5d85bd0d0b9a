/** Sample consumer `sms`: order confirmations by SMS (order.placed) and erasure. */
import { notify } from '#domain/notifications';
import { createSampleConsumerHandler } from '#shared/sample-consumer';

export const handler = createSampleConsumerHandler((event, ledger) => notify('sms', event, ledger));
