/**
 * `queueflow`: the CDK constructs. Declare a `QueueWorkflow` in a stack, its event types and
 * their routes, then a consumer per downstream service.
 *
 * @example
 * const workflow = new QueueWorkflow(this, 'Orders', {
 *   eventSource: 'shop/orders',
 *   eventTypes: [{ name: 'order.placed', route: { method: 'POST', path: '/orders' }, schema: OrderPlaced }],
 * });
 * workflow.addConsumer({ name: 'email', eventTypes: ['order.placed'], entry: 'lambdas/email.ts' });
 */
export {
  QueueWorkflow,
  type EventCatalogEntry,
  type EventTypeDefinition,
  type QueueWorkflowProps,
  type RouteDefinition,
} from './constructs/queue-workflow.ts';
export {
  DEFAULT_RETRY_FOR,
  DEFAULT_TOMBSTONE_TTL,
  DLQ_RETENTION,
  QueueConsumer,
  type ConsumerDefinition,
  type QueueConsumerOptions,
  type QueueConsumerProps,
} from './constructs/queue-consumer.ts';
export { ALARM_EMAIL_CONTEXT_KEY, WorkflowMonitoring, type ConsumerAlarms, type WorkflowMonitoringProps } from './constructs/workflow-monitoring.ts';
export { createQueueflowTable, type QueueflowTableProps } from './constructs/queueflow-table.ts';
export { SdkCredentials } from './constructs/queueflow-function.ts';
export { EnvelopeSchema } from '../lambdas/shared/envelope-schema.ts';
export { addReadableOutput } from './constructs/readable-output.ts';
export { recordLocalBundling, type LocalBundlingSource } from './constructs/record-local-bundling.ts';
export { grantOwnItems, type ItemAction } from './constructs/grants.ts';
export { OutputKeys, consumerOutputKeys, consumerQueuesInOutputs, type ConsumerOutputKeys, type ConsumerQueues, type OutputKey } from './constructs/output-keys.ts';
export { QueueflowConfigError } from './constructs/errors.ts';
export { MAX_FIFO_BATCH_SIZE, PermanentFailureModes, type PermanentFailureMode } from './constructs/ordering.ts';
export { WebhookReceiver, webhookOutputKeys, type WebhookReceiverProps, type WebhookSource, type WebhookSourceDefinition } from './constructs/webhook-receiver.ts';
export type { EventTypeLocation, FieldLocation, HmacVerification, NamedScheme, Verification } from '../lambdas/shared/webhooks/sources.ts';
export { ApiThrottleContextKeys, DEFAULT_API_KEY_THROTTLE, DEFAULT_STAGE_THROTTLE, type ApiThrottles } from './constructs/api-throttles.ts';
