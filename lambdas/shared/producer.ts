/**
 * The producer: validates a request against its event type's schema, wraps the data in an
 * envelope and publishes it once to SNS, with `Idempotency-Key` support through Powertools
 * idempotency. The HTTP contract is in docs/architecture.md.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createIdempotencyStore } from '../adapters/idempotency-store.ts';
import { PublishFailedError, publishEnvelope, publishedSize } from '../adapters/sns-publisher.ts';
import { EventCatalogError, findCatalogEntry, loadEventCatalog } from './catalog.ts';
import type { EventCatalog } from './catalog.ts';
import { correlationIdFrom, createEnvelope } from './envelope.ts';
import { ConfigurationError, readProducerEnv } from './env.ts';
import { subjectAt } from './erasure.ts';
import { PRODUCER_IDEMPOTENCY_KEY_PREFIX, idempotentRequest } from './idempotent-request.ts';
import { messageGroupIdAt } from './ordering.ts';
import type { IdempotentRequest } from './idempotent-request.ts';
import { ProblemError, problemResponses } from './problem.ts';
import {
  MAX_BODY_BYTES,
  concretePath,
  headerValue,
  pathParameterNames,
  readIdempotencyKey,
  readJsonObjectBody,
  readPathParameters,
  requireJsonContentType,
} from './request.ts';
import { generatedEventValidators } from './event-validators.ts';
import { runValidator } from './validation-errors.ts';

/** The 202 body; also what an idempotent replay returns. */
export interface Accepted {
  readonly eventId: string;
  readonly correlationId: string;
}

interface Publication {
  /** With an `Idempotency-Key`: the scoped key and request hash Powertools works on, and the event id. */
  readonly idempotency?: IdempotentRequest;
  readonly eventType: string;
  readonly data: Record<string, unknown>;
  readonly correlationId: string;
  /** The data subject's id, when the event type names one. */
  readonly subject?: string;
  /** The message group (the ordering key's value), when the event type is ordered. */
  readonly messageGroupId?: string;
}

/**
 * Each route with its body validator, generated at synth from the same document as the catalog's
 * `schema` (lib/constructs/event-validators.ts): nothing is compiled when the function starts.
 *
 * @throws {EventCatalogError} when the bundle holds no validator for an event type of the catalog.
 */
const compileRoutes = (catalog: EventCatalog) => {
  const validators = generatedEventValidators();
  return catalog.map((entry) => {
    const validateBody = validators?.[entry.eventType]?.body;
    if (validateBody === undefined) {
      throw new EventCatalogError(
        `No body validator for event type '${entry.eventType}': build the producer with QueueWorkflow, which generates them (QUEUEFLOW_EVENT_VALIDATORS).`,
      );
    }
    return {
      ...entry,
      parameterNames: pathParameterNames(entry.resourcePath),
      validate: (body: unknown) => runValidator(validateBody, body),
    };
  });
};

const accepted = (result: Accepted): APIGatewayProxyResult => ({
  statusCode: 202,
  headers: { 'Content-Type': 'application/json', 'X-Correlation-Id': result.correlationId },
  body: JSON.stringify(result),
});

// Powertools idempotency raises these by name; they are matched by name, as Powertools does.
const idempotencyProblem = (error: unknown): ProblemError | undefined => {
  if (!(error instanceof Error)) return undefined;
  if (error.name === 'IdempotencyValidationError') {
    return new ProblemError(422, 'idempotency-key-reused', 'This Idempotency-Key was used with a different body.', {
      cause: error,
    });
  }
  if (error.name === 'IdempotencyAlreadyInProgressError') {
    return new ProblemError(409, 'idempotency-in-progress', 'A request with this Idempotency-Key is still in progress; retry shortly.', {
      cause: error,
    });
  }
  return undefined;
};

/**
 * Builds the producer Lambda handler. Reads and validates the environment and the event catalog
 * and looks up every event type's generated validator when called, so call it once at module scope.
 *
 * @throws {ConfigurationError} when the environment is invalid.
 * @throws {EventCatalogError} when the catalog is missing or invalid.
 */
