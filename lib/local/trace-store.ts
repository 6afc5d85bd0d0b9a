/**
 * The local runtime's trace store: every {@link TraceEvent} the runtime saw, in SQLite
 * (`node:sqlite`, part of Node ≥ 22.12: no dependency) in the data folder, so traces survive a
 * restart. Bounded: only the last `maxEvents` events are kept; a trace whose events are all gone
 * goes with them.
 *
 * Writes are buffered and committed in one transaction per tick, off the path of the component that
 * reported them (an observer must not block); reads commit what is buffered first, so a reader
 * always sees everything reported before its call.
 */
import { mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { InvocationTraceEvent, TraceEvent } from './trace-events.ts';

/** @default the bound: enough for a long local session, small enough to search in milliseconds. */
export const DEFAULT_MAX_TRACE_EVENTS = 100_000;

export interface TraceStoreOptions {
  /** The SQLite file, or `:memory:`. */
  readonly path: string;
  /** @default DEFAULT_MAX_TRACE_EVENTS */
  readonly maxEvents?: number;
}

/** One event's trace, as a search lists it. */
export interface TraceSummary {
  readonly eventId: string;
  readonly eventType: string | null;
  readonly correlationId: string | null;
  readonly firstAt: number;
  readonly lastAt: number;
}

/** The store's file in the runtime's data folder. */
export const TRACE_STORE_FILE = 'traces.sqlite';

/** How many traces a search answers at most. */
export const MAX_SEARCH_RESULTS = 50;

type Row = Record<string, string | number | null>;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    event_id TEXT,
    lambda_request_id TEXT,
    body TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS events_event_id ON events (event_id) WHERE event_id IS NOT NULL;
  CREATE INDEX IF NOT EXISTS events_lambda_request_id ON events (lambda_request_id) WHERE lambda_request_id IS NOT NULL;
  CREATE TABLE IF NOT EXISTS traces (
    event_id TEXT PRIMARY KEY,
    event_type TEXT,
    correlation_id TEXT,
    data TEXT,
    first_at INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    last_seq INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS traces_correlation_id ON traces (correlation_id);
  CREATE INDEX IF NOT EXISTS traces_last_seq ON traces (last_seq);
`;

/**
 * @example
 * const store = new TraceStore({ path: join(dataDir, 'traces.sqlite') });
 * store.record({ kind: 'published', at: Date.now(), eventId, lambdaRequestId, label: 'producer' });
 * store.search('o-1234'); // traces whose event id, correlation id or data matches
 * store.close();
 */
export class TraceStore {
  readonly #db: DatabaseSync;
  readonly #maxEvents: number;
  readonly #insertEvent: StatementSync;
  readonly #upsertTrace: StatementSync;
  readonly #prune: { last: StatementSync; events: StatementSync; traces: StatementSync };
  readonly #listeners = new Set<(eventIds: readonly string[]) => void>();
  #buffer: TraceEvent[] = [];
  #flushTimer?: NodeJS.Timeout;
  #closed = false;

  constructor(options: TraceStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.#db = openDatabase(options.path);
    this.#maxEvents = options.maxEvents ?? DEFAULT_MAX_TRACE_EVENTS;
    this.#insertEvent = this.#db.prepare('INSERT INTO events (at, kind, event_id, lambda_request_id, body) VALUES (?, ?, ?, ?, ?)');
    this.#upsertTrace = this.#db.prepare(`
      INSERT INTO traces (event_id, event_type, correlation_id, data, first_at, last_at, last_seq) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (event_id) DO UPDATE SET
        event_type = coalesce(traces.event_type, excluded.event_type),
        correlation_id = coalesce(traces.correlation_id, excluded.correlation_id),
        data = coalesce(traces.data, excluded.data),
        first_at = min(traces.first_at, excluded.first_at),
        last_at = max(traces.last_at, excluded.last_at),
        last_seq = excluded.last_seq`);
    this.#prune = {
      last: this.#db.prepare('SELECT coalesce(max(seq), 0) AS last FROM events'),
      events: this.#db.prepare('DELETE FROM events WHERE seq <= ?'),
      traces: this.#db.prepare('DELETE FROM traces WHERE last_seq <= ?'),
    };
  }

  /** Records an event; committed on the next tick (or by the next read). Never throws. */
  readonly record = (event: TraceEvent): void => {
    if (this.#closed) return;
    this.#buffer.push(event);
    this.#flushTimer ??= setTimeout(() => this.flush(), 0);
  };

  /** Called with the event ids whose trace changed, after each commit. */
  onChange(listener: (eventIds: readonly string[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Commits the buffered events in one transaction and drops the oldest beyond the bound. */
  flush(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#buffer.length === 0 || this.#closed) return;
    const events = this.#buffer;
    this.#buffer = [];
    const changed = new Set<string>();
    this.#db.exec('BEGIN');
    try {
      for (const event of events) {
        const eventId = 'eventId' in event ? event.eventId : null;
        const lambdaRequestId = 'lambdaRequestId' in event ? (event.lambdaRequestId ?? null) : null;
        const { lastInsertRowid } = this.#insertEvent.run(event.at, event.kind, eventId, lambdaRequestId, JSON.stringify(event));
        if (eventId === null) continue;
        changed.add(eventId);
        const eventType = 'eventType' in event ? (event.eventType ?? null) : null;
        const correlationId = 'correlationId' in event ? (event.correlationId ?? null) : null;
        const data = event.kind === 'attempt' ? (event.data ?? null) : null;
        this.#upsertTrace.run(eventId, eventType, correlationId, data, event.at, event.at, lastInsertRowid);
      }
      this.#dropOldest();
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      // The trace is a view of what happened, not part of it: losing it must not stop the runtime.
      process.emitWarning(`queueflow trace store: ${(error as Error).message}; ${events.length} trace event(s) dropped`);
      return;
    }
    if (changed.size > 0) for (const listener of this.#listeners) listener([...changed]);
  }

  /**
   * Traces matching `query`, newest first: an event id exactly, else a correlation id exactly,
   * else events whose data contains the text (an order id).
   */
  search(query: string, limit = MAX_SEARCH_RESULTS): TraceSummary[] {
    this.flush();
    const text = query.trim();
    if (text === '') return this.recent(limit);
    const select = 'SELECT event_id, event_type, correlation_id, first_at, last_at FROM traces';
    const exact = this.#db.prepare(`${select} WHERE event_id = ?`).all(text) as Row[];
    if (exact.length > 0) return exact.map(summary);
    const correlated = this.#db.prepare(`${select} WHERE correlation_id = ? ORDER BY last_seq DESC LIMIT ?`).all(text, limit) as Row[];
    if (correlated.length > 0) return correlated.map(summary);
    const escaped = text.replace(/[\\%_]/g, (c) => `\\${c}`);
    return (this.#db.prepare(`${select} WHERE data LIKE ? ESCAPE '\\' ORDER BY last_seq DESC LIMIT ?`).all(`%${escaped}%`, limit) as Row[]).map(summary);
  }

  /** The most recently active traces. */
  recent(limit = MAX_SEARCH_RESULTS): TraceSummary[] {
    this.flush();
    return (this.#db.prepare('SELECT event_id, event_type, correlation_id, first_at, last_at FROM traces ORDER BY last_seq DESC LIMIT ?').all(limit) as Row[]).map(summary);
  }

  /**
   * Everything recorded about one event, in order: its own events, the requests and invocations
   * of the Lambda requests that published or processed it. Empty when the store has none.
   */
  eventsOf(eventId: string): TraceEvent[] {
    this.flush();
    const own = (this.#db.prepare('SELECT body FROM events WHERE event_id = ? ORDER BY seq').all(eventId) as Row[]).map(parse);
    const requestIds = [...new Set(own.flatMap((event) => ('lambdaRequestId' in event && event.lambdaRequestId ? [event.lambdaRequestId] : [])))];
    if (requestIds.length === 0) return own;
    const related = this.#db
      .prepare(`SELECT body FROM events WHERE lambda_request_id IN (${requestIds.map(() => '?').join(', ')}) AND event_id IS NULL ORDER BY seq`)
      .all(...requestIds) as Row[];
    return [...related.map(parse), ...own].toSorted((a, b) => a.at - b.at);
  }

  /** One invocation with its function logs, by Lambda request id. */
  invocation(lambdaRequestId: string): InvocationTraceEvent | undefined {
    this.flush();
    const row = this.#db.prepare("SELECT body FROM events WHERE lambda_request_id = ? AND kind = 'invocation' ORDER BY seq DESC LIMIT 1").get(lambdaRequestId) as Row | undefined;
    return row === undefined ? undefined : (parse(row) as InvocationTraceEvent);
  }

  /** How many events are kept. */
  count(): number {
    this.flush();
    return Number((this.#db.prepare('SELECT count(*) AS n FROM events').get() as Row).n);
  }

  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    this.#db.close();
  }

  #dropOldest(): void {
    const cutoff = Number((this.#prune.last.get() as Row).last) - this.#maxEvents;
    if (cutoff <= 0) return;
    this.#prune.events.run(cutoff);
    this.#prune.traces.run(cutoff);
  }
}

/**
 * Opens (or creates) the store's database. A file SQLite cannot read as one (damaged, or not a
 * database) is moved aside and a new store started: the traces are a view of what happened, and
 * a damaged view must not keep the runtime from starting.
 */
function openDatabase(path: string): DatabaseSync {
  const open = () => {
    const db = new DatabaseSync(path);
    try {
      // WAL + NORMAL: a commit per tick without an fsync each; a process crash keeps what was committed.
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
      db.exec(SCHEMA);
      return db;
    } catch (error) {
      db.close();
      throw error;
    }
  };
  try {
    return open();
  } catch (error) {
    const code = (error as { errcode?: number }).errcode;
    // SQLITE_CORRUPT (11), SQLITE_NOTADB (26): anything else (a locked file, no space) is not ours to discard.
    if (path === ':memory:' || (code !== 11 && code !== 26)) throw error;
    const aside = `${path}.damaged-${Date.now()}`;
    renameSync(path, aside);
    process.emitWarning(`queueflow trace store: ${path} could not be read (${(error as Error).message}); moved to ${aside}, traces start afresh`);
    return open();
  }
}

function summary(row: Row): TraceSummary {
  return {
    eventId: String(row.event_id),
    eventType: row.event_type === null ? null : String(row.event_type),
    correlationId: row.correlation_id === null ? null : String(row.correlation_id),
    firstAt: Number(row.first_at),
    lastAt: Number(row.last_at),
  };
}

function parse(row: Row): TraceEvent {
  return JSON.parse(String(row.body)) as TraceEvent;
}
