/**
 * Environment configuration, read once at cold start and validated, so a misconfigured function
 * fails loudly on its first invocation instead of misbehaving on some later record.
 */
import type { z } from 'zod';
import { DEFAULT_BACKOFF, MAX_VISIBILITY_SECONDS } from './backoff.ts';
import { DEFAULT_TOMBSTONE_TTL_SECONDS } from './erasure.ts';
import { PermanentFailureModes, type PermanentFailureMode } from './ordering.ts';
import { DEFAULT_IDEMPOTENCY_TTL_SECONDS } from './tables.ts';

/** The function's environment is missing a variable or holds an invalid value. */
export class ConfigurationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

/**
 * Reads environment variables one at a time and collects every problem, so {@link EnvReader.done}
 * fails once, naming every invalid variable. An empty variable is as good as unset: CDK and
 * shells both produce them. Plain code rather than a schema library, so reading the environment
 * loads nothing at a cold start.
 *
 * @example
 * ```ts
 * const reader = new EnvReader(process.env);
 * const table = reader.name('LEDGER_TABLE_NAME');
 * const pause = reader.optional('PAUSE_MS', (text) => Number(text));
 * reader.done(); // throws ConfigurationError if LEDGER_TABLE_NAME is missing
 * ```
 */
export class EnvReader {
  readonly #env: Readonly<Record<string, string>>;
  readonly #problems: string[] = [];

  constructor(env: NodeJS.ProcessEnv) {
    this.#env = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
  }

  /** Records a problem with `key`, e.g. a rule between two variables. */
  problem(key: string, message: string): void {
    this.#problems.push(`${key} ${message}`);
  }

  /**
   * The variable through `parse`, or undefined when unset; a `parse` that throws records its
   * message as the variable's problem.
   */
  optional<T>(key: string, parse: (text: string) => T): T | undefined {
    const text = this.#env[key];
    if (text === undefined) return undefined;
    try {
      return parse(text);
    } catch (error) {
      this.problem(key, error instanceof Error ? error.message : 'is invalid');
      return undefined;
    }
  }

  /** A required non-blank value, trimmed. */
  name(key: string): string {
    const value = this.optionalName(key);
    if (value === undefined) this.problem(key, 'is required');
    return value ?? '';
  }

  /** A non-blank value, trimmed, or undefined when unset. */
  optionalName(key: string): string | undefined {
    return this.optional(key, (text) => {
      const trimmed = text.trim();
      if (trimmed === '') throw new Error('must not be blank');
      return trimmed;
    });
  }

  /** A required absolute URL. */
  url(key: string): string {
    const value = this.optional(key, (text) => {
      if (!URL.canParse(text)) throw new Error('must be a URL');
      return text;
    });
    if (value === undefined && this.#env[key] === undefined) this.problem(key, 'is required');
    return value ?? '';
  }

  /** A whole number from `min` to `max`, or `fallback` when unset. */
  integer<F extends number | undefined>(key: string, { min, max, fallback }: { min: number; max?: number; fallback: F }): number | F {
    const value = this.optional(key, (text) => {
      const number = Number(text);
      if (text.trim() === '' || !Number.isInteger(number)) throw new Error('must be a whole number');
      if (number < min) throw new Error(`must be at least ${min}`);
      if (max !== undefined && number > max) throw new Error(`must be at most ${max}`);
      return number;
    });
    return value ?? fallback;
  }

  /** One of `values`, or `fallback` when unset. */
  oneOf<T extends string>(key: string, values: readonly T[], fallback: T): T {
    const value = this.optional(key, (text) => {
      if (!(values as readonly string[]).includes(text)) throw new Error(`must be one of ${values.join(', ')}`);
      return text as T;
    });
    return value ?? fallback;
  }

  /** A comma-separated list, entries trimmed, empty ones dropped; empty when unset. */
  list(key: string): string[] {
    return this.optional(key, (text) => text.split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0)) ?? [];
  }

  /** @throws {ConfigurationError} naming every invalid variable, when any is. */
  done(): void {
    if (this.#problems.length > 0) throw new ConfigurationError(`Invalid environment: ${this.#problems.join('; ')}`);
  }
}

/**
 * Validates the environment against a zod schema, treating empty variables as unset. For
 * functions that can afford a schema library at start-up; queueflow's own read theirs with
 * {@link EnvReader}. Imports no zod code itself: it calls the schema's own `safeParse`.
 *
 * @throws {ConfigurationError} naming every invalid variable
 */
export const parseEnv = <T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> => {
  const defined = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = schema.safeParse(defined);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(environment)'} ${issue.message}`);
    throw new ConfigurationError(`Invalid environment: ${issues.join('; ')}`, { cause: parsed.error });
  }
  return parsed.data as z.infer<T>;
};