export const createProducerHandler = () => {
  const env = readProducerEnv();
  const routes = compileRoutes(loadEventCatalog());
  const ordered = routes.filter((route) => route.orderedBy !== undefined).map((route) => route.eventType);
  if (ordered.length > 0 && env.orderedTopicArn === undefined) {
    throw new ConfigurationError(`Invalid environment: ORDERED_TOPIC_ARN is required for the ordered event types ${ordered.join(', ')}`);
  }
  const logger = new Logger();
  const idempotencyConfig = new IdempotencyConfig({
    eventKeyJmesPath: 'idempotency.scopedKey',
    // The canonical hash rather than `data` itself: a replay is "the same body" by exactly the
    // rule that derives the event id, whatever its key order or whitespace.
    payloadValidationJmesPath: 'idempotency.requestHash',
    expiresAfterSeconds: env.idempotencyTtlSeconds,
  });

  const publish = async ({ idempotency, eventType, data, correlationId, subject, messageGroupId }: Publication): Promise<Accepted> => {
    const envelope = createEnvelope({ id: idempotency?.eventId, type: eventType, source: env.eventSource, data, correlationId, subject });
    if (publishedSize(envelope) > MAX_BODY_BYTES) {
      throw new ProblemError(413, 'payload-too-large', `The event must not exceed ${MAX_BODY_BYTES} bytes once wrapped.`);
    }
    try {
      await (messageGroupId === undefined
        ? publishEnvelope(env.topicArn, envelope)
        : publishEnvelope(env.orderedTopicArn!, envelope, messageGroupId));
    } catch (error) {
      if (!(error instanceof PublishFailedError)) throw error;
      logger.error('Publish failed', { eventId: envelope.id, eventType, error });
      // Throwing (rather than answering 502 here) makes Powertools delete the in-progress record,
      // so nothing is recorded as accepted and a retry with the same key publishes.
      throw new ProblemError(502, 'publish-failed', 'The event could not be published; retry the request.', { cause: error });
    }
    logger.info('Event published', { eventId: envelope.id, eventType });
    return { eventId: envelope.id, correlationId };
  };
  const publishOnce = makeIdempotent(publish, {
    persistenceStore: createIdempotencyStore(env.idempotencyTableName),
    config: idempotencyConfig,
    keyPrefix: PRODUCER_IDEMPOTENCY_KEY_PREFIX,
  });

  const produce = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const correlationId = correlationIdFrom(headerValue(event, 'x-correlation-id'));
    logger.appendKeys({ correlationId });
    const route = findCatalogEntry(routes, event.httpMethod, event.resource);
    if (route === undefined) {
      throw new ProblemError(404, 'not-found', `No event type is published by ${event.httpMethod} ${event.resource}.`);
    }
    requireJsonContentType(event);
    const body = readJsonObjectBody(event);
    const parameters = readPathParameters(event, route.parameterNames);
    const idempotencyKey = readIdempotencyKey(event);
    const validation = route.validate(body);
    if (!validation.valid) {
      throw new ProblemError(400, 'validation-failed', 'The body does not match the event schema.', {
        errors: validation.errors,
      });
    }
    const data = { ...body, ...parameters };
    const subject = route.subject === undefined ? undefined : subjectAt(data, route.subject);
    const messageGroupId = route.orderedBy === undefined ? undefined : messageGroupIdAt(data, route.orderedBy);
    if (route.orderedBy !== undefined && messageGroupId === undefined) {
      // The schema makes the key required; its value must also be a valid SNS/SQS message group id.
      throw new ProblemError(400, 'validation-failed', 'The body does not match the event schema.', {
        errors: [{ field: route.orderedBy, message: 'must be 1 to 128 printable ASCII characters without spaces: it orders the event' }],
      });
    }
    const publication: Publication = {
      eventType: route.eventType,
      data,
      correlationId,
      ...(subject === undefined ? {} : { subject }),
      ...(messageGroupId === undefined ? {} : { messageGroupId }),
    };
    const result =
      idempotencyKey === undefined
        ? await publish(publication)
        : await publishIdempotently(
            {
              ...publication,
              idempotency: idempotentRequest({
                apiKeyId: event.requestContext?.identity?.apiKeyId,
                method: route.method,
                path: concretePath(route.resourcePath, parameters),
                key: idempotencyKey,
                data,
              }),
            },
            context,
          );
    logger.appendKeys({ eventId: result.eventId });
    return accepted(result);
  };

  const publishIdempotently = async (publication: Publication, context: Context): Promise<Accepted> => {
    idempotencyConfig.registerLambdaContext(context);
    try {
      return await publishOnce(publication);
    } catch (error) {
      throw idempotencyProblem(error) ?? error;
    }
  };

  return middy(produce)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(problemResponses({ onUnexpectedError: (error) => logger.error('Request failed', { error }) }));
};
