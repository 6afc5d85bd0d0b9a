/**
 * The webhook receiver: one function for every webhook source of a workflow. Per delivery, in
 * this order: find the source by its route; refuse a body SNS cannot carry (413); verify the
 * signature on the raw bytes (401, after one fresh read of the secret, so a rotation that just
 * happened passes); read the delivery id and the event type (400 when the provider sent none);
 * publish the event once per delivery id (Powertools idempotency, records kept past the
 * provider's retry horizon) and answer 202, or 200 to a retry of a delivery already published.
 * Nothing answers 2xx before SNS accepted the event; nothing answers 410 (Standard Webhooks
 * senders disable an endpoint on it). The contract is in docs/webhooks.md.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { v5 as uuidv5 } from 'uuid';
import { createIdempotencyStore } from '../adapters/idempotency-store.ts';
import { PublishFailedError, publishEnvelope, publishedSize } from '../adapters/sns-publisher.ts';
import { createWebhookSecrets, type WebhookSecrets } from '../adapters/webhook-secrets.ts';
import { correlationIdFrom, createEnvelope, type Envelope } from './envelope.ts';
import { EnvReader } from './env.ts';
import { ProblemError, problemResponses } from './problem.ts';
import { MAX_BODY_BYTES } from './request.ts';
import { deliveryIdOf, eventTypeOf, parseDelivery, UnusableDeliveryError } from './webhooks/delivery.ts';
import { DEFAULT_WEBHOOK_DEDUPE_SECONDS, parseWebhookSources, WEBHOOK_IDEMPOTENCY_KEY_PREFIX, type WebhookSourceConfig } from './webhooks/sources.ts';
import { headersOf, verifySignature, type RawDelivery, type Verdict } from './webhooks/verify.ts';

/** Fixed namespace of webhook event ids: UUIDv5 of `<source> <delivery id>`; never change it. */
export const WEBHOOK_EVENT_ID_NAMESPACE = '6f0c6a52-4d8e-4f43-9c55-2f7a0a3c1e9b';

/** The envelope id of a delivery: the same for every retry of it, so consumers absorb a re-publish too. */
export const webhookEventId = (source: string, deliveryId: string): string => uuidv5(`${source} ${deliveryId}`, WEBHOOK_EVENT_ID_NAMESPACE);

/**
 * A signature miss reads the secret afresh at most this often per source: enough for a rotation
 * to pass at once, while a stream of forged deliveries cannot turn into a stream of Secrets
 * Manager calls.
 */
export const SECRET_REFRESH_INTERVAL_MS = 5_000;

/**
 * The receiver's environment, every problem named at once. Read with {@link EnvReader}, no schema
 * library: the construct validated the sources at synth, and a cold start should load nothing it
 * need not.
 *
 * @throws {ConfigurationError}
 */
const readWebhookReceiverEnv = (env: NodeJS.ProcessEnv) => {
  const reader = new EnvReader(env);
  const sourcesJson = reader.name('WEBHOOK_SOURCES');
  const sources: WebhookSourceConfig[] = sourcesJson === '' ? [] : (reader.optional('WEBHOOK_SOURCES', () => parseWebhookSources(sourcesJson)) ?? []);
  const config = {
    topicArn: reader.name('TOPIC_ARN'),
    idempotencyTableName: reader.name('IDEMPOTENCY_TABLE_NAME'),
    eventSource: reader.name('EVENT_SOURCE'),
    sources,
    dedupeSeconds: reader.integer('WEBHOOK_DEDUPE_SECONDS', { min: 1, fallback: DEFAULT_WEBHOOK_DEDUPE_SECONDS }),
    secretMaxAgeSeconds: reader.integer('WEBHOOK_SECRET_MAX_AGE_SECONDS', { min: 0, fallback: 300 }),
  };
  reader.done();
  return config;
};

/** The answer to a delivery: 202 when published now, 200 when a retry of one already published. */
export interface DeliveryAccepted {
  readonly eventId: string;
  readonly eventType: string;
  readonly duplicate?: true;
}

interface Publication {
  /** `<source> <delivery id>`: the Powertools record is keyed on it. */
  readonly dedupeKey: string;
  readonly envelope: Envelope;
}

export interface WebhookReceiverOptions {
  /** @default Secrets Manager through Powertools parameters */
  readonly secrets?: WebhookSecrets;
  /** Unix seconds, for tests. @default Date.now */
  readonly now?: () => number;
}

/**
 * Builds the webhook receiver's Lambda handler; reads and validates the environment when called,
 * so call it once at module scope.
 *
 * @throws {ConfigurationError} when the environment is invalid.
 */
