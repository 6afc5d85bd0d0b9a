import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AttemptTraceEvent, TraceEvent } from '../../../lib/local/trace-events.ts';
import { TraceStore } from '../../../lib/local/trace-store.ts';

const attempt = (eventId: string, overrides: Partial<AttemptTraceEvent> = {}): AttemptTraceEvent => ({
  kind: 'attempt',
  at: 1_000,
  eventId,
  eventType: 'order.placed',
  correlationId: `corr-${eventId}`,
  messageId: `m-${eventId}`,
  queueArn: 'arn:aws:sqs:us-east-1:000000000000:Stack-EmailQueue',
  receiveCount: 1,
  lambdaRequestId: `lambda-${eventId}`,
  functionName: 'Stack-EmailFunction',
  label: 'email',
  durationMs: 12,
  outcome: 'ok',
  data: JSON.stringify({ orderId: `o-${eventId}` }),
  ...overrides,
});

describe('TraceStore', () => {
  const folders: string[] = [];
  const stores: TraceStore[] = [];
  const open = (path = ':memory:', maxEvents?: number) => {
    const store = new TraceStore({ path, ...(maxEvents === undefined ? {} : { maxEvents }) });
    stores.push(store);
    return store;
  };
  const tempFile = () => {
    const folder = mkdtempSync(join(tmpdir(), 'queueflow-traces-'));
    folders.push(folder);
    return join(folder, 'data', 'traces.sqlite');
  };

  afterEach(() => {
    stores.splice(0).forEach((store) => store.close());
    folders.splice(0).forEach((folder) => rmSync(folder, { recursive: true, force: true }));
  });

  it('finds a trace by its event id, its correlation id, or a value in its data', () => {
    // Prepare
    const store = open();
    store.record(attempt('e1'));
    store.record(attempt('e2'));

    // Act & Assess
    expect(store.search('e1').map((trace) => trace.eventId)).toEqual(['e1']);
    expect(store.search('corr-e2').map((trace) => trace.eventId)).toEqual(['e2']);
    expect(store.search('o-e1')).toMatchObject([{ eventId: 'e1', eventType: 'order.placed', correlationId: 'corr-e1' }]);
    expect(store.search('nothing like it')).toEqual([]);
  });

  it('matches % and _ in a data search literally', () => {
    const store = open();
    store.record(attempt('e1', { data: JSON.stringify({ note: '100%_sure' }) }));
    store.record(attempt('e2', { data: JSON.stringify({ note: '1000 sure' }) }));

    expect(store.search('0%_s').map((trace) => trace.eventId)).toEqual(['e1']);
    expect(store.search('%').map((trace) => trace.eventId)).toEqual(['e1']);
  });

  it('lists the most recently active traces for an empty search', () => {
    const store = open();
    store.record(attempt('old'));
    store.record(attempt('new'));
    store.record(attempt('old', { receiveCount: 2 }));

    expect(store.search('  ').map((trace) => trace.eventId)).toEqual(['old', 'new']);
  });

  it("answers an event's own events with the request and invocations of the Lambda requests that handled it", () => {
    const store = open();
    const events: TraceEvent[] = [
      { kind: 'request', at: 10, requestId: 'gw-1', lambdaRequestId: 'lambda-p', method: 'POST', path: '/orders', status: 202, latencyMs: 40 },
      { kind: 'invocation', at: 11, lambdaRequestId: 'lambda-p', functionName: 'Stack-Producer', label: 'producer', source: 'api', durationMs: 30, ok: true, logs: [{ stream: 'stdout', text: 'published' }] },
      { kind: 'published', at: 40, eventId: 'e1', lambdaRequestId: 'lambda-p', label: 'producer' },
      { kind: 'request', at: 12, requestId: 'gw-2', lambdaRequestId: 'lambda-other', method: 'POST', path: '/orders', status: 202, latencyMs: 5 },
    ];
    events.forEach(store.record);

    expect(store.eventsOf('e1').map((event) => event.kind)).toEqual(['request', 'invocation', 'published']);
    expect(store.invocation('lambda-p')).toMatchObject({ label: 'producer', logs: [{ text: 'published' }] });
    expect(store.invocation('lambda-unknown')).toBeUndefined();
    expect(store.eventsOf('unknown')).toEqual([]);
  });

  it('keeps only the last maxEvents events, and drops the traces whose events are all gone', () => {
    const store = open(':memory:', 3);
    for (const id of ['e1', 'e2', 'e3', 'e4', 'e5']) store.record(attempt(id));

    expect(store.count()).toBe(3);
    expect(store.search('').map((trace) => trace.eventId)).toEqual(['e5', 'e4', 'e3']);
    expect(store.eventsOf('e1')).toEqual([]);
    expect(store.search('o-e2')).toEqual([]);
  });

  it('survives a restart on the same file', () => {
    const path = tempFile();
    const first = open(path);
    first.record(attempt('e1'));
    first.close();

    const second = open(path);
    expect(second.search('o-e1').map((trace) => trace.eventId)).toEqual(['e1']);
    second.record(attempt('e2'));
    expect(second.count()).toBe(2);
  });

  it('commits on the next tick and tells listeners which traces changed', async () => {
    const store = open();
    const listener = vi.fn();
    store.onChange(listener);

    store.record(attempt('e1'));
    store.record({ kind: 'request', at: 1, requestId: 'gw', method: 'GET', path: '/', status: 404, latencyMs: 1 });
    expect(listener).not.toHaveBeenCalled();
    await new Promise((resolve) => setTimeout(resolve, 5));

    expect(listener).toHaveBeenCalledExactlyOnceWith(['e1']);
  });

  it('moves a file that is not a database aside and starts afresh, rather than keep the runtime from starting', () => {
    const path = tempFile();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, 'not a database, but long enough to have a header to check: '.repeat(200));
    const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);

    const store = open(path);
    store.record(attempt('e1'));

    expect(store.count()).toBe(1);
    expect(warning).toHaveBeenCalledWith(expect.stringContaining('moved to'));
    expect(readdirSync(dirname(path)).some((name) => name.startsWith('traces.sqlite.damaged-'))).toBe(true);
    warning.mockRestore();
  });

  it('ignores events recorded after close instead of throwing at the reporter', () => {
    const store = open();
    store.close();
    expect(() => store.record(attempt('late'))).not.toThrow();
  });
});
