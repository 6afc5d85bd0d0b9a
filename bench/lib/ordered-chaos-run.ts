/**
 * The ordered chaos scenario: the sample's account lifecycle (opened → verified → charged × N),
 * ordered by account, through a runtime that injects transient failures, crashes after the effect
 * and duplicate deliveries (on a FIFO queue: a copy at the end of its group, as a duplicate from
 * outside the 5-minute window arrives), with client retries under the same Idempotency-Key and
 * one kill -9 mid-run. Each client sends an account's events one after the other, waiting for
 * each 202, so the publish order of an account is the order of its 202s.
 *
 * Invariants, per account, checked against the billing consumer's ledger items and account state:
 * - none lost: every accepted event has its effect (`account.opened`, `.verified`, `.charged`);
 * - none doubled: the account's effects are numbered 1..n exactly once each (a repeat would take
 *   a second number), and the account state counts n;
 * - in publish order: sorted by that number, the effects are the accepted events in the order
 *   their 202s came back;
 * - nothing in the billing DLQ (a charge overtaking its verification would be refused there).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { consumerOutputKeys } from '../../lib/constructs/output-keys.ts';
import { EventTypes } from '../../sample/event-types.ts';
import { SampleOutputKeys } from '../../sample/output-keys.ts';
import { clientsFor, queueDepth, type Clients } from './aws.ts';
import { readApp, routeFor } from './assembly.ts';
import { postUntilAnswered } from './http.ts';
import type { RuntimeProcess } from './runtime.ts';

/** The ordered consumer of the account lifecycle in the sample. */
export const BILLING_CONSUMER = 'billing';

export interface OrderedChaosOptions {
  readonly accounts: number;
  /** Charges per account after its opening and verification. */
  readonly chargesPerAccount: number;
  /** Accounts sent at the same time (each account's events one by one). */
  readonly concurrency: number;
  /** Share of accepted requests sent a second time with the same Idempotency-Key and body. */
  readonly repeatRequestRate: number;
  /** Kill -9 the runtime once this share of the events is accepted, then restart it; none when undefined. */
  readonly killAfterShare?: number;
  readonly quiescenceTimeoutMs: number;
  readonly log: (line: string) => void;
  /** Makes account ids and keys unique per run. */
  readonly runId: string;
}

export interface OrderedChaosReport {
  readonly accounts: number;
  readonly events: number;
  readonly accepted: number;
  /** Requests sent again after a failure (5xx, 409, connection refused during the restart). */
  readonly retries: number;
  /** Requests repeated on purpose after their 202, with the same key: each must answer the same event id. */
  readonly repeatedRequests: number;
  readonly effectsFound: number;
  readonly missing: number;
  readonly doubled: number;
  readonly outOfOrder: number;
  /** Ledger items written by more than one attempt (a crash after the effect), absorbed by the ledger key. */
  readonly repeatsAbsorbed: number;
  readonly deadLettered: number;
  readonly killedAtAccepted?: number;
  readonly restartMs?: number;
  readonly sendSeconds: number;
  /** From the first request to the last effect. */
  readonly endToEndSeconds: number;
  readonly violations: readonly string[];
}

interface AccountEvent {
  readonly key: string;
  readonly path: string;
  readonly body: string;
  readonly effect: string;
}

interface BillingEffect {
  readonly eventId: string;
  readonly effect: string;
  readonly sequence: number;
  readonly deliveries: number;
  readonly atMs: number;
}

const text = (value: AttributeValue | undefined): string => value?.S ?? '';

async function scanBilling(clients: Clients, tableName: string, accountPrefix: string): Promise<Map<string, BillingEffect[]>> {
  const byAccount = new Map<string, BillingEffect[]>();
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await clients.dynamodb.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) {
      const accountId = text(item.accountId);
      if (text(item.consumer) !== BILLING_CONSUMER || !accountId.startsWith(accountPrefix)) continue;
      const effects = byAccount.get(accountId) ?? [];
      effects.push({
        eventId: text(item.eventId),
        effect: text(item.effect),
        sequence: Number(item.sequence?.N ?? 0),
        deliveries: Number(item.deliveries?.N ?? 0),
        atMs: Date.parse(text(item.at)),
      });
      byAccount.set(accountId, effects);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return byAccount;
}

