/**
 * How long a trace search takes in the local runtime's trace store once it holds its bound of
 * events (100,000 by default): the store is filled, in a temp file, with the events the runtime
 * records for orders of the sample (a request, the producer's invocation, the publish, and per
 * consumer an invocation and an attempt: 9 events an order), then searched as the console and
 * `queueflow trace` search it:
 *
 * - by event id and by correlation id (indexed);
 * - by an order id in the event data (a scan of the traces' data);
 * - for a value no event has (the whole scan, the worst case);
 * - a whole trace: the event's events and the timeline built from them (what a trace page loads).
 *
 * Also the recording rate (events committed per second, in the store's batched transactions).
 *
 * Usage: npm run bench:trace-search [-- --events <n>] [-- --searches <n>]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberOption, parseCommandLine } from '../lib/shared/usage.ts';
import type { TraceEvent } from '../lib/local/trace-events.ts';
import { DEFAULT_MAX_TRACE_EVENTS, TRACE_STORE_FILE, TraceStore } from '../lib/local/trace-store.ts';
import { buildTrace, type TraceSubscription } from '../lib/local/trace-timeline.ts';
import { runScript } from './lib/script.ts';
import { markdownTable, ms, summarize } from './lib/summary.ts';

const USAGE = `Usage: npm run bench:trace-search [-- --events <n>] [-- --searches <n>]   (defaults ${DEFAULT_MAX_TRACE_EVENTS} and 200)`;
const CONSUMERS = ['email', 'sms', 'inventory'];
const EVENTS_PER_ORDER = 3 + 2 * CONSUMERS.length;
const queueArn = (consumer: string) => `arn:aws:sqs:us-east-1:000000000000:Bench-${consumer}Queue`;
const SUBSCRIPTIONS: TraceSubscription[] = CONSUMERS.map((consumer) => ({
  topicName: 'Bench-Topic',
  queueArn: queueArn(consumer),
  queueName: `Bench-${consumer}Queue`,
  consumer,
  filterPolicy: '{"eventType":["order.placed"]}',
}));

const id = (prefix: string, n: number) => `${prefix}-${n.toString(16).padStart(8, '0')}-${(n * 2654435761 % 2 ** 32).toString(16).padStart(8, '0')}`;

/** The events the runtime records for order `n`, as the recorder and the gateway report them. */
function orderEvents(n: number, at: number): TraceEvent[] {
  const eventId = id('e', n);
  const correlationId = id('c', n);
  const producer = id('lp', n);
  const data = JSON.stringify({ orderId: id('o', n), customer: { id: `c-${n % 500}`, email: 'someone@example.com' }, items: [{ sku: 'BOOK-1', quantity: 1 }] });
  const line = (message: string) => ({ stream: 'stdout' as const, text: JSON.stringify({ level: 'INFO', message, eventId, correlationId, function_request_id: producer, timestamp: new Date(at).toISOString() }) });
  return [
    { kind: 'request', at, requestId: id('gw', n), lambdaRequestId: producer, method: 'POST', path: '/orders', status: 202, latencyMs: 40 },
    { kind: 'invocation', at, lambdaRequestId: producer, functionName: 'Bench-Producer', label: 'producer', source: 'api', durationMs: 35, ok: true, logs: [line('Request accepted'), line('Event published')] },
    { kind: 'published', at: at + 30, eventId, eventType: 'order.placed', correlationId, lambdaRequestId: producer, label: 'producer' },
    ...CONSUMERS.flatMap((consumer): TraceEvent[] => {
      const lambdaRequestId = id(`l${consumer}`, n);
      return [
        { kind: 'invocation', at: at + 50, lambdaRequestId, functionName: `Bench-${consumer}`, label: consumer, source: 'sqs', durationMs: 20, ok: true, logs: [line('Processed')] },
        {
          kind: 'attempt',
          at: at + 50,
          eventId,
          eventType: 'order.placed',
          correlationId,
          messageId: id(`m${consumer}`, n),
          queueArn: queueArn(consumer),
          receiveCount: 1,
          sentAt: at + 31,
          lambdaRequestId,
          functionName: `Bench-${consumer}`,
          label: consumer,
          durationMs: 20,
          outcome: 'ok',
          data,
          attributes: { eventType: 'order.placed', correlationId },
        },
      ];
    }),
  ];
}

function time<T>(run: () => T): { ms: number; value: T } {
  const started = performance.now();
  const value = run();
  return { ms: performance.now() - started, value };
}

await runScript(USAGE, async () => {
  const { values } = parseCommandLine({ args: process.argv.slice(2), options: { events: { type: 'string' }, searches: { type: 'string' } } });
  const events = values.events === undefined ? DEFAULT_MAX_TRACE_EVENTS : numberOption('--events', values.events, { integer: true, min: EVENTS_PER_ORDER });
  const searches = values.searches === undefined ? 200 : numberOption('--searches', values.searches, { integer: true, positive: true });
  const folder = mkdtempSync(join(tmpdir(), 'queueflow-bench-traces-'));
  try {
    const store = new TraceStore({ path: join(folder, TRACE_STORE_FILE), maxEvents: events });
    // One order past the bound, so the store has pruned as it does in a long session.
    const orders = Math.ceil(events / EVENTS_PER_ORDER) + 1;
    const start = Date.now() - orders * 100;
    const filled = time(() => {
      for (let n = 0; n < orders; n += 1) {
        for (const event of orderEvents(n, start + n * 100)) store.record(event);
        // The runtime commits once per tick; a tick's worth here is about one order's events.
        if (n % 10 === 9) store.flush();
      }
      store.flush();
    });
    const kept = store.count();
    const oldest = orders - Math.floor(kept / EVENTS_PER_ORDER);
    const pick = (i: number) => oldest + 1 + ((i * 7919) % (orders - oldest - 1));

    const measure = (name: string, run: (n: number) => number) => {
      const samples: number[] = [];
      for (let i = 0; i < searches; i += 1) {
        const n = pick(i);
        const { ms: took, value: found } = time(() => run(n));
        if (found === 0 && !name.startsWith('absent')) throw new Error(`${name}: nothing found for order ${n}`);
        samples.push(took);
      }
      const summary = summarize(samples);
      return [name, ms(summary.p50), ms(summary.p90), ms(summary.p99), ms(summary.max)];
    };
    const rows = [
      measure('by event id', (n) => store.search(id('e', n)).length),
      measure('by correlation id', (n) => store.search(id('c', n)).length),
      measure('by order id (in the data)', (n) => store.search(id('o', n)).length),
      measure('absent value (full scan)', (n) => store.search(`absent-${n}`).length),
      measure('whole trace (events + timeline)', (n) => buildTrace(id('e', n), store.eventsOf(id('e', n)), SUBSCRIPTIONS)?.steps.length ?? 0),
    ];
    store.close();

    console.log(`trace store: ${kept.toLocaleString('en-US')} events kept (bound ${events.toLocaleString('en-US')}), ${(orders - oldest).toLocaleString('en-US')} orders traced`);
    console.log(`recorded ${(orders * EVENTS_PER_ORDER).toLocaleString('en-US')} events in ${ms(filled.ms)} ms: ${Math.round((orders * EVENTS_PER_ORDER) / (filled.ms / 1000)).toLocaleString('en-US')} events/s`);
    console.log(`${searches} searches each, milliseconds (node ${process.version}, ${process.platform}):\n`);
    console.log(markdownTable(['search', 'p50', 'p90', 'p99', 'max'], rows));
    return 0;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
