/**
 * The chaos run: events through a local runtime that injects faults (transient failures, crashes
 * after the effect, duplicate deliveries), with one kill -9 of the whole runtime mid-run and a
 * restart on the same data folder, a downstream outage (the ledger table refuses every request
 * for minutes), and the scenarios of bench/lib/chaos-scenarios.ts (an erasure overtaking orders in
 * retry, one Idempotency-Key reused across resources and after expiry, a redrive after an
 * erasure); then the invariants are checked against the ledger and the DLQs.
 *
 * Invariants, with no exception for the kill or the outage:
 * - every accepted event has exactly one ledger item per subscribed consumer, and none for a
 *   consumer not subscribed to its type (a poison order: email and SMS, not inventory), each
 *   performed, except the personal-data effects of an order whose customer was erased after it,
 *   which are recorded as skipped;
 * - every poison event (an order with an unknown SKU, a permanent failure) sits in the inventory
 *   DLQ and in no other, and nothing else sits in any DLQ: a transient failure (an injected fault,
 *   the outage) is retried within the consumer's retry budget (an hour by default), never parked;
 * - nothing accepted is missing, no order or user has effects under two event ids, and one
 *   Idempotency-Key never gives two different requests one event id.
 *
 * An invocation killed after its effect but before its idempotency record was COMPLETED is
 * redelivered and attempts the effect again; the ledger's key (the effect's idempotency key)
 * absorbs that, so it is reported as a count (`repeatsAbsorbed`, items with `deliveries` > 1),
 * not a violation.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dlqPeek } from '../../lib/cli/dlq-peek.ts';
import { dlqRedrive } from '../../lib/cli/dlq-redrive.ts';
import { peekDeadLetters } from '../../lib/cli/dead-letters.ts';
import type { CliIo } from '../../lib/cli/io.ts';
import type { Target } from '../../lib/cli/target.ts';
import { OutputKeys, consumerQueuesInOutputs, type ConsumerQueues } from '../../lib/constructs/output-keys.ts';
import { SampleOutputKeys } from '../../sample/output-keys.ts';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { peekEnvelopeIdentity } from '../../lambdas/shared/envelope.ts';
import { tombstoneKey } from '../../lambdas/shared/erasure.ts';
import { readApp } from './assembly.ts';
import { clientsFor, scanLedger, waitForEmptyQueues, type Clients, type Effect } from './aws.ts';
import { chaosAppOf, type ChaosApp } from './chaos-app.ts';
import {
  refusedByOutage,
  reuseOneKey,
  seedDeadLettersThenErase,
  sendErasureRace,
  startOutage,
  type OutageWindow,
  type ScenarioEvent,
} from './chaos-scenarios.ts';
import { RequestFailedError, isRetryableStatus, postUntilAnswered } from './http.ts';
import { PROJECT_DIR } from './runtime.ts';
import { POISON_SKU, orderBody } from './sample-domain.ts';

/** What the run needs from a running local runtime (the bench launcher and the test harness both fit). */
export interface ChaosTarget {
  readonly state: {
    readonly apiUrl: string;
    readonly endpoint: string;
    readonly region: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
    readonly apiKey: string;
    readonly outputs: Readonly<Record<string, string>>;
    readonly stackName: string;
  };
  /** The cloud assembly the runtime runs, which says the consumers and routes. @default the project's cdk.out */
  readonly assemblyDir?: string;
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
  /**
   * A downstream outage: once this share of the events is accepted, the ledger table refuses every
   * request for `seconds`; right after it starts, `racePairs` orders are placed and their
   * customers' erasures requested. Undefined: no outage.
   */
  readonly outage?: { readonly afterShare: number; readonly seconds: number; readonly racePairs: number };
  /** Reuse one Idempotency-Key across resources and after its records are gone. @default true */
  readonly keyReuse?: boolean;
  /** Orders put into the DLQs of the order consumers that honour erasures, then their customers erased, then redriven. @default 3 */
  readonly deadLettersAfterErasure?: number;
  /** Bound on each wait for the queues to empty. */
  readonly quiescenceTimeoutMs: number;
  /** Progress lines. */
  readonly log: (line: string) => void;
  /** Distinguishes this run's orders and keys from any earlier run on the same data. */
  readonly runId: string;
}

type EventKind = 'order' | 'poison' | 'erasure';

export interface DeadLetterCounts {
  /** Accepted poison events in the inventory DLQ: expected. */
  readonly poison: number;
  /** Any other dead letter (of an accepted event): each one is a violation. */
  readonly parked: number;
}