export const createWebhookReceiverHandler = (options: WebhookReceiverOptions = {}) => {
  const env = readWebhookReceiverEnv(process.env);
  const sources = new Map(env.sources.map((source) => [source.path, source]));
  const secrets = options.secrets ?? createWebhookSecrets(env.secretMaxAgeSeconds);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const lastRefresh = new Map<string, number>();
  const logger = new Logger();
  const idempotencyConfig = new IdempotencyConfig({
    eventKeyJmesPath: 'dedupeKey',
    expiresAfterSeconds: env.dedupeSeconds,
    // Called only when Powertools answers from an existing record: a retry of a published delivery.
    responseHook: (response) => ({ ...(response as object), duplicate: true }),
  });

  const publish = async ({ envelope }: Publication): Promise<DeliveryAccepted> => {
    try {
      await publishEnvelope(env.topicArn, envelope);
    } catch (error) {
      if (!(error instanceof PublishFailedError)) throw error;
      logger.error('Publish failed', { eventId: envelope.id, eventType: envelope.type, error });
      // Thrown, so Powertools deletes the in-progress record and the provider's retry publishes.
      throw new ProblemError(502, 'publish-failed', 'The event could not be published; the provider should retry the delivery.', { cause: error });
    }
    logger.info('Webhook event published', { eventId: envelope.id, eventType: envelope.type });
    return { eventId: envelope.id, eventType: envelope.type };
  };
  const publishOnce = makeIdempotent(publish, {
    persistenceStore: createIdempotencyStore(env.idempotencyTableName),
    config: idempotencyConfig,
    keyPrefix: WEBHOOK_IDEMPOTENCY_KEY_PREFIX,
  });

  /** Verifies with the cached secrets, then once with fresh ones if that missed and the last refresh is old enough. */
  const verify = async (source: WebhookSourceConfig, delivery: RawDelivery): Promise<Verdict> => {
    const verdict = verifySignature(source.verify, delivery, await secrets.active(source.secretId), { nowSeconds: now() });
    if (verdict.valid) return verdict;
    const last = lastRefresh.get(source.name) ?? Number.NEGATIVE_INFINITY;
    if (Date.now() - last < SECRET_REFRESH_INTERVAL_MS) return verdict;
    lastRefresh.set(source.name, Date.now());
    return verifySignature(source.verify, delivery, await secrets.active(source.secretId, true), { nowSeconds: now() });
  };

  const receive = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const source = sources.get(event.resource);
    if (source === undefined) throw new ProblemError(404, 'not-found', `No webhook source is served at ${event.resource}.`);
    logger.appendKeys({ webhookSource: source.name });
    const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    if (body.byteLength > MAX_BODY_BYTES) {
      throw new ProblemError(413, 'payload-too-large', `A delivery must not exceed ${MAX_BODY_BYTES} bytes (SNS's message limit).`);
    }
    const delivery: RawDelivery = { body, headers: headersOf(event) };
    const verdict = await verify(source, delivery);
    if (!verdict.valid) {
      logger.warn('Webhook signature refused', { reason: verdict.reason });
      throw new ProblemError(401, 'invalid-signature', `The signature is missing or does not match: ${verdict.reason}.`);
    }

    let envelope: Envelope;
    try {
      const parsed = parseDelivery(delivery);
      const deliveryId = deliveryIdOf(source.deliveryId, delivery, parsed);
      const { eventType, providerEventType } = eventTypeOf(source.name, source.eventType, delivery, parsed);
      envelope = createEnvelope({
        id: webhookEventId(source.name, deliveryId),
        type: eventType,
        source: `${env.eventSource}/webhooks/${source.name}`,
        correlationId: correlationIdFrom(deliveryId),
        data: {
          source: source.name,
          deliveryId,
          providerEventType,
          payload: parsed.payload,
          ...(parsed.payloadEncoding === undefined ? {} : { payloadEncoding: parsed.payloadEncoding }),
        },
      });
    } catch (error) {
      if (!(error instanceof UnusableDeliveryError)) throw error;
      throw new ProblemError(400, 'unusable-delivery', error.message, { cause: error });
    }
    logger.appendKeys({ eventId: envelope.id, deliveryId: envelope.data.deliveryId });
    if (publishedSize(envelope) > MAX_BODY_BYTES) {
      throw new ProblemError(413, 'payload-too-large', `The event must not exceed ${MAX_BODY_BYTES} bytes once wrapped.`);
    }

    idempotencyConfig.registerLambdaContext(context);
    let result: DeliveryAccepted;
    try {
      result = await publishOnce({ dedupeKey: `${source.name} ${envelope.data.deliveryId as string}`, envelope });
    } catch (error) {
      if (error instanceof Error && error.name === 'IdempotencyAlreadyInProgressError') {
        throw new ProblemError(409, 'delivery-in-progress', 'This delivery is still being accepted; retry it shortly.', { cause: error });
      }
      throw error;
    }
    if (result.duplicate) logger.info('Webhook delivery already published', { eventId: result.eventId });
    return {
      statusCode: result.duplicate ? 200 : 202,
      headers: { 'Content-Type': 'application/json', 'X-Correlation-Id': envelope.correlationid },
      body: JSON.stringify(result),
    };
  };

  return middy(receive)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(problemResponses({ onUnexpectedError: (error) => logger.error('Webhook delivery failed', { error }) }));
};
