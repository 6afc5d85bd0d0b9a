/**
 * The synchronous baseline of `npm run bench`: the API a team writes without a queue. One
 * request does what queueflow's order consumers do — the same validation, the same domain code,
 * the same ledger writes to the same DynamoDB table, the same simulated downstream latencies —
 * one after another, and answers only when all are done.
 *
 * Run as its own process (like the runtime), so it never shares an event loop with the load
 * generator; bench/run.ts passes the consumers it read from the assembly:
 *   node --import tsx bench/sync-baseline.ts --ledger-table T --path /orders --consumer email=300-800 --consumer inventory=20-80
 * with AWS_ENDPOINT_URL, AWS_REGION and credentials in the environment. Prints
 * `sync baseline listening <url>` when ready; exits 2 on bad usage.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { UsageError, parseCommandLine } from '../lib/shared/usage.ts';
import { createDynamoDbLedger } from '../sample/lambdas/adapters/ledger.ts';
import type { EffectLedger } from '../sample/lambdas/domain/effect-ledger.ts';
import type { LatencyRange } from '../sample/lambdas/env.ts';
import type { SampleEffect } from '../sample/lambdas/sample-consumer.ts';
import { OrderPlacedBody } from '../sample/events.ts';
import { ProblemError, problemResponse } from '../lambdas/shared/problem.ts';
import { readJsonObjectBody, requireJsonContentType } from '../lambdas/shared/request.ts';
import { simulateLatency } from '../sample/lambdas/simulated-latency.ts';
import { compileBodyValidator } from '../lambdas/shared/validation.ts';
import { parseLatencyRange } from './lib/latency.ts';
import { ORDER_EVENT_TYPE, SAMPLE_ORDER_EFFECTS } from './lib/sample-domain.ts';
import { runScript } from './lib/script.ts';

const USAGE = 'Usage: node --import tsx bench/sync-baseline.ts --ledger-table <name> --path <route> --consumer <name>=<min-max ms> [--consumer …]';

interface Baseline {
  readonly path: string;
  /** In series, as a naive synchronous API calls its downstreams. */
  readonly steps: readonly { readonly consumer: string; readonly latency: LatencyRange; readonly perform: SampleEffect }[];
  readonly ledger: EffectLedger;
}

/** @throws {UsageError} */
const configure = (argv: readonly string[]): Baseline => {
  const { values } = parseCommandLine({
    args: [...argv],
    options: {
      'ledger-table': { type: 'string' },
      path: { type: 'string', default: '/orders' },
      consumer: { type: 'string', multiple: true, default: [] },
    },
  });
  const ledgerTable = values['ledger-table'];
  if (!ledgerTable) throw new UsageError('--ledger-table is required');
  const steps = values.consumer.map((spec) => {
    const [consumer = '', range = ''] = spec.split('=');
    const effect = SAMPLE_ORDER_EFFECTS[consumer];
    if (effect === undefined) throw new UsageError(`--consumer ${spec}: the sample has no order effect for "${consumer}"`);
    return { consumer, latency: parseLatencyRange(range), perform: effect.perform };
  });
  if (steps.length === 0) throw new UsageError('name at least one --consumer <name>=<min-max ms>');
  return { path: values.path, steps, ledger: createDynamoDbLedger(ledgerTable) };
};

const validate = compileBodyValidator(z.toJSONSchema(OrderPlacedBody, { target: 'draft-4' }));

const readBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const placeOrder = async (baseline: Baseline, headers: Record<string, string | undefined>, text: string): Promise<{ eventId: string }> => {
  requireJsonContentType({ headers });
  const body = readJsonObjectBody({ body: text, isBase64Encoded: false });
  const validation = validate(body);
  if (!validation.valid) {
    throw new ProblemError(400, 'validation-failed', 'The body does not match the event schema.', { errors: validation.errors });
  }
  const eventId = uuidv7();
  for (const step of baseline.steps) {
    await simulateLatency(step.latency);
    await step.perform({ consumer: step.consumer, eventId, eventType: ORDER_EVENT_TYPE, data: body }, baseline.ledger);
  }
  return { eventId };
};

const serve = (baseline: Baseline): void => {
  const server = createServer((request, response) => {
    if (request.method !== 'POST' || request.url !== baseline.path) {
      response.writeHead(404).end();
      return;
    }
    readBody(request)
      .then((text) => placeOrder(baseline, request.headers as Record<string, string | undefined>, text))
      .then(
        (result) => response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(result)),
        (error: unknown) => {
          const problem =
            error instanceof ProblemError ? error : new ProblemError(500, 'internal-error', 'The request could not be processed.', { cause: error });
          const answer = problemResponse(problem);
          response.writeHead(answer.statusCode, answer.headers as Record<string, string>).end(answer.body);
        },
      );
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => {
    console.log(`sync baseline listening http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
};

await runScript(USAGE, async () => {
  serve(configure(process.argv.slice(2)));
  return 0;
});
