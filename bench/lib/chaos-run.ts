/**
 * The chaos run: events through a local runtime that injects faults (transient failures, crashes
 * after the effect, duplicate deliveries), with one kill -9 of the whole runtime mid-run and a
 * restart on the same data folder; then the invariants are checked against the ledger and DLQs.
 *
 * Invariants (issue "Measure it"), with no exception for the kill:
 * - every accepted event has exactly one ledger item per subscribed consumer, and none for a
 *   consumer not subscribed to its type (a poison order: email and SMS, not inventory);
 * - every poison event (an order with an unknown SKU) sits in the inventory DLQ and in no other;
 * - nothing accepted is missing, and no order or user has effects under two event ids.
 *
 * An invocation killed after its effect but before its idempotency record was COMPLETED is
 * redelivered and attempts the effect again; the ledger's key (the effect's idempotency key)
 * absorbs that, so it is reported as a count (`repeatsAbsorbed`, items with `deliveries` > 1),
 * not a violation.
 *
 * Dead letters caused by the injected faults. A fault fails a whole invocation, and a message
 * whose invocations fail `maxReceiveCount` (5) times in a row goes to the DLQ — exactly what SQS
 * does in production. With 25 % of invocations failing that is about 0.25⁵ ≈ 0.1 % of the
 * messages: not lost, parked. The run treats them as an operator would: it checks that the
 * handler itself never rejected them (no failure record other than an idempotency in-progress
 * collision, which the kill and duplicate deliveries cause), redrives exactly those with the DLQ
 * CLI, waits again, and only then checks the invariants — so "nothing missing" holds only if the
 * DLQ really held what was missing, and "exactly once" holds across the redrive too.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { dlqRedrive } from '../../lib/cli/dlq-redrive.ts';
import { peekDeadLetters } from '../../lib/cli/dead-letters.ts';
import type { CliIo } from '../../lib/cli/io.ts';
import type { Target } from '../../lib/cli/target.ts';
import { peekEnvelopeIdentity } from '#shared/envelope';
import { clientsFor, consumerQueues, scanLedger, waitForEmptyQueues, type Clients, type ConsumerQueues, type Effect } from './aws.ts';
import { RequestFailedError, jsonOf, sendRaw } from './http.ts';

/** What the run needs from a running local runtime (the bench launcher and the test harness both fit). */
export interface ChaosTarget {
  readonly state: {
    readonly apiUrl: string;
    readonly endpoint: string;
    readonly region: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
    readonly apiKey: string;
    readonly outputs: Readonly<Record<string, string>>;
  };
  kill9(): Promise<void>;
  restart(): Promise<ChaosTarget>;
}

export interface ChaosOptions {
  readonly events: number;
  /** First attempts per second (retries come on top). */
  readonly ratePerSecond: number;
  /** Requests in flight at most. */
  readonly concurrency: number;
  /** One event in `poisonEvery` is a poison order. @default 100 (1 %) */
  readonly poisonEvery?: number;
  /** One event in `erasureEvery` is an erasure request. @default 10 */
  readonly erasureEvery?: number;
  /** Kill -9 the runtime once this share of the events is accepted; undefined: no kill. @default 0.5 */
  readonly killAfterShare?: number;
  /** Bound on each wait for the queues to empty. */
  readonly quiescenceTimeoutMs: number;
  /** Progress lines. */
  readonly log: (line: string) => void;
  /** Distinguishes this run's orders and keys from any earlier run on the same data. */
  readonly runId: string;
}

type EventKind = 'order' | 'poison' | 'erasure';

/** Valid by the schema, unknown to the inventory catalog: fails in the inventory consumer only. */
const POISON_SKU = 'UNKNOWN-SKU';

/** Effects each kind of event must produce, by consumer. */
const EXPECTED: Record<EventKind, readonly string[]> = {
  order: ['email', 'sms', 'inventory'],
  poison: ['email', 'sms'],
  erasure: ['email', 'sms'],
};

/** Failure records a valid event may legitimately leave: a redelivery met the record still in progress. */
const TOLERATED_HANDLER_ERRORS = new Set(['IdempotencyAlreadyInProgressError']);

export interface DeadLetterCounts {
  /** Accepted poison events in the inventory DLQ: expected. */
  readonly poison: number;
  /** Parked by the injected faults (maxReceiveCount consecutive failed invocations), then redriven. */
  readonly byInjectedFaults: number;
  /** Redrive rounds it took until no fault-parked message was left. */
  readonly redriveRounds: number;
}

