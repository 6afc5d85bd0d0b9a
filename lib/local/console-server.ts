/**
 * The local console: a small web app (plain HTML, CSS and JavaScript modules in ./console, no
 * build step) and its JSON API, served by the local runtime on 127.0.0.1:
 *
 * - the workflow map read from the template (routes → topic → subscriptions → queues and DLQs →
 *   functions) with live depths, in-flight counts and invocation rates, pushed as Server-Sent
 *   Events (`/api/live`) with the ids of traces that changed;
 * - the dead letters of each consumer, redrive (all or selected) and purge, run by the CLI's own
 *   commands (lib/cli dlq-peek, dlq-redrive, dlq-purge) against the runtime;
 * - event traces (trace-store.ts, trace-timeline.ts) and each invocation's function logs.
 *
 * Safety: it answers loopback Host names only and refuses requests browsers mark as sent by
 * another site (request-guard.ts); the actions (redrive, purge) also need the console token, which
 * is in the state file and in the console's own page, which no other site's page can read.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { peekEnvelopeIdentity } from '../../lambdas/shared/envelope.ts';
import { consumersFromOutputs, findConsumer } from '../cli/consumers.ts';
import { deadLetterQueue, peekDeadLetters, queueCounts } from '../cli/dead-letters.ts';
import { MAX_PEEK_LIMIT, dlqPeek } from '../cli/dlq-peek.ts';
import { dlqPurge } from '../cli/dlq-purge.ts';
import { dlqRedrive } from '../cli/dlq-redrive.ts';
import { CliError, UsageError } from '../cli/errors.ts';
import type { CliIo } from '../cli/io.ts';
import type { Target } from '../cli/target.ts';
import { functionLabel } from './invocation-log.ts';
import { listen } from './listen.ts';
import type { LocalModel } from './model.ts';
import { consoleRefusal } from './request-guard.ts';
import type { LambdaStats } from './services.ts';
import type { TraceObserver } from './trace-events.ts';
import type { TraceStore } from './trace-store.ts';
import { buildTrace, type Trace, type TraceSubscription } from './trace-timeline.ts';

/** The console's port unless `--console-port` says otherwise. */
export const DEFAULT_CONSOLE_PORT = 4567;
/** The header that carries the console token on actions. */
export const CONSOLE_TOKEN_HEADER = 'x-queueflow-console-token';
/** How often live stats are pushed while a page listens. */
const LIVE_INTERVAL_MS = 1_000;
const TRACES_PUSH_MS = 250;
const MAX_ACTION_BODY_BYTES = 64 * 1024;
const ASSETS = new URL('./console/', import.meta.url);
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

export interface ConsoleServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly store: TraceStore;
  readonly model: () => LocalModel;
  /** The runtime as the CLI's commands see it (lib/cli/target.ts localTargetOf). */
  readonly target: Target;
  readonly sqs: SQSClient;
  readonly lambdaStats: () => LambdaStats;
  /** Told of redrives made from the console. */
  readonly observe: TraceObserver;
  /** @default a new random token */
  readonly token?: string;
}

export interface ConsoleServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly token: string;
  /** The console link of one event's trace. */
  traceUrl(eventId: string): string;
  close(): Promise<void>;
}

/** An API error, answered as application/problem+json. */
class ProblemError extends Error {
  readonly status: number;
  readonly title: string;
  /** What a failed CLI command had written to stdout (a redrive's report). */
  readonly stdout: string;

  constructor(status: number, title: string, detail: string, options?: ErrorOptions, stdout = '') {
    super(detail, options);
    this.name = 'ProblemError';
    this.status = status;
    this.title = title;
    this.stdout = stdout;
  }
}

/** The link to one event's trace in the console at `consoleUrl`. */
export function traceLink(consoleUrl: string, eventId: string): string {
  return `${consoleUrl}#/trace/${encodeURIComponent(eventId)}`;
}