const seconds = (reader: EnvReader, key: string, fallback: number, max?: number): number =>
  reader.integer(key, { min: 1, ...(max === undefined ? {} : { max }), fallback });

export interface ProducerEnv {
  readonly topicArn: string;
  /** The FIFO topic of the ordered event types, when the workflow has any. */
  readonly orderedTopicArn?: string;
  readonly idempotencyTableName: string;
  readonly eventSource: string;
  readonly idempotencyTtlSeconds: number;
}

/** @throws {ConfigurationError} */
export const readProducerEnv = (env: NodeJS.ProcessEnv = process.env): ProducerEnv => {
  const reader = new EnvReader(env);
  const result = {
    topicArn: reader.name('TOPIC_ARN'),
    orderedTopicArn: reader.optionalName('ORDERED_TOPIC_ARN'),
    idempotencyTableName: reader.name('IDEMPOTENCY_TABLE_NAME'),
    eventSource: reader.name('EVENT_SOURCE'),
    idempotencyTtlSeconds: seconds(reader, 'IDEMPOTENCY_TTL_SECONDS', DEFAULT_IDEMPOTENCY_TTL_SECONDS),
  };
  reader.done();
  return result;
};

export interface ConsumerEnv {
  readonly consumerName: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly maxReceiveCount: number | undefined;
  readonly erasure:
    | { readonly eventTypes: ReadonlySet<string>; readonly tombstoneTableName: string; readonly tombstoneTtlSeconds: number }
    | undefined;
  readonly idempotencyTableName: string;
  readonly failureTableName: string;
  readonly backoff: { readonly baseSeconds: number; readonly capSeconds: number };
  readonly failureTtlSeconds: number;
  readonly idempotencyTtlSeconds: number;
  /** `FIFO_QUEUE=true`: the queue is FIFO (an ordered consumer). */
  readonly fifo: boolean;
  readonly permanentFailure: PermanentFailureMode;
}

/** @throws {ConfigurationError} */
export const readConsumerEnv = (env: NodeJS.ProcessEnv = process.env): ConsumerEnv => {
  const reader = new EnvReader(env);
  const consumerName = reader.name('CONSUMER_NAME');
  const queueUrl = reader.url('QUEUE_URL');
  const dlqUrl = reader.url('DLQ_URL');
  const maxReceiveCount = reader.integer('MAX_RECEIVE_COUNT', { min: 1, max: 1_000, fallback: undefined });
  const idempotencyTableName = reader.name('IDEMPOTENCY_TABLE_NAME');
  const failureTableName = reader.name('FAILURE_TABLE_NAME');
  const erasureEventTypes = reader.list('ERASURE_EVENT_TYPES');
  const tombstoneTableName = reader.optionalName('TOMBSTONE_TABLE_NAME');
  const tombstoneTtlSeconds = seconds(reader, 'TOMBSTONE_TTL_SECONDS', DEFAULT_TOMBSTONE_TTL_SECONDS);
  const baseSeconds = seconds(reader, 'BACKOFF_BASE_SECONDS', DEFAULT_BACKOFF.baseSeconds, MAX_VISIBILITY_SECONDS);
  const capSeconds = seconds(reader, 'BACKOFF_CAP_SECONDS', DEFAULT_BACKOFF.capSeconds, MAX_VISIBILITY_SECONDS);
  const failureTtlSeconds = seconds(reader, 'FAILURE_TTL_SECONDS', 1_209_600);
  const idempotencyTtlSeconds = seconds(reader, 'IDEMPOTENCY_TTL_SECONDS', DEFAULT_IDEMPOTENCY_TTL_SECONDS);
  const fifo = reader.oneOf('FIFO_QUEUE', ['true', 'false'], 'false') === 'true';
  const permanentFailure = reader.oneOf('PERMANENT_FAILURE', [PermanentFailureModes.DeadLetter, PermanentFailureModes.HoldGroup], PermanentFailureModes.DeadLetter);
  if (capSeconds < baseSeconds) reader.problem('BACKOFF_CAP_SECONDS', 'must be at least BACKOFF_BASE_SECONDS');
  if (erasureEventTypes.length > 0 && tombstoneTableName === undefined) reader.problem('TOMBSTONE_TABLE_NAME', 'is required with ERASURE_EVENT_TYPES');
  reader.done();
  return {
    consumerName,
    queueUrl,
    dlqUrl,
    maxReceiveCount,
    erasure:
      tombstoneTableName === undefined || erasureEventTypes.length === 0
        ? undefined
        : { eventTypes: new Set(erasureEventTypes), tombstoneTableName, tombstoneTtlSeconds },
    idempotencyTableName,
    failureTableName,
    backoff: { baseSeconds, capSeconds },
    failureTtlSeconds,
    idempotencyTtlSeconds,
    fifo,
    permanentFailure,
  };
};
