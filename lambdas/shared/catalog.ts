/**
 * The producer's event catalog: which event type each API route publishes, and its body schema.
 *
 * The construct bakes the catalog into the bundle at build time through esbuild's `define`
 * (global `QUEUEFLOW_EVENT_CATALOG`), so a deployed producer needs no config lookup at cold start;
 * tests and the local runtime may pass the same JSON in the environment variable instead.
 */
import * as z from 'zod';

declare const QUEUEFLOW_EVENT_CATALOG: string | undefined;

const EventCatalogEntry = z.object({
  eventType: z.string().min(1),
  method: z.string().min(1),
  resourcePath: z.string().startsWith('/'),
  schema: z.record(z.string(), z.unknown()),
  /** JSON pointer of the data subject in the event data (see shared/erasure.ts). */
  subject: z.string().startsWith('/').optional(),
});
export type EventCatalogEntry = z.infer<typeof EventCatalogEntry>;

const EventCatalog = z.array(EventCatalogEntry).min(1);
export type EventCatalog = z.infer<typeof EventCatalog>;

/** The catalog is missing or not the documented shape: the producer cannot start. */
export class EventCatalogError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EventCatalogError';
  }
}

/**
 * Parses and validates a catalog given as JSON text.
 *
 * @throws {EventCatalogError} when the text is missing, not JSON, or not an event catalog.
 */
export const parseEventCatalog = (json: string | undefined): EventCatalog => {
  if (json === undefined || json === '') {
    throw new EventCatalogError(
      'No event catalog: build with define QUEUEFLOW_EVENT_CATALOG or set the QUEUEFLOW_EVENT_CATALOG environment variable',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new EventCatalogError('QUEUEFLOW_EVENT_CATALOG is not valid JSON', { cause: error });
  }
  const parsed = EventCatalog.safeParse(raw);
  if (!parsed.success) {
    throw new EventCatalogError(`QUEUEFLOW_EVENT_CATALOG is not an event catalog: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
};

/** The catalog this bundle was built with, else the one in the environment. */
export const loadEventCatalog = (env: NodeJS.ProcessEnv = process.env): EventCatalog =>
  parseEventCatalog(
    typeof QUEUEFLOW_EVENT_CATALOG === 'string' ? QUEUEFLOW_EVENT_CATALOG : env.QUEUEFLOW_EVENT_CATALOG,
  );

/** The entry for an API Gateway `httpMethod` + `resource` (the resource path template), if any. */
export const findCatalogEntry = <T extends EventCatalogEntry>(
  catalog: readonly T[],
  method: string,
  resourcePath: string,
): T | undefined =>
  catalog.find((entry) => entry.method.toUpperCase() === method.toUpperCase() && entry.resourcePath === resourcePath);