/** The subscriptions of the model as traces name them: consumer names, queue and DLQ names. */
export function traceSubscriptions(model: LocalModel): TraceSubscription[] {
  const queueByArn = new Map(model.queues.map((queue) => [queue.arn, queue]));
  return model.subscriptions.flatMap((subscription) => {
    const queue = queueByArn.get(subscription.queueArn);
    const topic = model.topics.find((t) => t.arn === subscription.topicArn);
    if (!queue || !topic) return [];
    const mapping = model.eventSourceMappings.find((m) => m.queueArn === queue.arn);
    const fn = mapping && model.functions.find((f) => f.logicalId === mapping.functionLogicalId);
    const dlqArn = queue.attributes.RedrivePolicy ? (JSON.parse(queue.attributes.RedrivePolicy) as { deadLetterTargetArn?: string }).deadLetterTargetArn : undefined;
    const dlq = dlqArn === undefined ? undefined : queueByArn.get(dlqArn);
    return [
      {
        topicName: topic.name,
        queueArn: queue.arn,
        queueName: queue.name,
        ...(dlq ? { dlqName: dlq.name } : {}),
        consumer: fn ? functionLabel(fn, model.stackNames) : queue.name,
        ...(subscription.filterPolicy === undefined ? {} : { filterPolicy: subscription.filterPolicy }),
        ...(subscription.filterPolicyScope === undefined ? {} : { filterPolicyScope: subscription.filterPolicyScope }),
      },
    ];
  });
}

