/**
 * The producer's event catalog: which event type each API route publishes, and its body schema.
 *
 * The construct bakes the catalog into the bundle at build time through esbuild's `define`
 * (global `QUEUEFLOW_EVENT_CATALOG`), so a deployed producer needs no config lookup at cold start;
 * tests and the local runtime may pass the same JSON in the environment variable instead.
 */
declare const QUEUEFLOW_EVENT_CATALOG: string | undefined;

export interface EventCatalogEntry {
  readonly eventType: string;
  readonly method: string;
  /** The API Gateway resource path, starting with `/`. */
  readonly resourcePath: string;
  /** The body's JSON Schema draft 4 document (the API Gateway request model). */
  readonly schema: Record<string, unknown>;
  /** JSON pointer of the data subject in the event data (see shared/erasure.ts). */
  readonly subject?: string;
  /** JSON pointer of the ordering key in the event data: its value is the message group (see shared/ordering.ts). */
  readonly orderedBy?: string;
}

export type EventCatalog = EventCatalogEntry[];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const nonEmpty = (value: unknown): boolean => typeof value === 'string' && value.length > 0;
const pointer = (value: unknown): boolean => typeof value === 'string' && value.startsWith('/');

/**
 * What is wrong with one catalog entry, by field. The catalog is written by the construct at
 * synth, so this is a guard against a hand-set `QUEUEFLOW_EVENT_CATALOG`, in plain code: no
 * schema library is loaded for it when the producer starts.
 */
const entryProblems = (entry: unknown, index: number): string[] => {
  if (!isObject(entry)) return [`/${index}: must be an object`];
  const problems: [boolean, string][] = [
    [nonEmpty(entry.eventType), 'eventType: must be a non-empty string'],
    [nonEmpty(entry.method), 'method: must be a non-empty string'],
    [pointer(entry.resourcePath), "resourcePath: must start with '/'"],
    [isObject(entry.schema), 'schema: must be an object'],
    [entry.subject === undefined || pointer(entry.subject), "subject: must start with '/'"],
    [entry.orderedBy === undefined || pointer(entry.orderedBy), "orderedBy: must start with '/'"],
  ];
  return problems.filter(([ok]) => !ok).map(([, message]) => `/${index}/${message}`);
};

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
  const problems = Array.isArray(raw) ? (raw.length === 0 ? ['must list at least one event type'] : raw.flatMap(entryProblems)) : ['must be an array'];
  if (problems.length > 0) {
    throw new EventCatalogError(`QUEUEFLOW_EVENT_CATALOG is not an event catalog: ${problems.join('; ')}`);
  }
  return raw as EventCatalog;
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