/** Runs the scenario against a runtime started with faults; resolves with the report and the runtime now running. */
export async function runOrderedChaos(initial: RuntimeProcess, options: OrderedChaosOptions): Promise<{ report: OrderedChaosReport; runtime: RuntimeProcess }> {
  const app = readApp(initial.assemblyDir, initial.state.stackName);
  const pathOf = (eventType: string, accountId: string) =>
    routeFor(app, eventType).resourcePath.replace('{accountId}', accountId);
  const accountIds = Array.from({ length: options.accounts }, (_, i) => `${options.runId}-a${i}`);
  const plan = new Map<string, AccountEvent[]>(
    accountIds.map((accountId) => [
      accountId,
      [
        { key: `${accountId}-open`, path: pathOf(EventTypes.AccountOpened, accountId), body: JSON.stringify({ accountId, email: `${accountId}@example.com` }), effect: EventTypes.AccountOpened },
        { key: `${accountId}-verify`, path: pathOf(EventTypes.AccountVerified, accountId), body: '{}', effect: EventTypes.AccountVerified },
        ...Array.from({ length: options.chargesPerAccount }, (_, c) => ({
          key: `${accountId}-charge-${c}`,
          path: pathOf(EventTypes.AccountCharged, accountId),
          body: JSON.stringify({ amountCents: 100 + c, currency: 'EUR' }),
          effect: EventTypes.AccountCharged,
        })),
      ],
    ]),
  );
  const total = options.accounts * (2 + options.chargesPerAccount);
  const violations: string[] = [];
  const acceptedByAccount = new Map<string, string[]>(accountIds.map((id) => [id, []]));
  let accepted = 0;
  let retries = 0;
  let repeatedRequests = 0;
  let runtime = initial;
  let restarting: Promise<void> | undefined;
  let killedAtAccepted: number | undefined;
  let restartMs: number | undefined;
  // A deterministic sequence for the repeats, so two runs send the same requests.
  let draw = 0;
  const repeatThis = () => ((draw = (draw * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31) < options.repeatRequestRate;

  const killAndRestart = async () => {
    killedAtAccepted = accepted;
    options.log(`kill -9 the runtime at ${accepted} accepted events`);
    await runtime.kill9();
    const started = Date.now();
    runtime = await runtime.restart();
    restartMs = Date.now() - started;
    options.log(`restarted on the same data folder in ${restartMs} ms`);
  };

  /** Posts until a final answer; the event id of a 202, or undefined after a 4xx (a violation). */
  const post = async (event: AccountEvent): Promise<string | undefined> => {
    const answer = await postUntilAnswered(() => runtime.state, event.path, event.body, event.key, {
      attempts: Number.POSITIVE_INFINITY,
      pauseMs: 300,
      beforeAttempt: () => restarting,
      onRetry: () => {
        retries += 1;
      },
    });
    if (answer.status === 202 && answer.eventId !== undefined) return answer.eventId;
    violations.push(`${event.key}: ${answer.status} ${answer.text.slice(0, 200)}`);
    return undefined;
  };

  const sendAccount = async (accountId: string) => {
    for (const event of plan.get(accountId)!) {
      const eventId = await post(event);
      if (eventId === undefined) return;
      acceptedByAccount.get(accountId)!.push(eventId);
      accepted += 1;
      if (repeatThis()) {
        repeatedRequests += 1;
        const again = await post(event);
        if (again !== eventId) violations.push(`${event.key}: a repeated request answered ${String(again)}, the first ${eventId}`);
      }
      if (options.killAfterShare !== undefined && killedAtAccepted === undefined && restarting === undefined && accepted >= options.killAfterShare * total) {
        restarting = killAndRestart().finally(() => (restarting = undefined));
      }
    }
  };

  const started = Date.now();
  const queue = [...accountIds];
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      for (let accountId = queue.shift(); accountId !== undefined; accountId = queue.shift()) await sendAccount(accountId);
    }),
  );
  if (restarting) await restarting;
  const sendSeconds = (Date.now() - started) / 1000;
  options.log(`sent: ${accepted} of ${total} accepted in ${sendSeconds.toFixed(1)} s, ${retries} retries, ${repeatedRequests} repeated requests`);

  // ---- drain: wait until every accepted event has its effect, or the timeout
  const clients = clientsFor(runtime.state);
  const ledgerTable = runtime.outputOf(SampleOutputKeys.LedgerTableName);
  const billingQueues = consumerOutputKeys(BILLING_CONSUMER);
  const deadline = Date.now() + options.quiescenceTimeoutMs;
  let effects = new Map<string, BillingEffect[]>();
  let found = 0;
  for (;;) {
    effects = await scanBilling(clients, ledgerTable, `${options.runId}-`);
    found = [...effects.values()].reduce((sum, list) => sum + list.length, 0);
    if (found >= accepted || Date.now() > deadline) break;
    await sleep(2_000);
  }
  // Late duplicates still waiting in the queue must find nothing to do: let them drain too.
  const drainDeadline = Math.min(deadline, Date.now() + 120_000);
  while (Date.now() < drainDeadline) {
    const depth = await queueDepth(clients.sqs, runtime.outputOf(billingQueues.queueUrl));
    if (depth.visible + depth.inFlight === 0) break;
    await sleep(1_000);
  }
  effects = await scanBilling(clients, ledgerTable, `${options.runId}-`);
  const deadLettered = (await queueDepth(clients.sqs, runtime.outputOf(billingQueues.dlqUrl))).visible;

  // ---- invariants per account
  let missing = 0;
  let doubled = 0;
  let outOfOrder = 0;
  let repeatsAbsorbed = 0;
  let lastEffectMs = started;
  found = 0;
  for (const accountId of accountIds) {
    const expected = acceptedByAccount.get(accountId)!;
    const items = (effects.get(accountId) ?? []).sort((a, b) => a.sequence - b.sequence);
    found += items.length;
    repeatsAbsorbed += items.filter((item) => item.deliveries > 1).length;
    for (const item of items) lastEffectMs = Math.max(lastEffectMs, item.atMs);
    const ids = new Set(items.map((item) => item.eventId));
    const lost = expected.filter((id) => !ids.has(id));
    missing += lost.length;
    if (lost.length > 0) violations.push(`${accountId}: ${lost.length} accepted event(s) without effect`);
    const sequences = items.map((item) => item.sequence);
    const numbering = sequences.every((sequence, index) => sequence === index + 1);
    if (!numbering) {
      doubled += 1;
      violations.push(`${accountId}: effects numbered ${sequences.join(',')} (a repeat or a gap)`);
    }
    const applied = items.map((item) => item.eventId);
    if (lost.length === 0 && applied.join() !== expected.join()) {
      outOfOrder += 1;
      violations.push(`${accountId}: effects in order ${applied.join(',')}, published ${expected.join(',')}`);
    }
    const plannedEffects = plan.get(accountId)!.slice(0, items.length).map((event) => event.effect);
    if (items.map((item) => item.effect).join() !== plannedEffects.join()) {
      violations.push(`${accountId}: effects ${items.map((item) => item.effect).join(',')}`);
    }
  }
  if (deadLettered > 0) violations.push(`${deadLettered} message(s) in the billing DLQ`);
  clients.sqs.destroy();
  clients.dynamodb.destroy();
  return {
    runtime,
    report: {
      accounts: options.accounts,
      events: total,
      accepted,
      retries,
      repeatedRequests,
      effectsFound: found,
      missing,
      doubled,
      outOfOrder,
      repeatsAbsorbed,
      deadLettered,
      ...(killedAtAccepted === undefined ? {} : { killedAtAccepted, restartMs }),
      sendSeconds,
      endToEndSeconds: (lastEffectMs - started) / 1000,
      violations,
    },
  };
}
