/**
 * Environment configuration, read once at cold start and validated, so a misconfigured function
 * fails loudly on its first invocation instead of misbehaving on some later record.
 */
import * as z from 'zod';
import { DEFAULT_BACKOFF, MAX_VISIBILITY_SECONDS } from './backoff.ts';
import { DEFAULT_TOMBSTONE_TTL_SECONDS } from './erasure.ts';
import { DEFAULT_IDEMPOTENCY_TTL_SECONDS } from './tables.ts';

/** The function's environment is missing a variable or holds an invalid value. */
export class ConfigurationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

const name = z.string().trim().min(1);
const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * Validates the environment against a zod schema, treating empty variables as unset.
 *
 * @throws {ConfigurationError} naming every invalid variable
 */
export const parseEnv = <T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> => {
  // An empty variable is as good as unset: CDK and shells both produce them.
  const defined = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = schema.safeParse(defined);
  if (!parsed.success) {
    throw new ConfigurationError(`Invalid environment: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return parsed.data;
};

const ProducerEnv = z
  .object({
    TOPIC_ARN: name,
    IDEMPOTENCY_TABLE_NAME: name,
    EVENT_SOURCE: name,
    IDEMPOTENCY_TTL_SECONDS: seconds(DEFAULT_IDEMPOTENCY_TTL_SECONDS),
  })
  .transform((env) => ({
    topicArn: env.TOPIC_ARN,
    idempotencyTableName: env.IDEMPOTENCY_TABLE_NAME,
    eventSource: env.EVENT_SOURCE,
    idempotencyTtlSeconds: env.IDEMPOTENCY_TTL_SECONDS,
  }));
export type ProducerEnv = z.infer<typeof ProducerEnv>;

/** @throws {ConfigurationError} */
export const readProducerEnv = (env: NodeJS.ProcessEnv = process.env): ProducerEnv => parseEnv(ProducerEnv, env);

const ConsumerEnv = z
  .object({
    CONSUMER_NAME: name,
    QUEUE_URL: z.url(),
    DLQ_URL: z.url(),
    MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).max(1_000).optional(),
    IDEMPOTENCY_TABLE_NAME: name,
    FAILURE_TABLE_NAME: name,
    ERASURE_EVENT_TYPES: z
      .string()
      .transform((list) => list.split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0))
      .default([]),
    TOMBSTONE_TABLE_NAME: name.optional(),
    TOMBSTONE_TTL_SECONDS: seconds(DEFAULT_TOMBSTONE_TTL_SECONDS),
    BACKOFF_BASE_SECONDS: seconds(DEFAULT_BACKOFF.baseSeconds).pipe(z.number().max(MAX_VISIBILITY_SECONDS)),
    BACKOFF_CAP_SECONDS: seconds(DEFAULT_BACKOFF.capSeconds).pipe(z.number().max(MAX_VISIBILITY_SECONDS)),
    FAILURE_TTL_SECONDS: seconds(1_209_600),
    IDEMPOTENCY_TTL_SECONDS: seconds(DEFAULT_IDEMPOTENCY_TTL_SECONDS),
  })
  .refine((env) => env.BACKOFF_CAP_SECONDS >= env.BACKOFF_BASE_SECONDS, {
    message: 'BACKOFF_CAP_SECONDS must be at least BACKOFF_BASE_SECONDS',
    path: ['BACKOFF_CAP_SECONDS'],
  })
  .refine((env) => env.ERASURE_EVENT_TYPES.length === 0 || env.TOMBSTONE_TABLE_NAME !== undefined, {
    message: 'ERASURE_EVENT_TYPES needs TOMBSTONE_TABLE_NAME',
    path: ['TOMBSTONE_TABLE_NAME'],
  })
  .transform((env) => ({
    consumerName: env.CONSUMER_NAME,
    queueUrl: env.QUEUE_URL,
    dlqUrl: env.DLQ_URL,
    maxReceiveCount: env.MAX_RECEIVE_COUNT,
    erasure:
      env.TOMBSTONE_TABLE_NAME === undefined || env.ERASURE_EVENT_TYPES.length === 0
        ? undefined
        : {
            eventTypes: new Set(env.ERASURE_EVENT_TYPES),
            tombstoneTableName: env.TOMBSTONE_TABLE_NAME,
            tombstoneTtlSeconds: env.TOMBSTONE_TTL_SECONDS,
          },
    idempotencyTableName: env.IDEMPOTENCY_TABLE_NAME,
    failureTableName: env.FAILURE_TABLE_NAME,
    backoff: { baseSeconds: env.BACKOFF_BASE_SECONDS, capSeconds: env.BACKOFF_CAP_SECONDS },
    failureTtlSeconds: env.FAILURE_TTL_SECONDS,
    idempotencyTtlSeconds: env.IDEMPOTENCY_TTL_SECONDS,
  }));
export type ConsumerEnv = z.infer<typeof ConsumerEnv>;

/** @throws {ConfigurationError} */
export const readConsumerEnv = (env: NodeJS.ProcessEnv = process.env): ConsumerEnv => parseEnv(ConsumerEnv, env);
