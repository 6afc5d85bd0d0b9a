/** Sample consumer `inventory`: reserves stock for placed orders. */
import { reserveStock } from '../domain/inventory.ts';
import { createSampleConsumerHandler } from '../sample-consumer.ts';

export const handler = createSampleConsumerHandler(reserveStock);