export interface ChaosReport {
  readonly events: number;
  readonly accepted: number;
  readonly poison: number;
  readonly erasures: number;
  /** Requests that got no 202 at first (killed runtime, 409 in progress, 5xx) and were retried with the same key. */
  readonly retries: number;
  readonly effectsExpected: number;
  readonly effectsFound: number;
  /**
   * Effects whose ledger item has `deliveries` > 1: attempted again (a redelivery after a crash
   * between the effect and its COMPLETED idempotency record) and absorbed by the effect's key.
   */
  readonly repeatsAbsorbed: number;
  /** The largest `deliveries` of any of this run's effects. */
  readonly maxDeliveries: number;
  /** (event, consumer) pairs with no effect. */
  readonly missing: number;
  /** Dead letters of accepted events (those of never-acknowledged events are left out). */
  readonly deadLettered: DeadLetterCounts;
  /**
   * Event ids with effects that no 202 ever named. The event id derives from the Idempotency-Key,
   * so a retry after the runtime died between publish and answer names the same event: 0 expected.
   */
  readonly unacknowledgedEvents: number;
  /** Orders or users with effects under two event ids: a violation. */
  readonly ordersWithTwoEvents: number;
  readonly killedAtAccepted?: number;
  readonly restartMs?: number;
  readonly sendSeconds: number;
  readonly drainSeconds: number;
  readonly violations: readonly string[];
}

interface PlannedEvent {
  readonly index: number;
  readonly kind: EventKind;
  readonly path: string;
  readonly body: string;
  /** orderId or userId: how the ledger names what the event concerns. */
  readonly subject: string;
  readonly key: string;
}

const plan = (options: ChaosOptions): PlannedEvent[] =>
  Array.from({ length: options.events }, (_, index) => {
    const subject = `${options.runId}-${index}`;
    const key = `chaos-${subject}`;
    if (index % (options.erasureEvery ?? 10) === 3) {
      return { index, kind: 'erasure', path: `/users/${subject}/erasure`, body: JSON.stringify({ reason: 'chaos' }), subject, key };
    }
    const poison = index % (options.poisonEvery ?? 100) === 50;
    const body = JSON.stringify({
      orderId: subject,
      customer: { id: `c-${index}`, email: `c${index}@example.com`, phone: '+14155550100' },
      items: [{ sku: poison ? POISON_SKU : 'BOOK-1', quantity: 1 }],
    });
    return { index, kind: poison ? 'poison' : 'order', path: '/orders', body, subject, key };
  });

/** The DLQ CLI's view of the local runtime. */
const localCliTarget = (clients: Clients, outputs: Readonly<Record<string, string>>): Target => ({
  kind: 'local',
  description: 'local runtime',
  outputs,
  sqs: clients.sqs,
  dynamodb: clients.dynamodb,
});

const quietIo = (): CliIo => ({
  stdout: { write: () => true },
  stderr: { write: () => true },
  stdinIsTTY: false,
  confirm: async () => true,
  now: () => Date.now(),
  sleep: (ms) => sleep(ms),
});

