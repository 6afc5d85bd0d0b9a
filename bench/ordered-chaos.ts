/**
 * `npm run chaos:ordered [-- --accounts N --charges C]`: the ordered chaos scenario (see
 * lib/ordered-chaos-run.ts): the sample's account lifecycle through a runtime with transient
 * failures, crashes after the effect and duplicate deliveries, client retries under the same
 * Idempotency-Key and one kill -9. Prints the counts and the ordered path's throughput. Exit code 0
 * when, per account, every effect is there once and in publish order; 1 on any violation; 2 on
 * bad usage.
 */
import type { FaultConfig } from '../lib/local/faults.ts';
import { numberOption, parseCommandLine } from '../lib/shared/usage.ts';
import { FAULT_OPTIONS, faultsOf, logProgress, positive, printFaults, printViolations, rateOf, withChaosRuntime } from './lib/chaos-options.ts';
import { runOrderedChaos, type OrderedChaosReport } from './lib/ordered-chaos-run.ts';
import { runScript } from './lib/script.ts';
import { markdownTable } from './lib/summary.ts';

const USAGE = `Usage: npm run chaos:ordered -- [--accounts 200] [--charges 3] [--concurrency 40] [--repeat 0.1]
  [--transient 0.2] [--crash 0.05] [--duplicate 0.1] [--seed 42] [--no-kill] [--timeout-minutes 15]
  [--runtime-log FILE]   write the runtime's output (function logs, REPORT and ERROR lines) to FILE`;


export const printOrderedChaosReport = (report: OrderedChaosReport, faults: FaultConfig): void => {
  const rows: [string, string][] = [
    ['accounts (each: opened, verified, charged …)', String(report.accounts)],
    ['events sent / accepted (202)', `${report.events} / ${report.accepted}`],
    ['requests retried (5xx, 409, refused during the restart)', String(report.retries)],
    ['requests repeated after their 202 (same Idempotency-Key)', String(report.repeatedRequests)],
    ['effects found', String(report.effectsFound)],
    ['missing', String(report.missing)],
    ['accounts with an effect doubled or skipped in the numbering', String(report.doubled)],
    ['accounts with effects out of publish order', String(report.outOfOrder)],
    ['repeats absorbed by the ledger key (deliveries > 1)', String(report.repeatsAbsorbed)],
    ['billing DLQ', String(report.deadLettered)],
    ['kill -9 at accepted', report.killedAtAccepted === undefined ? 'no kill' : `${report.killedAtAccepted} (restart ${report.restartMs} ms)`],
    ['send time / first request to last effect', `${report.sendSeconds.toFixed(1)} s / ${report.endToEndSeconds.toFixed(1)} s`],
    ['ordered throughput (effects / s, end to end)', (report.effectsFound / Math.max(report.endToEndSeconds, 0.001)).toFixed(1)],
  ];
  printFaults(faults);
  console.log(markdownTable(['ordered chaos run', 'count'], rows));
  printViolations(report.violations, 'All invariants hold: per account, every effect once, in publish order.');
};

async function main(): Promise<number> {
  const { values } = parseCommandLine({
    args: process.argv.slice(2),
    options: {
      accounts: { type: 'string', default: '200' },
      charges: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '40' },
      repeat: { type: 'string', default: '0.1' },
      ...FAULT_OPTIONS,
      'timeout-minutes': { type: 'string', default: '15' },
    },
    allowNegative: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const faults = faultsOf(values);
  // Every number checked before anything starts.
  const scenario = {
    accounts: positive('accounts', values.accounts, true),
    chargesPerAccount: numberOption('--charges', values.charges, { min: 0, integer: true }),
    concurrency: positive('concurrency', values.concurrency, true),
    repeatRequestRate: rateOf('repeat', values.repeat),
    killAfterShare: values.kill ? 0.5 : undefined,
    quiescenceTimeoutMs: positive('timeout-minutes', values['timeout-minutes'], false) * 60_000,
  };
  return withChaosRuntime('queueflow-ordered-chaos-', faults, values['runtime-log'], async (runtime) => {
    const result = await runOrderedChaos(runtime, { ...scenario, log: logProgress, runId: `o${Date.now().toString(36)}` });
    printOrderedChaosReport(result.report, faults);
    return { runtime: result.runtime, exitCode: result.report.violations.length === 0 ? 0 : 1 };
  });
}

await runScript(USAGE, main);
