/**
 * `queueflow/lambda`: what a function's handler imports. The consumer and producer handler
 * factories, the envelope every event travels in, and the errors that steer retries.
 *
 * @example
 * import { createConsumerHandler, PermanentError } from 'queueflow/lambda';
 * export const handler = createConsumerHandler({ handle: async (envelope) => { … } });
 */
export {
  createConsumerHandler,
  MalformedEnvelopeError,
  parseEnvelope,
  type ConsumerContext,
  type ConsumerHandlerOptions,
  type EnvelopeHandler,
  type ErasedSubjectContext,
} from './shared/consumer.ts';
export { createProducerHandler, type Accepted } from './shared/producer.ts';
export { readWebhookEventData, type WebhookEventData } from './shared/webhooks/event-data.ts';
export { peekEnvelopeIdentity, type Envelope, type EnvelopeIdentity } from './shared/envelope.ts';
export { InvalidEventDataError, MissingEventValidatorError, parseEventData } from './shared/event-data.ts';
export { PermanentError, isPermanentFailure } from './shared/errors.ts';
export { ConfigurationError, EnvReader, parseEnv } from './shared/env.ts';
export { describeIssues } from './shared/issues.ts';
export { dynamoDbClient } from './adapters/dynamodb-client.ts';