export interface ScenarioCounts {
  /** Seconds the ledger table was down, and the requests it refused meanwhile. */
  readonly outageSeconds: number;
  readonly refusedDuringOutage: number;
  /** Orders whose customer's erasure overtook them in retry. */
  readonly raceOrders: number;
  /**
   * Their notifications performed because the consumer got to the order before the erasure (an
   * injected fault delayed the erasure's delivery past the outage); the others were skipped.
   */
  readonly racePerformedBeforeErasure: number;
  /** Events of the key-reuse scenario (three different requests under one key). */
  readonly keyReuseEvents: number;
  /** Orders redriven from the DLQs after their customer's erasure, and those `dlq peek` flagged as erased. */
  readonly redrivenAfterErasure: number;
  readonly peekFlaggedErased: number;
  /** Ledger items recorded as skipped because the subject was erased: 2 per redriven order, and per raced order the erasure reached first. */
  readonly skippedEffects: number;
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
  readonly scenarios: ScenarioCounts;
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

const plan = (options: ChaosOptions, app: ChaosApp): PlannedEvent[] =>
  Array.from({ length: options.events }, (_, index) => {
    const subject = `${options.runId}-${index}`;
    const key = `chaos-${subject}`;
    if (index % (options.erasureEvery ?? 10) === 3) {
      return { index, kind: 'erasure', path: app.erasurePath(subject), body: JSON.stringify({ reason: 'chaos' }), subject, key };
    }
    const poison = index % (options.poisonEvery ?? 100) === 50;
    const body = JSON.stringify(poison ? orderBody(subject, `c-${index}`, POISON_SKU) : orderBody(subject, `c-${index}`));
    return { index, kind: poison ? 'poison' : 'order', path: app.orderPath, body, subject, key };
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
  const app = chaosAppOf(readApp(initial.assemblyDir ?? join(PROJECT_DIR, 'cdk.out'), initial.state.stackName));
  /** The ledger items each kind of event must produce, by consumer. */
  const expectedEffects = { order: app.orderEffects(false), poison: app.poisonEffects, erasure: app.erasureEffects };
  const events = plan(options, app);
  const violations: string[] = [];
  let target = initial;
  let clients = clientsFor(target.state);
  const queues = consumerQueuesInOutputs(target.state.outputs);

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

  const ledgerTable = target.state.outputs[SampleOutputKeys.LedgerTableName]!;
  let outage: OutageWindow | undefined;
  let outageSeconds = 0;
  let refusedBeforeRestart = 0;
  let scenarioEvents: Promise<ScenarioEvent[]> = Promise.resolve([]);

  const killAndRestart = async () => {
    killedAtAccepted = accepted.size;
    options.log(`kill -9 the runtime at ${accepted.size} accepted events`);
    if (outage !== undefined) refusedBeforeRestart += await refusedByOutage(target.state.endpoint, ledgerTable).catch(() => 0);
    await target.kill9();
    const started = Date.now();
    target = await target.restart();
    restartMs = Date.now() - started;
    clients.sqs.destroy();
    clients.dynamodb.destroy();
    clients = clientsFor(target.state);
    options.log(`restarted on the same data folder in ${restartMs} ms`);
    // An outage lives in the runtime's memory: a restart ends it, so the rest of it is started again.
    if (outage !== undefined && outage.endsAt > Date.now()) {
      await startOutage(target.state.endpoint, ledgerTable, (outage.endsAt - Date.now()) / 1000);
    }
  };

  const beginOutage = async (seconds: number, racePairs: number) => {
    outage = await startOutage(target.state.endpoint, ledgerTable, seconds);
    outageSeconds = seconds;
    options.log(`outage: the ledger table refuses every request for ${seconds} s; ${racePairs} order(s) overtaken by their customer's erasure`);
    scenarioEvents = sendErasureRace(target.state, app, options.runId, racePairs, violations);
  };

  /** One request (the worker paces and retries): a retryable answer or a broken connection is a 'retry'. */
  const attempt = async (event: PlannedEvent): Promise<'accepted' | 'retry' | 'rejected'> => {
    let answer: Awaited<ReturnType<typeof postUntilAnswered>>;
    try {
      answer = await postUntilAnswered(target.state, event.path, event.body, event.key, { attempts: 1 });
    } catch (error) {
      if (error instanceof RequestFailedError) return 'retry';
      throw error;
    }
    if (answer.status === 202 && answer.eventId !== undefined) {
      const earlier = accepted.get(event.index);
      if (earlier !== undefined && earlier !== answer.eventId) violations.push(`key ${event.key} answered two event ids`);
      accepted.set(event.index, answer.eventId);
      return 'accepted';
    }
    if (isRetryableStatus(answer.status)) return 'retry';
    violations.push(`event ${event.index} (${event.kind}) rejected with ${answer.status}: ${answer.text.slice(0, 200)}`);
    return 'rejected';
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
      const outageAt = options.outage === undefined ? undefined : Math.ceil(options.outage.afterShare * events.length);
      if (outageAt !== undefined && outage === undefined && accepted.size >= outageAt && !restarting) {
        outage = { table: ledgerTable, endsAt: Number.POSITIVE_INFINITY };
        await beginOutage(options.outage!.seconds, options.outage!.racePairs);
      }
      if ((events.length - outstanding) % 1_000 === 0) options.log(`${events.length - outstanding}/${events.length} events answered`);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  if (restarting) await restarting;
  const scenario: ScenarioEvent[] = [...(await scenarioEvents)];
  // After the main send, so deleting the producer's records races none of its retries' answers.
  if (options.keyReuse ?? true) scenario.push(...(await reuseOneKey(target.state, clients, app, options.runId, violations)));
  const seeded = await seedDeadLettersThenErase(target.state, clients, app, options.runId, options.deadLettersAfterErasure ?? 3, violations);
  scenario.push(...seeded.events);
  const sendSeconds = (Date.now() - sendStarted) / 1000;
  options.log(`sent: ${accepted.size} accepted in ${sendSeconds.toFixed(1)} s, ${retries} retries; ${scenario.length} scenario events`);

  // ---- wait (through the outage and its retries), then redrive the dead letters of erased customers
  const drainStarted = Date.now();
  const byEventId = new Map(events.flatMap((event) => (accepted.has(event.index) ? [[accepted.get(event.index)!, event] as const] : [])));
  const scenarioById = new Map(scenario.map((event) => [event.eventId, event]));
  if (!(await waitForEmptyQueues(clients.sqs, queues, options.quiescenceTimeoutMs, options.log))) {
    violations.push(`the queues did not empty within ${options.quiescenceTimeoutMs} ms`);
  }
  const refusedDuringOutage = outage === undefined ? 0 : refusedBeforeRestart + (await refusedByOutage(target.state.endpoint, ledgerTable));
  const cliTarget: Target = { ...localCliTarget(clients, target.state.outputs), description: 'chaos run' };
  let peekFlaggedErased = 0;
  for (const consumer of seeded.consumers) {
    peekFlaggedErased += await countErasedInPeek(cliTarget, consumer, new Set(seeded.events.map((event) => event.eventId)));
    await dlqRedrive(cliTarget, quietIo(), { consumer, eventIds: [], yes: true, json: true, rate: 200 }).catch((error: unknown) => {
      violations.push(`redrive of ${consumer} failed: ${(error as Error).message}`);
    });
  }
  if (!(await waitForEmptyQueues(clients.sqs, queues, options.quiescenceTimeoutMs, options.log))) {
    violations.push(`the queues did not empty within ${options.quiescenceTimeoutMs} ms after the redrive`);
  }
  const deadLetters = await readDeadLetters(clients, queues);
  const drainSeconds = (Date.now() - drainStarted) / 1000;

  // ---- check the invariants
  const effects = await scanLedger(clients.dynamodb, target.state.outputs[SampleOutputKeys.LedgerTableName]!);
  const itemCounts = new Map<string, number>();
  for (const { eventId, consumer } of effects) itemCounts.set(`${eventId}|${consumer}`, (itemCounts.get(`${eventId}|${consumer}`) ?? 0) + 1);
  const ourEffects = effects.filter((effect) => byEventId.has(effect.eventId) || scenarioById.has(effect.eventId));
  const repeated = ourEffects.filter((effect) => effect.deliveries > 1);
  let effectsExpected = 0;
  let missing = 0;
  const ledgerItems = new Map(effects.map((effect) => [`${effect.eventId}|${effect.consumer}`, effect]));
  const tombstones = await readTombstones(clients, target.state.outputs[OutputKeys.TombstoneTableName], scenario);
  let performedBeforeErasure = 0;
  const checkEffects = (eventId: string, label: string, expected: Readonly<Record<string, ScenarioEvent['expected'][string]>>, subject?: string) => {
    for (const consumer of app.consumers) {
      const n = itemCounts.get(`${eventId}|${consumer}`) ?? 0;
      const want = expected[consumer];
      if (want !== undefined) {
        effectsExpected += 1;
        if (n === 0) missing += 1;
        if (n !== 1) violations.push(`event ${eventId} (${label}) has ${n} ${consumer} effects`);
        const item = ledgerItems.get(`${eventId}|${consumer}`);
        if (n !== 1 || item === undefined) continue;
        if (want === 'skipped-once-erased') {
          if (item.status === 'skipped') continue;
          // Performed: only allowed before this consumer processed the erasure (its tombstone's time),
          // give or take the read-then-write window of one handler run.
          const erasedAt = subject === undefined ? undefined : tombstones.get(`${consumer}#${subject}`);
          if (erasedAt !== undefined && item.atMs > erasedAt + HANDLER_WINDOW_MS) {
            violations.push(`event ${eventId} (${label}): its ${consumer} effect was performed ${item.atMs - erasedAt} ms after the consumer processed its customer's erasure`);
          } else {
            performedBeforeErasure += 1;
          }
        } else if (item.status !== want) {
          violations.push(`event ${eventId} (${label}): its ${consumer} effect is ${item.status}, expected ${want}`);
        }
      } else if (n > 0) {
        violations.push(`event ${eventId} (${label}) has ${n} unexpected ${consumer} effects`);
      }
    }
  };
  for (const event of scenario) checkEffects(event.eventId, `${event.scenario}: ${event.label}`, event.expected, event.subject);
  for (const event of scenario) {
    const inDlqs = [...deadLetters].filter(([, letters]) => letters.has(event.eventId)).map(([consumer]) => consumer);
    if (inDlqs.length > 0) violations.push(`event ${event.eventId} (${event.scenario}: ${event.label}) is in DLQs [${inDlqs.join(', ')}]`);
  }
  for (const [eventId, event] of byEventId) {
    checkEffects(eventId, event.kind, expectedEffects[event.kind]);
    const inDlqs = [...deadLetters].filter(([, letters]) => letters.has(eventId)).map(([consumer]) => consumer);
    const expectedDlqs = event.kind === 'poison' ? [app.poisonDlq] : [];
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
      poison: [...(deadLetters.get(app.poisonDlq) ?? new Map<string, boolean>())].filter(([eventId]) => byEventId.get(eventId)?.kind === 'poison').length,
      parked: [...deadLetters].reduce(
        (sum, [consumer, letters]) => sum + [...letters].filter(([eventId, poison]) => !(consumer === app.poisonDlq && poison) && (byEventId.has(eventId) || scenarioById.has(eventId))).length,
        0,
      ),
    },
    scenarios: {
      outageSeconds,
      refusedDuringOutage,
      raceOrders: scenario.filter((event) => event.scenario === 'erasure-race' && Object.values(event.expected).includes('skipped-once-erased')).length,
      racePerformedBeforeErasure: performedBeforeErasure,
      keyReuseEvents: scenario.filter((event) => event.scenario === 'key-reuse').length,
      redrivenAfterErasure: seeded.events.filter((event) => Object.values(event.expected).every((status) => status === 'skipped')).length,
      peekFlaggedErased,
      skippedEffects: ourEffects.filter((effect) => effect.status === 'skipped').length,
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
      queue.name,
      new Map(letters.map((letter) => [peekEnvelopeIdentity(letter.body).eventId ?? `message:${letter.messageId}`, letter.body.includes(`"${POISON_SKU}"`)])),
    );
  }
  return result;
}

/** An effect may still land this long after the consumer's tombstone: the check read it just before. */
const HANDLER_WINDOW_MS = 5_000;

/** The `recordedAt` (epoch ms) of the tombstones the scenario events' subjects may have, by `<consumer>#<subject>`. */
async function readTombstones(clients: Clients, table: string | undefined, scenario: readonly ScenarioEvent[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  if (table === undefined) return found;
  for (const event of scenario) {
    if (event.subject === undefined) continue;
    for (const consumer of Object.keys(event.expected)) {
      const pk = tombstoneKey(consumer, event.subject);
      const { Item } = await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }));
      if (Item?.recordedAt?.S !== undefined) found.set(pk, Date.parse(Item.recordedAt.S));
    }
  }
  return found;
}

/**
 * How many of `eventIds` the consumer's `dlq peek --json` flags as concerning an erased data
 * subject: what an operator reads before a redrive.
 */
async function countErasedInPeek(target: Target, consumer: string, eventIds: ReadonlySet<string>): Promise<number> {
  let printed = '';
  const io: CliIo = { ...quietIo(), stdout: { write: (chunk: string) => ((printed += chunk), true) } };
  await dlqPeek(target, io, { consumer, limit: 100, json: true });
  const { deadLetters = [] } = JSON.parse(printed || '{}') as { deadLetters?: { eventId: string | null; subjectErased?: unknown }[] };
  return deadLetters.filter((letter) => letter.eventId !== null && eventIds.has(letter.eventId) && letter.subjectErased != null).length;
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
