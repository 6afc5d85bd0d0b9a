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
import { findCatalogEntry, loadEventCatalog } from './catalog.ts';
import type { EventCatalog } from './catalog.ts';
import { correlationIdFrom, createEnvelope } from './envelope.ts';
import { readProducerEnv } from './env.ts';
import { subjectAt } from './erasure.ts';
import { PRODUCER_IDEMPOTENCY_KEY_PREFIX, idempotentRequest } from './idempotent-request.ts';
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
import { compileBodyValidator } from './validation.ts';

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
}

const compileRoutes = (catalog: EventCatalog) =>
  catalog.map((entry) => ({
    ...entry,
    parameterNames: pathParameterNames(entry.resourcePath),
    validate: compileBodyValidator(entry.schema),
  }));

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
 * and compiles every schema when called, so call it once at module scope.
 *
 * @throws {ConfigurationError} when the environment is invalid.
 * @throws {EventCatalogError} when the catalog is missing or invalid.
 */
export const createProducerHandler = () => {
  const env = readProducerEnv();
  const routes = compileRoutes(loadEventCatalog());
  const logger = new Logger();
  const idempotencyConfig = new IdempotencyConfig({
    eventKeyJmesPath: 'idempotency.scopedKey',
    // The canonical hash rather than `data` itself: a replay is "the same body" by exactly the
    // rule that derives the event id, whatever its key order or whitespace.
    payloadValidationJmesPath: 'idempotency.requestHash',
    expiresAfterSeconds: env.idempotencyTtlSeconds,
  });

  const publish = async ({ idempotency, eventType, data, correlationId, subject }: Publication): Promise<Accepted> => {
    const envelope = createEnvelope({ id: idempotency?.eventId, type: eventType, source: env.eventSource, data, correlationId, subject });
    if (publishedSize(envelope) > MAX_BODY_BYTES) {
      throw new ProblemError(413, 'payload-too-large', `The event must not exceed ${MAX_BODY_BYTES} bytes once wrapped.`);
    }
    try {
      await publishEnvelope(env.topicArn, envelope);
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
    const publication: Publication = { eventType: route.eventType, data, correlationId, ...(subject === undefined ? {} : { subject }) };
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
