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
export { Envelope, peekEnvelopeIdentity, type EnvelopeIdentity } from './shared/envelope.ts';
export { PermanentError, isPermanentFailure } from './shared/errors.ts';
export { ConfigurationError, parseEnv } from './shared/env.ts';
export { describeIssues } from './shared/issues.ts';
export { dynamoDbClient } from './adapters/dynamodb-client.ts';
