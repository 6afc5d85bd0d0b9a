/** The producer Lambda: API Gateway (REST, proxy) → validated CloudEvent → SNS. */
import { createProducerHandler } from '../shared/producer.ts';

export const handler = createProducerHandler();
