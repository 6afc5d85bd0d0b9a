/**
 * The synchronous baseline of `npm run bench`: the API a team writes without a queue. One
 * request does what queueflow's three consumers do — the same validation, the same domain code,
 * the same ledger writes to the same DynamoDB table, the same simulated downstream latencies —
 * one after another, and answers only when all are done.
 *
 * Run as its own process (like the runtime), so it never shares an event loop with the load
 * generator:
 *   node --import tsx bench/sync-baseline.ts --ledger-table T --email 300-800 --sms 100-300 --inventory 20-80
 * with AWS_ENDPOINT_URL, AWS_REGION and credentials in the environment. Prints
 * `sync baseline listening <url>` when ready.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { createDynamoDbLedger } from '../sample/lambdas/adapters/ledger.ts';
import { reserveStock } from '../sample/lambdas/domain/inventory.ts';
import { notify } from '../sample/lambdas/domain/notifications.ts';
import type { SampleEvent } from '../sample/lambdas/domain/sample-event.ts';
import { EventTypes, OrderPlacedBody } from '../sample/events.ts';
import { ProblemError, problemResponse } from '../lambdas/shared/problem.ts';
import { readJsonObjectBody, requireJsonContentType } from '../lambdas/shared/request.ts';
import { simulateLatency } from '../sample/lambdas/simulated-latency.ts';
import { compileBodyValidator } from '../lambdas/shared/validation.ts';
import { parseLatencyRange } from './lib/latency.ts';

const { values } = parseArgs({
  options: {
    'ledger-table': { type: 'string' },
    email: { type: 'string', default: '300-800' },
    sms: { type: 'string', default: '100-300' },
    inventory: { type: 'string', default: '20-80' },
  },
});
if (!values['ledger-table']) throw new RangeError('--ledger-table is required');

const ledger = createDynamoDbLedger(values['ledger-table']);
const validate = compileBodyValidator(z.toJSONSchema(OrderPlacedBody, { target: 'draft-4' }));
// In series, as a naive synchronous API calls its downstreams.
const steps = [
  { consumer: 'email', latency: parseLatencyRange(values.email), perform: (event: SampleEvent) => notify('email', event, ledger) },
  { consumer: 'sms', latency: parseLatencyRange(values.sms), perform: (event: SampleEvent) => notify('sms', event, ledger) },
  { consumer: 'inventory', latency: parseLatencyRange(values.inventory), perform: (event: SampleEvent) => reserveStock(event, ledger) },
];

const readBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const placeOrder = async (headers: Record<string, string | undefined>, text: string): Promise<{ eventId: string }> => {
  requireJsonContentType({ headers });
  const body = readJsonObjectBody({ body: text, isBase64Encoded: false });
  const validation = validate(body);
  if (!validation.valid) {
    throw new ProblemError(400, 'validation-failed', 'The body does not match the event schema.', { errors: validation.errors });
  }
  const eventId = uuidv7();
  for (const step of steps) {
    await simulateLatency(step.latency);
    await step.perform({ consumer: step.consumer, eventId, eventType: EventTypes.OrderPlaced, data: body });
  }
  return { eventId };
};

const server = createServer((request, response) => {
  if (request.method !== 'POST' || request.url !== '/orders') {
    response.writeHead(404).end();
    return;
  }
  readBody(request)
    .then((text) => placeOrder(request.headers as Record<string, string | undefined>, text))
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
