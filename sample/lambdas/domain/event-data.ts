/** Reading a sample event's `data`, and the errors a sample consumer fails a record with. */
import { PermanentError } from 'queueflow/lambda';

/** The consumer received an event type it does not handle (a subscription filter mismatch); retrying cannot help. */
export class UnsupportedEventTypeError extends PermanentError {
  readonly consumer: string;
  readonly eventType: string;

  constructor(consumer: string, eventType: string, options?: ErrorOptions) {
    super(`Consumer ${consumer} does not handle event type ${eventType}`, options);
    this.name = 'UnsupportedEventTypeError';
    this.consumer = consumer;
    this.eventType = eventType;
  }
}

/**
 * The event's data does not match its type's schema; retrying cannot help. The check is
 * `parseEventData` of queueflow/lambda, with the validator the constructs generated from the
 * event type's zod schema in ../../events.ts.
 */
export { InvalidEventDataError, parseEventData } from 'queueflow/lambda';
