/** The producer Lambda: API Gateway (REST, proxy) → validated CloudEvent → SNS. */
import { createProducerHandler } from '#shared/producer';

export const handler = createProducerHandler();
