/** Sample consumer `inventory`: reserves stock for placed orders. */
import { reserveStock } from '#domain/inventory';
import { createSampleConsumerHandler } from '#shared/sample-consumer';

export const handler = createSampleConsumerHandler(reserveStock);
