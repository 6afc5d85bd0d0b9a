/**
 * How fast the local runtime answers a webhook delivery, cold start included, against Shopify's
 * 5 s timeout (the tightest provider's). Per run: start `queueflow local` on a fresh data folder,
 * send one delivery as soon as it is ready (the receiver's first invocation: its first Secrets
 * Manager read, first DynamoDB and SNS connections), then `--deliveries` more, `--concurrency` at a
 * time (more than one at a time makes the Lambda host start further environments, each with its
 * init phase on the request path). Every delivery is a new Stripe event signed by `stripe`'s own
 * test helper with the local signing secret, and every tenth is a retry of an earlier one (answered
 * 200). The time is from the request's start to its answer's end, as a provider measures it.
 *
 * Runs the project's cdk.out as it is (`--no-synth`): synthesize first (`npx cdk synth`, or any
 * integration test run does).
 *
 * Usage: npm run bench:webhooks [-- --runs <n> --deliveries <n> --concurrency <n>]
 */
import Stripe from 'stripe';
import { numberOption, parseCommandLine } from '../lib/shared/usage.ts';
import { QUIET_LOAD_PER_CORE, sampleLoad } from './lib/machine-load.ts';
import { startRuntime } from './lib/runtime.ts';
import { runScript } from './lib/script.ts';
import { markdownTable, ms, summarize } from './lib/summary.ts';

const USAGE = 'Usage: npm run bench:webhooks [-- --runs <n> (3) --deliveries <n> (200) --concurrency <n> (4)]';
const SHOPIFY_TIMEOUT_MS = 5_000;
const stripe = new Stripe('sk_test_not_a_real_key');

interface Sample {
  readonly ms: number;
  readonly status: number;
}

async function deliver(url: string, secret: string, id: string): Promise<Sample> {
  const payload = JSON.stringify({ id, object: 'event', type: 'payment_intent.succeeded', data: { object: { id: `pi_${id}`, amount: 2000, currency: 'eur' } } });
  const signature = stripe.webhooks.generateTestHeaderString({ payload, secret });
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body: payload });
  await response.arrayBuffer();
  return { ms: performance.now() - started, status: response.status };
}

await runScript(USAGE, async () => {
  const { values } = parseCommandLine({
    args: process.argv.slice(2),
    strict: true,
    allowPositionals: false,
    options: { runs: { type: 'string' }, deliveries: { type: 'string' }, concurrency: { type: 'string' } },
  });
  const runs = values.runs === undefined ? 3 : numberOption('--runs', values.runs, { integer: true, min: 1, max: 20 });
  const deliveries = values.deliveries === undefined ? 200 : numberOption('--deliveries', values.deliveries, { integer: true, min: 1, max: 100_000 });
  const concurrency = values.concurrency === undefined ? 4 : numberOption('--concurrency', values.concurrency, { integer: true, min: 1, max: 64 });

  const cold: Sample[] = [];
  const all: Sample[] = [];
  // Other programs on the cores (another test run, a synth) show up as latency: say how busy it was.
  const loadBefore = sampleLoad();
  for (let run = 1; run <= runs; run++) {
    const runtime = await startRuntime();
    try {
      const source = runtime.state.webhookSources?.find((candidate) => candidate.name === 'stripe');
      if (!source) throw new Error('The runtime lists no webhook source named stripe in its state file: is cdk.out synthesized from this sample?');
      const first = await deliver(source.url, source.signingSecret, `evt_bench_${run}_cold`);
      cold.push(first);
      all.push(first);
      let next = 0;
      const worker = async () => {
        while (next < deliveries) {
          const index = next++;
          // Every tenth delivery repeats an earlier event: a provider's retry, answered 200 from the record.
          const id = index % 10 === 9 ? `evt_bench_${run}_${index - 5}` : `evt_bench_${run}_${index}`;
          all.push(await deliver(source.url, source.signingSecret, id));
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      console.log(`run ${run}: first delivery ${ms(first.ms)} ms (${first.status}), ${deliveries} more at concurrency ${concurrency}`);
    } finally {
      await runtime.stop();
    }
  }

  const statuses = new Map<number, number>();
  for (const sample of all) statuses.set(sample.status, (statuses.get(sample.status) ?? 0) + 1);
  const summary = summarize(all.map((sample) => sample.ms));
  const coldSummary = summarize(cold.map((sample) => sample.ms));
  console.log('');
  console.log(
    markdownTable(
      ['deliveries', 'count', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
      [
        ['first after start (cold)', String(coldSummary.count), ms(coldSummary.p50), ms(coldSummary.p90), ms(coldSummary.p99), ms(coldSummary.max)],
        ['all, cold ones included', String(summary.count), ms(summary.p50), ms(summary.p90), ms(summary.p99), ms(summary.max)],
      ],
    ),
  );
  console.log(`\nstatuses: ${[...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status} × ${count}`).join(', ')}`);
  const loadAfter = sampleLoad();
  console.log(`load average before ${loadBefore.loadAverage.join(' ')}, after ${loadAfter.loadAverage.join(' ')} (${loadBefore.perCore > QUIET_LOAD_PER_CORE ? 'a busy' : 'a quiet'} machine at the start: above ${QUIET_LOAD_PER_CORE} per core is busy)`);
  const within = summary.p99 <= SHOPIFY_TIMEOUT_MS;
  console.log(`p99 ${ms(summary.p99)} ms ${within ? 'within' : 'OVER'} Shopify's ${SHOPIFY_TIMEOUT_MS} ms timeout`);
  const unexpected = all.filter((sample) => sample.status !== 200 && sample.status !== 202).length;
  return unexpected === 0 ? 0 : 1;
});
