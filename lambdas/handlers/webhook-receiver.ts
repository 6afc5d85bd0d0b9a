/** The webhook receiver Lambda: API Gateway (REST, proxy) → verified, deduplicated CloudEvent → SNS. */
import { createWebhookReceiverHandler } from '../shared/webhook-receiver.ts';

export const handler = createWebhookReceiverHandler();
