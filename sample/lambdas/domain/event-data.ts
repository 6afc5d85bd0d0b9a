/** Reading a sample event's `data`, and the errors a sample consumer fails a record with. */
import type { z } from 'zod';
import { PermanentError, describeIssues } from 'queueflow/lambda';

/** The consumer received an event type it does not handle (a subscription filter mismatch); retrying cannot help. */
export class UnsupportedEventTypeError extends PermanentError {
  constructor(
    readonly consumer: string,
    readonly eventType: string,
    options?: ErrorOptions,
  ) {
    super(`Consumer ${consumer} does not handle event type ${eventType}`, options);
    this.name = 'UnsupportedEventTypeError';
  }
}

/** The event's data does not match its type's schema; retrying cannot help. */
export class InvalidEventDataError extends PermanentError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidEventDataError';
  }
}

/**
 * Parses event data with its schema. The error names the failing fields only, never their
 * values, because it ends up in logs and the failure record.
 *
 * @throws {InvalidEventDataError}
 */
export const parseEventData = <T extends z.ZodType>(schema: T, eventType: string, data: unknown): z.infer<T> => {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new InvalidEventDataError(`Invalid ${eventType} data: ${describeIssues(parsed.error)}`, { cause: parsed.error });
};
