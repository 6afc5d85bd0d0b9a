/**
 * A consumer's check of an event's `data` against its event type's schema, with the validator
 * generated at synth from the same zod schema as the API Gateway model and the producer's body
 * check (the body merged with the route's path parameters): the three agree by construction, and
 * the consumer loads no schema library.
 */
import { PermanentError } from './errors.ts';
import { generatedEventValidators } from './event-validators.ts';
import { describeFieldErrors, runValidator } from './validation-errors.ts';

/** The event's data does not match its type's schema; retrying cannot help, so it goes to the DLQ at once. */
export class InvalidEventDataError extends PermanentError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidEventDataError';
  }
}

/**
 * The function's bundle holds no data validator for the event type: it was not built by the
 * constructs, or the consumer does not take that event type. Not permanent: a corrected
 * deployment processes the event, so it is retried within the retry budget.
 */
export class MissingEventValidatorError extends Error {
  constructor(eventType: string) {
    super(
      `No data validator for event type '${eventType}' in this bundle: the constructs generate one for each event type a consumer takes (QUEUEFLOW_EVENT_VALIDATORS).`,
    );
    this.name = 'MissingEventValidatorError';
  }
}

/**
 * Returns `data` as `T` when it matches the event type's data schema. The error names the
 * failing fields only, never their values, because it ends up in logs and the failure record.
 * `T` is only a type (e.g. `z.infer<typeof OrderPlacedBody>` through `import type`): nothing of
 * zod is loaded.
 *
 * @example
 * ```ts
 * import type { z } from 'zod';
 * import type { OrderPlacedBody } from '../events.ts';
 * const order = parseEventData<z.infer<typeof OrderPlacedBody>>('order.placed', envelope.data);
 * ```
 * @throws {InvalidEventDataError} when the data does not match.
 * @throws {MissingEventValidatorError} when the bundle has no validator for the event type.
 */
export const parseEventData = <T>(eventType: string, data: unknown): T => {
  const validate = generatedEventValidators()?.[eventType]?.data;
  if (validate === undefined) throw new MissingEventValidatorError(eventType);
  const result = runValidator(validate, data);
  if (!result.valid) throw new InvalidEventDataError(`Invalid ${eventType} data: ${describeFieldErrors(result.errors)}`);
  return data as T;
};
