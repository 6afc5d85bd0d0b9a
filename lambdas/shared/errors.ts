/**
 * Failure classes the consumer pipeline tells apart. A record that fails with a
 * {@link PermanentError} cannot succeed on a retry, so it skips the retry budget and goes to its
 * dead-letter queue at once; any other error is treated as transient and retried with backoff.
 */

/**
 * Retrying cannot help: the event itself is wrong for this consumer (its data breaks the schema,
 * it names something that does not exist, the body is not an envelope). Extend it for a
 * consumer's own permanent failures.
 *
 * @example
 * ```ts
 * class UnknownSkuError extends PermanentError {
 *   constructor(sku: string) { super(`SKU ${sku} is not stocked`); this.name = 'UnknownSkuError'; }
 * }
 * ```
 */
export class PermanentError extends Error {
  /** Read by {@link isPermanentFailure}, so the mark survives a copy of the error class in another bundle chunk. */
  public readonly permanent = true as const;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/**
 * Errors raised by libraries that mean "this event can never be processed here", matched by name
 * as Powertools itself matches them: the same id arrived with a different payload than the one
 * already processed (two different events under one id must fail loudly, not be skipped).
 */
const PERMANENT_LIBRARY_ERRORS: ReadonlySet<string> = new Set(['IdempotencyValidationError']);

/** Whether `error` is permanent: a {@link PermanentError} (or marked `permanent: true`), or a known permanent library error. */
export const isPermanentFailure = (error: unknown): boolean =>
  error instanceof Error && ((error as { permanent?: unknown }).permanent === true || PERMANENT_LIBRARY_ERRORS.has(error.name));
