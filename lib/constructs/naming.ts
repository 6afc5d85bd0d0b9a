import { PRODUCER_IDEMPOTENCY_KEY_PREFIX } from '../../lambdas/shared/idempotent-request.ts';
import { WEBHOOK_IDEMPOTENCY_KEY_PREFIX } from '../../lambdas/shared/webhooks/sources.ts';
import { QueueflowConfigError } from './errors.ts';

/**
 * Consumer names become construct ids, output keys (`email` → `EmailQueueUrl`), the
 * `CONSUMER_NAME` env var and the idempotency scope, so they stay short, lower-case and
 * free of characters any of those places would reject.
 */
const CONSUMER_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const CONSUMER_NAME_MAX = 32;

/** `order.placed`, `user.erasure_requested`: dot-separated lower-case words. */
const EVENT_TYPE_NAME = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$/;
const EVENT_TYPE_NAME_MAX = 128;

/** `email` → `Email`, `user-profile` → `UserProfile`, `order.placed` → `OrderPlaced`. */
export function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}

/** The inverse of {@link pascalCase} for consumer names: `Email` → `email`, `UserProfile` → `user-profile`. */
export function kebabCase(pascal: string): string {
  return pascal.replace(/(?<=[a-z0-9])([A-Z])/g, '-$1').toLowerCase();
}

/** Key prefixes in the shared tables that belong to something other than a consumer. */
const RESERVED_NAMES: ReadonlySet<string> = new Set([PRODUCER_IDEMPOTENCY_KEY_PREFIX, WEBHOOK_IDEMPOTENCY_KEY_PREFIX]);

export function assertConsumerName(name: string): void {
  if (RESERVED_NAMES.has(name)) {
    throw new QueueflowConfigError(`Consumer name '${name}' is reserved: queueflow's own records in the shared tables (the producer's, the webhook receiver's) are keyed under it. Pick another name.`);
  }
  if (name.length > CONSUMER_NAME_MAX || !CONSUMER_NAME.test(name)) {
    throw new QueueflowConfigError(
      `Invalid consumer name '${name}': use 1-${CONSUMER_NAME_MAX} lower-case letters, digits and single hyphens, starting with a letter (e.g. 'email', 'user-profile').`,
    );
  }
  // The CLI and the tools find a consumer by its output keys (`UserProfileQueueUrl`): the name
  // must come back from them unchanged, so a word may not start with a digit (`user-2fa`).
  if (kebabCase(pascalCase(name)) !== name) {
    throw new QueueflowConfigError(
      `Invalid consumer name '${name}': its output keys would read back as '${kebabCase(pascalCase(name))}'; start each hyphen-separated word with a letter.`,
    );
  }
}

export function assertEventTypeName(name: string): void {
  if (name.length > EVENT_TYPE_NAME_MAX || !EVENT_TYPE_NAME.test(name)) {
    throw new QueueflowConfigError(
      `Invalid event type name '${name}': use dot-separated lower-case words of letters, digits and underscores, at most ${EVENT_TYPE_NAME_MAX} characters (e.g. 'order.placed').`,
    );
  }
}
