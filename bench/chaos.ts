/**
 * `npm run chaos [-- --events N --rate R]`: the fault-injection run (see lib/chaos-run.ts for
 * the scenario and the invariants). Starts its own local runtime with faults on a temp data
 * folder, kills it with SIGKILL once mid-run and restarts it on the same folder, then prints
 * the counts. Exit code 0 when every invariant holds, 1 on any violation, 2 on bad usage.
 */
import type { FaultConfig } from '../lib/local/faults.ts';
import { parseCommandLine } from '../lib/shared/usage.ts';
import { FAULT_OPTIONS, faultsOf, logProgress, positive, printFaults, printViolations, rateOf, withChaosRuntime } from './lib/chaos-options.ts';
import { runChaos, type ChaosReport } from './lib/chaos-run.ts';
import type { RuntimeProcess } from './lib/runtime.ts';
import { runScript } from './lib/script.ts';
import { markdownTable } from './lib/summary.ts';

const USAGE = `Usage: npm run chaos -- [--events N] [--rate R] [--concurrency C] [--seed S]
  [--transient 0.2] [--crash 0.05] [--duplicate 0.1] [--no-kill] [--timeout-minutes M]
  [--outage-seconds 600] [--outage-after 0.6] [--race-pairs 20]   the ledger table's outage (0 seconds: none)
  [--runtime-log FILE]   write the runtime's output (function logs, REPORT and ERROR lines) to FILE`;

export { DEFAULT_FAULTS } from './lib/chaos-options.ts';

export const printChaosReport = (report: ChaosReport, faults: FaultConfig): void => {
  const rows: [string, string][] = [
    ['events sent', String(report.events)],
    ['accepted (202)', String(report.accepted)],
    ['  of which poison (unknown SKU)', String(report.poison)],
    ['  of which erasure requests', String(report.erasures)],
    ['retried requests (same Idempotency-Key)', String(report.retries)],
    ['effects expected', String(report.effectsExpected)],
    ['effects found', String(report.effectsFound)],
    ['repeats absorbed by the effect\'s idempotency key (deliveries > 1)', `${report.repeatsAbsorbed} (max deliveries ${report.maxDeliveries})`],
    ['missing', String(report.missing)],
    ['dead-lettered: poison in the inventory DLQ (permanent, at once)', String(report.deadLettered.poison)],
    ['dead-lettered: anything else (a transient failure parked)', String(report.deadLettered.parked)],
    [
      'downstream outage (ledger table down)',
      report.scenarios.outageSeconds === 0 ? 'none' : `${report.scenarios.outageSeconds} s, ${report.scenarios.refusedDuringOutage} requests refused`,
    ],
    [
      'orders overtaken in retry by their customer\'s erasure',
      `${report.scenarios.raceOrders} (notifications performed before the erasure reached the consumer: ${report.scenarios.racePerformedBeforeErasure})`,
    ],
    ['events under one reused Idempotency-Key', String(report.scenarios.keyReuseEvents)],
    ['orders redriven after their customer\'s erasure (flagged by dlq peek)', `${report.scenarios.redrivenAfterErasure} (${report.scenarios.peekFlaggedErased} of ${2 * report.scenarios.redrivenAfterErasure} letters)`],
    ['personal-data effects skipped (subject erased)', String(report.scenarios.skippedEffects)],
    ['published, never acknowledged (kill -9)', String(report.unacknowledgedEvents)],
    ['orders with effects under two event ids', String(report.ordersWithTwoEvents)],
    ['kill -9 at accepted', report.killedAtAccepted === undefined ? 'no kill' : `${report.killedAtAccepted} (restart ${report.restartMs} ms)`],
    ['send / drain time', `${report.sendSeconds.toFixed(1)} s / ${report.drainSeconds.toFixed(1)} s`],
  ];
  printFaults(faults);
  console.log(markdownTable(['chaos run', 'count'], rows));
  if (report.repeatsAbsorbed > 0) {
    console.log(
      `\n${report.repeatsAbsorbed} effect(s) were attempted more than once: the invocation died (crash, timeout, kill -9) after the ` +
        'effect and before its idempotency record was COMPLETED, so the redelivery ran it again. The effect\'s own idempotency key ' +
        '(the ledger key) absorbed each repeat: performed once, counted in deliveries.',
    );
  }
  printViolations(report.violations, 'All invariants hold: nothing lost, nothing doubled.');
};

async function main(): Promise<number> {
  const { values } = parseCommandLine({
    args: process.argv.slice(2),
    options: {
      events: { type: 'string', default: '10000' },
      // Under the sample's usage-plan throttle (50 requests/s) and what 2 shared cores sustain.
      rate: { type: 'string', default: '40' },
      concurrency: { type: 'string', default: '32' },
      ...FAULT_OPTIONS,
      // The outage (10 minutes by default) and the backoff that follows it must fit in.
      'timeout-minutes': { type: 'string', default: '25' },
      'outage-seconds': { type: 'string', default: '600' },
      'outage-after': { type: 'string', default: '0.6' },
      'race-pairs': { type: 'string', default: '20' },
    },
    allowNegative: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const faults = faultsOf(values);
  return withChaosRuntime('queueflow-chaos-', faults, values['runtime-log'], async (runtime) => {
    const { report, target } = await runChaos(runtime, {
      events: positive('events', values.events, true),
      ratePerSecond: positive('rate', values.rate, false),
      concurrency: positive('concurrency', values.concurrency, true),
      killAfterShare: values.kill ? 0.5 : undefined,
      outage:
        Number(values['outage-seconds']) === 0
          ? undefined
          : {
              seconds: positive('outage-seconds', values['outage-seconds'], true),
              afterShare: rateOf('outage-after', values['outage-after']),
              racePairs: positive('race-pairs', values['race-pairs'], true),
            },
      quiescenceTimeoutMs: positive('timeout-minutes', values['timeout-minutes'], false) * 60_000,
      log: logProgress,
      runId: `r${Date.now().toString(36)}`,
    });
    printChaosReport(report, faults);
    return { runtime: target as RuntimeProcess, exitCode: report.violations.length === 0 ? 0 : 1 };
  });
}

await runScript(USAGE, main);