/**
 * Starts the console on 127.0.0.1.
 *
 * @example
 * const console = await startConsoleServer({ port: 0, store, model: () => model, target, sqs, lambdaStats: () => host.stats(), observe: store.record });
 * console.traceUrl(eventId); // http://127.0.0.1:…/#/trace/<eventId>
 */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const assets = new Map(readdirSync(ASSETS).filter((name) => CONTENT_TYPES[extname(name)]).map((name) => [name, readFileSync(new URL(name, ASSETS))]));
  const live = new Set<ServerResponse>();
  let url = '';

  const send = (res: ServerResponse, status: number, contentType: string, body: string | Buffer, headers: Record<string, string> = {}) => {
    res.writeHead(status, { ...SECURITY_HEADERS, ...headers, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  const json = (res: ServerResponse, value: unknown, status = 200) => send(res, status, 'application/json', JSON.stringify(value));
  const problem = (res: ServerResponse, status: number, title: string, detail: string) =>
    send(res, status, 'application/problem+json', JSON.stringify({ type: 'about:blank', title, status, detail }));

  const trace = (eventId: string): Trace | undefined => buildTrace(eventId, options.store.eventsOf(eventId), traceSubscriptions(options.model()));

  // Live stats: queue depths from SQS, invocation rates from the host's counts since the last push.
  let previous: { at: number; stats: LambdaStats } | undefined;
  // Only the periodic push moves the rate window: a page loading in between must not shorten it.
  const snapshot = async (advance = false) => {
    const model = options.model();
    const counts = await Promise.all(model.queues.map(async (queue) => [queue.name, await queueCounts(options.sqs, queue.url).catch(() => undefined)] as const));
    const now = Date.now();
    const stats = options.lambdaStats();
    const seconds = previous ? Math.max(0.001, (now - previous.at) / 1000) : undefined;
    const functions = Object.fromEntries(
      Object.entries(stats).map(([name, { invocations, errors }]) => {
        const before = previous?.stats[name];
        const rate = seconds === undefined || before === undefined ? 0 : (invocations - before.invocations) / seconds;
        return [name, { invocations, errors, perSecond: Math.round(rate * 10) / 10 }];
      }),
    );
    if (advance || previous === undefined) previous = { at: now, stats };
    return { at: now, queues: Object.fromEntries(counts.flatMap(([name, count]) => (count ? [[name, count]] : []))), functions };
  };
  const push = (event: string, data: unknown) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of live) res.write(frame);
  };
  let ticking = false;
  const timer = setInterval(() => {
    if (live.size === 0 || ticking) return;
    ticking = true;
    snapshot(true)
      .then((stats) => push('stats', stats), () => undefined)
      .finally(() => (ticking = false));
  }, LIVE_INTERVAL_MS);
  timer.unref();
  // Changed traces, pushed at most every TRACES_PUSH_MS: under load the store commits every tick.
  const changed = new Set<string>();
  let changedTimer: NodeJS.Timeout | undefined;
  const unsubscribe = options.store.onChange((eventIds) => {
    if (live.size === 0) return;
    for (const eventId of eventIds) changed.add(eventId);
    changedTimer ??= setTimeout(() => {
      changedTimer = undefined;
      push('traces', { eventIds: [...changed] });
      changed.clear();
    }, TRACES_PUSH_MS);
  });

  const workflowMap = (model: LocalModel) => {
    const fnLabel = (logicalId: string) => {
      const fn = model.functions.find((f) => f.logicalId === logicalId);
      // The topics a function publishes to: those its environment names (the producer's TOPIC_ARN).
      const topics = model.topics.filter((topic) => Object.values(fn?.environment ?? {}).includes(topic.arn)).map((topic) => topic.name);
      return fn ? { name: fn.name, label: functionLabel(fn, model.stackNames), topics } : { name: logicalId, label: logicalId, topics };
    };
    const consumers = consumersFromOutputs(model.outputs);
    const subscriptions = traceSubscriptions(model);
    return {
      stackNames: model.stackNames,
      routes: (model.api?.routes ?? []).map((route) => ({ method: route.method, path: route.resourcePath, function: fnLabel(route.functionLogicalId), apiKeyRequired: route.apiKeyRequired })),
      topics: model.topics.map((topic) => ({
        name: topic.name,
        subscriptions: subscriptions
          .filter((subscription) => subscription.topicName === topic.name)
          .map((subscription) => {
            const queue = model.queues.find((q) => q.arn === subscription.queueArn)!;
            const mapping = model.eventSourceMappings.find((m) => m.queueArn === queue.arn);
            return {
              consumer: consumers.find((c) => c.queueUrl === queue.url)?.name ?? subscription.consumer,
              label: subscription.consumer,
              queue: subscription.queueName,
              dlq: subscription.dlqName ?? null,
              filterPolicy: subscription.filterPolicy ?? null,
              function: mapping ? fnLabel(mapping.functionLogicalId) : null,
            };
          }),
      })),
      consumers: consumers.map((consumer) => consumer.name),
    };
  };

  /** Runs one of the CLI's dlq commands against the runtime and answers what it wrote. */
  const runCommand = async (command: (io: CliIo) => Promise<unknown>) => {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      stdinIsTTY: false,
      confirm: async () => false,
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    };
    try {
      await command(io);
    } catch (error) {
      const status = error instanceof UsageError ? 404 : error instanceof CliError ? 409 : 500;
      throw new ProblemError(status, status === 404 ? 'Not found' : 'Command failed', (error as Error).message, { cause: error }, stdout);
    }
    return { stdout, stderr };
  };

  const authorize = (req: IncomingMessage) => {
    const given = req.headers[CONSOLE_TOKEN_HEADER];
    const expected = Buffer.from(token);
    if (typeof given !== 'string' || given.length !== token.length || !timingSafeEqual(Buffer.from(given), expected)) {
      throw new ProblemError(403, 'Forbidden', `Actions need the console token in the ${CONSOLE_TOKEN_HEADER} header (consoleToken in .queueflow/local.json).`);
    }
    if (req.headers['content-type']?.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
      throw new ProblemError(415, 'Unsupported Media Type', 'Actions take an application/json body.');
    }
  };

  const readJson = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_ACTION_BODY_BYTES) throw new ProblemError(413, 'Payload Too Large', `An action body is at most ${MAX_ACTION_BODY_BYTES} bytes.`);
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') return {};
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ProblemError(400, 'Bad Request', 'The body is not valid JSON.');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ProblemError(400, 'Bad Request', 'The body must be a JSON object.');
    return body as Record<string, unknown>;
  };

  const consumerOf = (name: string) => {
    try {
      return findConsumer(options.model().outputs, name);
    } catch (error) {
      throw new ProblemError(404, 'Not found', (error as Error).message, { cause: error });
    }
  };

  const redrive = async (consumerName: string, body: Record<string, unknown>) => {
    const consumer = consumerOf(consumerName);
    const eventIds = body.eventIds ?? [];
    if (!Array.isArray(eventIds) || !eventIds.every((id) => typeof id === 'string' && id.length > 0 && id.length <= 128)) {
      throw new ProblemError(400, 'Bad Request', 'eventIds must be a list of event ids (strings of 1 to 128 characters), or absent for the whole DLQ.');
    }
    // Which events a redrive of the whole DLQ moves, for their traces: the letters peek shows.
    const moving =
      eventIds.length > 0
        ? (eventIds as string[])
        : (await peekDeadLetters(deadLetterQueue(options.target, consumer), MAX_PEEK_LIMIT)).flatMap((letter) => peekEnvelopeIdentity(letter.body).eventId ?? []);
    // The trace's redrive step comes before the deliveries it causes.
    const startedAt = Date.now();
    let stdout = '';
    try {
      ({ stdout } = await runCommand((io) => dlqRedrive(options.target, io, { consumer: consumer.name, eventIds: eventIds as string[], yes: true, json: true })));
      return JSON.parse(stdout) as { moved: number; notFound: string[] };
    } catch (error) {
      // An incomplete redrive still reported what it did (its JSON), then failed.
      stdout = error instanceof ProblemError ? error.stdout : '';
      throw error;
    } finally {
      // Without the command's report nothing is known to have moved.
      const report = stdout === '' ? undefined : (JSON.parse(stdout) as { notFound?: string[] });
      const notFound = new Set(report?.notFound ?? []);
      if (report) for (const eventId of moving) if (!notFound.has(eventId)) options.observe({ kind: 'redrive', at: startedAt, eventId, consumer: consumer.name });
    }
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refusal = consoleRefusal(req.headers);
    if (refusal) return problem(res, 403, 'Forbidden', refusal);
    const { pathname, searchParams } = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const parts = pathname.split('/').filter(Boolean).map((part) => {
      try {
        return decodeURIComponent(part);
      } catch (error) {
        throw new ProblemError(400, 'Bad Request', `The path ${pathname} is not validly percent-encoded.`, { cause: error });
      }
    });

    if (method === 'GET' && (pathname === '/' || pathname === '/index.html')) {
      const page = assets.get('index.html')!.toString('utf8').replace('__CONSOLE_TOKEN__', token);
      return send(res, 200, CONTENT_TYPES['.html']!, page);
    }
    if (method === 'GET' && parts.length === 1 && assets.has(parts[0]!)) {
      return send(res, 200, CONTENT_TYPES[extname(parts[0]!)]!, assets.get(parts[0]!)!);
    }
    if (parts[0] !== 'api') throw new ProblemError(404, 'Not found', `No console page at ${pathname}.`);
    const [, resource, id, action] = parts;

    if (method === 'GET' && resource === 'live' && id === undefined) {
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
      res.write(': live\n\n');
      live.add(res);
      res.once('close', () => live.delete(res));
      push('stats', await snapshot());
      return;
    }
    if (method === 'GET' && resource === 'map' && id === undefined) return json(res, { ...workflowMap(options.model()), stats: await snapshot() });
    if (method === 'GET' && resource === 'traces' && id === undefined) return json(res, { traces: options.store.search(searchParams.get('q') ?? '') });
    if (method === 'GET' && resource === 'traces' && id !== undefined && action === undefined) {
      const found = trace(id);
      if (!found) throw new ProblemError(404, 'Not found', `No trace of event ${id}: the runtime has not seen it, or it is older than the trace store keeps.`);
      return json(res, { ...found, link: traceLink(url, id) });
    }
    if (method === 'GET' && resource === 'invocations' && id !== undefined && action === undefined) {
      const invocation = options.store.invocation(id);
      if (!invocation) throw new ProblemError(404, 'Not found', `No recorded invocation with request id ${id}.`);
      return json(res, invocation);
    }
    if (resource === 'dead-letters' && id !== undefined) {
      const consumer = consumerOf(id);
      if (method === 'GET' && action === undefined) {
        const limit = Number(searchParams.get('limit') ?? 20);
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PEEK_LIMIT) throw new ProblemError(400, 'Bad Request', `limit must be an integer from 1 to ${MAX_PEEK_LIMIT}.`);
        const { stdout } = await runCommand((io) => dlqPeek(options.target, io, { consumer: consumer.name, limit, json: true }));
        const peeked = stdout === '' ? { consumer: consumer.name, deadLetters: [] } : JSON.parse(stdout);
        return json(res, { ...peeked, counts: await queueCounts(options.sqs, consumer.dlqUrl) });
      }
      if (method === 'POST' && (action === 'redrive' || action === 'purge')) {
        authorize(req);
        const body = await readJson(req);
        if (action === 'redrive') return json(res, await redrive(consumer.name, body));
        const { stdout, stderr } = await runCommand((io) => dlqPurge(options.target, io, { consumer: consumer.name, yes: true }));
        return json(res, { consumer: consumer.name, message: (stdout || stderr).trim() });
      }
    }
    if (resource === 'dead-letters' && method === 'GET' && id === undefined) {
      const consumers = consumersFromOutputs(options.model().outputs);
      const counts = await Promise.all(consumers.map(async (consumer) => ({ consumer: consumer.name, ...(await queueCounts(options.sqs, consumer.dlqUrl)) })));
      return json(res, { consumers: counts });
    }
    throw new ProblemError(404, 'Not found', `No console API ${method} ${pathname}.`);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (error instanceof ProblemError) return problem(res, error.status, error.title, error.message);
      problem(res, 500, 'Internal error', `The console failed: ${(error as Error).message}`);
    });
  });
  url = `http://127.0.0.1:${await listen(server, options.port, '--console-port')}/`;
  return {
    url,
    token,
    traceUrl: (eventId) => traceLink(url, eventId),
    async close() {
      clearInterval(timer);
      clearTimeout(changedTimer);
      unsubscribe();
      for (const res of live) res.end();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