/** Runs the chaos scenario against `target`; resolves with the report and the runtime now running. */
export async function runChaos(initial: ChaosTarget, options: ChaosOptions): Promise<{ report: ChaosReport; target: ChaosTarget }> {
  const events = plan(options);
  const violations: string[] = [];
  let target = initial;
  let clients = clientsFor(target.state);
  const queues = consumerQueues(target.state.outputs);

  // ---- send, with one kill -9 and restart part-way
  const accepted = new Map<number, string>();
  const pending = events.map((event) => event.index);
  let outstanding = events.length;
  let retries = 0;
  let restarting: Promise<void> | undefined;
  let killedAtAccepted: number | undefined;
  let restartMs: number | undefined;
  const sendStarted = Date.now();
  let nextStart = performance.now();

  const killAndRestart = async () => {
    killedAtAccepted = accepted.size;
    options.log(`kill -9 the runtime at ${accepted.size} accepted events`);
    await target.kill9();
    const started = Date.now();
    target = await target.restart();
    restartMs = Date.now() - started;
    clients.sqs.destroy();
    clients.dynamodb.destroy();
    clients = clientsFor(target.state);
    options.log(`restarted on the same data folder in ${restartMs} ms`);
  };

  const attempt = async (event: PlannedEvent): Promise<'accepted' | 'retry' | 'rejected'> => {
    try {
      const response = await sendRaw({
        baseUrl: target.state.apiUrl,
        method: 'POST',
        path: event.path,
        headers: { 'Content-Type': 'application/json', 'x-api-key': target.state.apiKey, 'Idempotency-Key': event.key },
        body: event.body,
        timeoutMs: 35_000,
      });
      if (response.status === 202) {
        const eventId = (jsonOf(response) as { eventId: string }).eventId;
        const earlier = accepted.get(event.index);
        if (earlier !== undefined && earlier !== eventId) violations.push(`key ${event.key} answered two event ids`);
        accepted.set(event.index, eventId);
        return 'accepted';
      }
      // 409: the key's first request is still in progress (or was, when the runtime died);
      // 429: the usage plan's throttle; 5xx: a failure to retry.
      if (response.status === 409 || response.status === 429 || response.status >= 500) return 'retry';
      violations.push(`event ${event.index} (${event.kind}) rejected with ${response.status}: ${response.body.toString('utf8').slice(0, 200)}`);
      return 'rejected';
    } catch (error) {
      if (error instanceof RequestFailedError) return 'retry';
      throw error;
    }
  };

  const worker = async () => {
    while (outstanding > 0) {
      const index = pending.shift();
      if (index === undefined) {
        await sleep(20);
        continue;
      }
      // Pace first attempts and retries alike: the rate bounds what the runtime is offered.
      const wait = nextStart - performance.now();
      nextStart = Math.max(nextStart, performance.now()) + 1_000 / options.ratePerSecond;
      if (wait > 0) await sleep(wait);
      if (restarting) await restarting;
      const outcome = await attempt(events[index]!);
      if (outcome === 'retry') {
        retries += 1;
        setTimeout(() => pending.push(index), 500);
        continue;
      }
      outstanding -= 1;
      const killAt = options.killAfterShare === undefined ? undefined : Math.ceil(options.killAfterShare * events.length);
      if (killAt !== undefined && killedAtAccepted === undefined && accepted.size >= killAt && !restarting) {
        restarting = killAndRestart().finally(() => (restarting = undefined));
      }
      if ((events.length - outstanding) % 1_000 === 0) options.log(`${events.length - outstanding}/${events.length} events answered`);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  if (restarting) await restarting;
  const sendSeconds = (Date.now() - sendStarted) / 1000;
  options.log(`sent: ${accepted.size} accepted in ${sendSeconds.toFixed(1)} s, ${retries} retries`);

  // ---- wait, redrive what the faults parked, wait again
  const drainStarted = Date.now();
  const byEventId = new Map(events.flatMap((event) => (accepted.has(event.index) ? [[accepted.get(event.index)!, event] as const] : [])));
  let redriveRounds = 0;
  let byInjectedFaults = 0;
  let deadLetters: Map<string, Map<string, boolean>>;
  for (;;) {
    if (!(await waitForEmptyQueues(clients.sqs, queues, options.quiescenceTimeoutMs, options.log))) {
      violations.push(`the queues did not empty within ${options.quiescenceTimeoutMs} ms`);
    }
    deadLetters = await readDeadLetters(clients, queues);
    // Poison in the inventory DLQ is where it belongs; anything else there was parked by faults.
    const parked = [...deadLetters].flatMap(([consumer, letters]) =>
      [...letters].filter(([, poison]) => !(consumer === 'inventory' && poison)).map(([eventId]) => ({ consumer, eventId })),
    );
    if (parked.length === 0 || redriveRounds >= 3) break;
    for (const { consumer, eventId } of parked) {
      const errorType = await failureRecordType(clients, target.state.outputs.FailureTableName!, consumer, eventId);
      if (errorType !== undefined && !TOLERATED_HANDLER_ERRORS.has(errorType)) {
        violations.push(`${consumer} dead-lettered valid event ${eventId} after its own error ${errorType}`);
      }
    }
    byInjectedFaults += parked.length;
    redriveRounds += 1;
    options.log(`redrive round ${redriveRounds}: ${parked.length} message(s) parked by injected faults go back to their queues`);
    for (const consumer of new Set(parked.map((entry) => entry.consumer))) {
      const eventIds = parked.filter((entry) => entry.consumer === consumer).map((entry) => entry.eventId);
      const cliTarget = { ...localCliTarget(clients, target.state.outputs), description: 'chaos run' };
      await dlqRedrive(cliTarget, quietIo(), { consumer, eventIds, yes: true, json: true, rate: 200 }).catch((error: unknown) => {
        violations.push(`redrive of ${consumer} failed: ${(error as Error).message}`);
      });
    }
  }
  const drainSeconds = (Date.now() - drainStarted) / 1000;

  // ---- check the invariants
  const effects = await scanLedger(clients.dynamodb, target.state.outputs.LedgerTableName!);
  const itemCounts = new Map<string, number>();
  for (const { eventId, consumer } of effects) itemCounts.set(`${eventId}|${consumer}`, (itemCounts.get(`${eventId}|${consumer}`) ?? 0) + 1);
  const ourEffects = effects.filter((effect) => byEventId.has(effect.eventId));
  const repeated = ourEffects.filter((effect) => effect.deliveries > 1);
  let effectsExpected = 0;
  let missing = 0;
  for (const [eventId, event] of byEventId) {
    for (const consumer of ['email', 'sms', 'inventory']) {
      const n = itemCounts.get(`${eventId}|${consumer}`) ?? 0;
      if (EXPECTED[event.kind].includes(consumer)) {
        effectsExpected += 1;
        if (n === 0) missing += 1;
        if (n !== 1) violations.push(`event ${eventId} (${event.kind}) has ${n} ${consumer} effects`);
      } else if (n > 0) {
        violations.push(`event ${eventId} (${event.kind}) has ${n} unexpected ${consumer} effects`);
      }
    }
    const inDlqs = [...deadLetters].filter(([, letters]) => letters.has(eventId)).map(([consumer]) => consumer);
    const expectedDlqs = event.kind === 'poison' ? ['inventory'] : [];
    if (inDlqs.join() !== expectedDlqs.join()) {
      violations.push(`event ${eventId} (${event.kind}) is in DLQs [${inDlqs.join(', ')}], expected [${expectedDlqs.join(', ')}]`);
    }
  }
  for (const event of events) {
    if (!accepted.has(event.index)) violations.push(`event ${event.index} (${event.kind}) was never accepted`);
  }
  const { unacknowledgedEvents, ordersWithTwoEvents } = unacknowledged(effects, events, byEventId);
  if (ordersWithTwoEvents > 0) violations.push(`${ordersWithTwoEvents} order(s) or user(s) have effects under two event ids`);

  const report: ChaosReport = {
    events: events.length,
    accepted: accepted.size,
    poison: events.filter((event) => event.kind === 'poison').length,
    erasures: events.filter((event) => event.kind === 'erasure').length,
    retries,
    effectsExpected,
    effectsFound: ourEffects.length,
    repeatsAbsorbed: repeated.length,
    maxDeliveries: ourEffects.reduce((max, effect) => Math.max(max, effect.deliveries), 0),
    missing,
    deadLettered: {
      poison: [...(deadLetters.get('inventory') ?? new Map<string, boolean>())].filter(([eventId]) => byEventId.get(eventId)?.kind === 'poison').length,
      byInjectedFaults,
      redriveRounds,
    },
    unacknowledgedEvents,
    ordersWithTwoEvents,
    ...(killedAtAccepted === undefined ? {} : { killedAtAccepted }),
    ...(restartMs === undefined ? {} : { restartMs }),
    sendSeconds,
    drainSeconds,
    violations,
  };
  clients.sqs.destroy();
  clients.dynamodb.destroy();
  return { report, target };
}

/**
 * Each consumer's dead letters (read without consuming): event id → whether it is a poison order.
 * Poison is recognized by its content, so an event whose 202 was lost to the kill counts too.
 */
async function readDeadLetters(clients: Clients, queues: readonly ConsumerQueues[]): Promise<Map<string, Map<string, boolean>>> {
  const result = new Map<string, Map<string, boolean>>();
  for (const queue of queues) {
    const letters = await peekDeadLetters({ sqs: clients.sqs, url: queue.dlqUrl }, 100_000);
    result.set(
      queue.consumer,
      new Map(letters.map((letter) => [peekEnvelopeIdentity(letter.body).eventId ?? `message:${letter.messageId}`, letter.body.includes(`"${POISON_SKU}"`)])),
    );
  }
  return result;
}

async function failureRecordType(clients: Clients, table: string, consumer: string, eventId: string): Promise<string | undefined> {
  const { Item } = await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: `${consumer}#${eventId}` } } }));
  return Item?.errorType?.S;
}

/** Effects under event ids nobody was given, grouped back to this run's orders and users. */
function unacknowledged(effects: readonly Effect[], events: readonly PlannedEvent[], byEventId: ReadonlyMap<string, PlannedEvent>) {
  const ours = new Set(events.map((event) => event.subject));
  const eventIdsBySubject = new Map<string, Set<string>>();
  for (const effect of effects) {
    if (!ours.has(effect.subject)) continue;
    const ids = eventIdsBySubject.get(effect.subject) ?? new Set<string>();
    ids.add(effect.eventId);
    eventIdsBySubject.set(effect.subject, ids);
  }
  const unknownIds = new Set(effects.filter((effect) => ours.has(effect.subject) && !byEventId.has(effect.eventId)).map((effect) => effect.eventId));
  return {
    unacknowledgedEvents: unknownIds.size,
    ordersWithTwoEvents: [...eventIdsBySubject.values()].filter((ids) => ids.size > 1).length,
  };
}
