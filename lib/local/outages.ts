/**
 * Simulated DynamoDB outages (`POST /_queueflow/outages`): while a table is down, every request
 * that names it answers as DynamoDB does when it is unavailable, and its items stay where they are
 * (deleting the table to simulate an outage would lose them). Outages live in memory only: a
 * restart of the runtime ends them all.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import { z } from 'zod';

/** The longest outage the control route starts: one day. */
export const MAX_OUTAGE_SECONDS = 86_400;

const outageRequestSchema = z.strictObject({
  // DynamoDB's own rule for table names.
  table: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'not a DynamoDB table name'),
  seconds: z.number().min(1).max(MAX_OUTAGE_SECONDS),
});

/** The body of `POST /_queueflow/outages`. */
export interface OutageRequest {
  readonly table: string;
  readonly seconds: number;
}

/** An active outage, as the control routes report it. */
export interface Outage {
  readonly table: string;
  /** ISO-8601; requests are refused until then. */
  readonly until: string;
}

/** The outage request is not valid JSON or does not match {@link OutageRequest}. */
export class InvalidOutageRequestError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidOutageRequestError';
  }
}

/**
 * Parses and validates the body of `POST /_queueflow/outages`.
 *
 * @example
 * ```ts
 * parseOutageRequest('{"table":"Shop-Orders","seconds":600}');
 * ```
 */
export function parseOutageRequest(json: string): OutageRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new InvalidOutageRequestError('The outage request is not valid JSON', { cause: error });
  }
  const parsed = outageRequestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidOutageRequestError(`Invalid outage request: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return parsed.data;
}

/**
 * The tables down now, each with the time its outage ends. Expired outages are dropped when
 * looked at, so nothing runs on a timer.
 */
export class TableOutages {
  readonly #until = new Map<string, number>();

  /** Starts an outage of `table`, or moves the end of the one it has. */
  start(table: string, seconds: number, now = Date.now()): Outage {
    const until = now + seconds * 1000;
    this.#until.set(table, until);
    return { table, until: new Date(until).toISOString() };
  }

  /** Ends the outage of `table`, or every outage; returns the tables that were down. */
  end(table?: string): string[] {
    const ended = this.list().map((outage) => outage.table).filter((name) => table === undefined || name === table);
    for (const name of ended) this.#until.delete(name);
    return ended;
  }

  list(now = Date.now()): Outage[] {
    this.#prune(now);
    return [...this.#until].map(([table, until]) => ({ table, until: new Date(until).toISOString() }));
  }

  /** Whether any table is down: when none is, requests need not be read to find their tables. */
  active(now = Date.now()): boolean {
    this.#prune(now);
    return this.#until.size > 0;
  }

  /** Which of `tables` are down now. */
  down(tables: readonly string[], now = Date.now()): string[] {
    this.#prune(now);
    return tables.filter((table) => this.#until.has(table));
  }

  #prune(now: number): void {
    for (const [table, until] of this.#until) if (until <= now) this.#until.delete(table);
  }
}

/**
 * The tables a DynamoDB JSON request names: `TableName` (item operations, Query, Scan and the
 * table operations), the keys of `RequestItems` (BatchGetItem, BatchWriteItem) and each
 * `TransactItems[].<operation>.TableName` (TransactGetItems, TransactWriteItems). A body that is
 * not JSON names none; dynalite answers it with its own error.
 */
export function tablesNamedIn(body: string): string[] {
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch {
    return [];
  }
  if (!isRecord(request)) return [];
  const tables = new Set<string>();
  if (typeof request.TableName === 'string') tables.add(request.TableName);
  if (isRecord(request.RequestItems)) for (const table of Object.keys(request.RequestItems)) tables.add(table);
  if (Array.isArray(request.TransactItems)) {
    for (const operation of request.TransactItems.filter(isRecord).flatMap((item) => Object.values(item))) {
      if (isRecord(operation) && typeof operation.TableName === 'string') tables.add(operation.TableName);
    }
  }
  return [...tables];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

// DynamoDB's documented 503 ("Service Unavailable", OK to retry). The AWS SDK v3 has no class for
// it: it surfaces as a DynamoDBServiceException named ServiceUnavailable, which its retry
// strategy retries as transient (any 500/502/503/504) until maxAttempts, then throws.
const UNAVAILABLE_BODY = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailable',
  message: 'The request has failed due to a temporary failure of the server.',
});

/** Answers a DynamoDB request as DynamoDB does when it is unavailable. */
export function sendServiceUnavailable(response: ServerResponse): void {
  response
    .writeHead(503, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(UNAVAILABLE_BODY),
      // Some clients (botocore, SDK v2) check DynamoDB's body checksum.
      'x-amz-crc32': String(crc32(UNAVAILABLE_BODY)),
      'x-amzn-requestid': randomUUID(),
    })
    .end(UNAVAILABLE_BODY);
}
