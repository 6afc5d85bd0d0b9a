/**
 * The validators generated at synth for the event types a function handles: ajv standalone code
 * built from the JSON Schema draft 4 documents that the event types' zod schemas convert to (the
 * documents API Gateway validates request bodies with), so no schema library is loaded, and no
 * schema compiled, when a function starts.
 *
 * The constructs write the generated module and inject it into the function's bundle (esbuild
 * `inject`), which binds the global `QUEUEFLOW_EVENT_VALIDATORS` to its export; outside such a
 * bundle (a unit test) the global can be set by hand, e.g. from `eventValidatorsModule` of
 * lib/constructs/event-validators.ts.
 */
import type { AjvValidateFunction } from './validation-errors.ts';

/** An event type's validators: the request body (producer) and the event data (consumers). */
export interface EventTypeValidators {
  /** The body as the API route receives it. */
  readonly body?: AjvValidateFunction;
  /** The event data: the body merged with the route's path parameters. */
  readonly data?: AjvValidateFunction;
}

/** Validators by event type name. */
export type EventValidators = Readonly<Record<string, EventTypeValidators>>;

declare const QUEUEFLOW_EVENT_VALIDATORS: EventValidators | undefined;

/** The validators this function was built with, or undefined when it was not built by queueflow's constructs. */
export const generatedEventValidators = (): EventValidators | undefined =>
  typeof QUEUEFLOW_EVENT_VALIDATORS === 'undefined' ? undefined : QUEUEFLOW_EVENT_VALIDATORS;
