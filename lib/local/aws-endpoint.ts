import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './intrinsics.ts';
import { listen } from './listen.ts';
import { InvalidOutageRequestError, parseOutageRequest, sendServiceUnavailable, TableOutages, tablesNamedIn, type OutageRequest } from './outages.ts';
import { endpointRefusal } from './request-guard.ts';
import { CONTROL_PREFIX, type LambdaStats, type RequestStats } from './services.ts';
import { getSecretValue } from './secrets.ts';
import { answerSqsQuery, isSqsAction, queryErrorDocument, type JsonCall } from './sqs-query-protocol.ts';

export interface AwsEndpointOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  /** Folder for persisted state (fauxqs SQLite, dynalite LevelDB); in-memory when omitted. */
  readonly dataDir?: string;
  /** Lambda invocation counts for the stats route, since the Lambda host started. */
  readonly lambdaStats: () => Promise<LambdaStats>;
}

export interface AwsEndpoint {
  readonly port: number;
  stats(): Promise<RequestStats>;
  /** Resets the counts and answers the stats after the reset. */
  resetStats(): Promise<RequestStats>;
  /** Closes the server, then fauxqs and dynalite, which flush what they persist. */
  close(): Promise<void>;
}

const OUTAGES_PATH = `${CONTROL_PREFIX}outages`;

// dynalite's own limit (MAX_REQUEST_BYTES in its index.js), for the requests read during an outage.
const DYNAMODB_MAX_REQUEST_BYTES = 16 * 1024 * 1024;
const CONTROL_MAX_REQUEST_BYTES = 64 * 1024;
// fauxqs's own body limit (bodyLimit in its buildApp), for the query-protocol requests read here.
const QUERY_MAX_REQUEST_BYTES = 11 * 1024 * 1024;

// SQS actions whose response carries queue URLs: fauxqs forms them from the Host header of the
// request that created the queue (and persists them), so after a restart on another port they
// would point at a dead port. Rewriting keeps every URL the runtime hands out on the endpoint.
const QUEUE_URL_ACTIONS = new Set(['CreateQueue', 'GetQueueUrl', 'ListQueues', 'ListDeadLetterSourceQueues']);
const FOREIGN_QUEUE_URL = new RegExp(`https?://[^/"<\\s]+/${LOCAL_ACCOUNT_ID}/`, 'g');

/**
 * Starts fauxqs (SNS, SQS) and dynalite (DynamoDB) on this thread behind one AWS-compatible
 * endpoint on 127.0.0.1. The runtime runs it in a worker of its own (services.ts), off the event
 * loop of the API gateway, the poller and the Lambda host. Requests are dispatched in-process by
 * the protocol they speak (`awsRouteOf`): DynamoDB's to dynalite; SQS's JSON protocol and SNS's query protocol to fauxqs;
 * SQS's query protocol through the translator in sqs-query-protocol.ts to fauxqs's JSON one;
 * Secrets Manager's `GetSecretValue` from the data folder's secrets.json (secrets.ts). So
 * there is no proxy hop and no second listening socket. Requests from web pages and to fauxqs's
 * other routes (S3, `/_fauxqs`) are refused (request-guard.ts).
 *
 * @example
 * const endpoint = await startAwsEndpoint({ port: 4566, dataDir: '.queueflow/data', lambdaStats: async () => ({}) });
 * new SQSClient({ endpoint: `http://127.0.0.1:${endpoint.port}`, region: 'us-east-1', credentials });
 */
export async function startAwsEndpoint(options: AwsEndpointOptions): Promise<AwsEndpoint> {
  let lambdaBaseline: LambdaStats = {};
  const requests: RequestStats['requests'] = { sns: {}, sqs: {}, dynamodb: {}, sts: {}, secretsmanager: {} };
  const outages = new TableOutages();
  const refused: RequestStats['outages'] = {};
  const count = (service: keyof RequestStats['requests'], action: string) => {
    requests[service][action] = (requests[service][action] ?? 0) + 1;
  };

  // fauxqs is never told to listen: its app is driven in-process from the endpoint's server below.
  // Its fixes (release with visibility 0 under persistence, counts on GetQueueAttributes, atomic
  // receives, DLQ moves and fan-outs, buildApp with persistence) are patches/fauxqs+2.4.1.patch.
  const fauxqs = buildApp({
    logger: false,
    defaultRegion: LOCAL_REGION,
    ...(options.dataDir === undefined
      ? {}
      : {
          dataDir: join(options.dataDir, 'fauxqs'),
          // fauxqs writes through on every send, receive and delete, on the thread that also runs
          // dynalite; WAL's default synchronous=FULL fsyncs each of those
          // commits and dominated the 202's latency. In WAL mode NORMAL still survives a process
          // crash (kill -9: the committed WAL is in the OS page cache); only an OS crash or power
          // loss can drop the last commits, which a local development runtime accepts.
          sqliteSynchronous: 'NORMAL' as const,
        }),
  });
  let endpoint = '';
  fauxqs.addHook('preHandler', async (request) => {
    const target = request.headers['x-amz-target'];
    if (typeof target === 'string' && target.startsWith('AmazonSQS.')) {
      count('sqs', target.slice('AmazonSQS.'.length));
    } else if (request.method === 'POST' && request.body && typeof request.body === 'object' && 'Action' in request.body) {
      const action = String((request.body as { Action: unknown }).Action);
      count(action === 'GetCallerIdentity' ? 'sts' : 'sns', action);
    }
  });
  fauxqs.addHook('onSend', async (request, _reply, payload) => {
    const target = request.headers['x-amz-target'];
    if (typeof target === 'string' && typeof payload === 'string' && QUEUE_URL_ACTIONS.has(target.slice('AmazonSQS.'.length))) {
      return payload.replace(FOREIGN_QUEUE_URL, `${endpoint}/${LOCAL_ACCOUNT_ID}/`);
    }
    return payload;
  });
  await fauxqs.ready();

  if (options.dataDir !== undefined) mkdirSync(join(options.dataDir, 'dynamodb'), { recursive: true });
  // createTableMs 0: a new table turns ACTIVE on the next timer tick, not in CreateTable's answer;
  // provisioning waits for it.
  const dynamo = dynalite({
    ...(options.dataDir === undefined ? {} : { path: join(options.dataDir, 'dynamodb') }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  // dynalite is driven in-process; it listens (on a loopback port nobody is told about) because
  // its close() — which flushes and closes LevelDB — requires a listening server. The outage
  // route asks it there whether a table exists, so the question is neither counted nor refused.
  const dynamoPort = await listen(dynamo, 0, '--aws-port');
  const dynaliteClient = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${dynamoPort}`,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });

  const server = createServer((request, response) => {
    const refusal = endpointRefusal(request.headers);
    if (refusal) return refuse(request, response, refusal);
    if (request.url?.startsWith(CONTROL_PREFIX)) return control(request, response);
    const route = awsRouteOf(request);
    if (route === 'dynamodb') {
      const target = request.headers['x-amz-target'] as string;
      count('dynamodb', target.slice(target.indexOf('.') + 1));
      // Finding the tables a request names means reading its body first; only while a table is
      // down, so otherwise the request streams on to dynalite as it arrives.
      if (outages.active()) dispatchDuringOutage(request, response);
      else dynamo.emit('request', request, response);
      return;
    }
    if (route === 'fauxqs') return fauxqs.routing(request, response);
    if (route === 'secretsmanager') return dispatchSecretsManager(request, response);
    if (route === 'query') return dispatchQuery(request, response);
    // fauxqs also serves S3 and /_fauxqs/* inspection routes (message bodies, receipt handles):
    // neither is part of what this endpoint emulates, so only the routes above reach it.
    sendXml(response, 404, queryErrorDocument(404, 'NotFound', `This endpoint serves SQS, SNS, DynamoDB and Secrets Manager (GetSecretValue) API requests; it has no route ${request.method} ${request.url?.split('?')[0]}.`));
  });
  // SDK clients keep connections alive; a longer server timeout avoids races on reused sockets.
  server.keepAliveTimeout = 65_000;
  let port: number;
  try {
    port = await listen(server, options.port, '--aws-port');
  } catch (error) {
    // Closed here, not left to the worker's end: dynalite's LevelDB lock and fauxqs's database.
    await closeEmulators();
    throw error;
  }
  endpoint = `http://127.0.0.1:${port}`;

  async function closeEmulators(): Promise<void> {
    await fauxqs.close();
    dynaliteClient.destroy();
    await new Promise<void>((resolve, reject) => dynamo.close((error) => (error ? reject(error) : resolve())));
  }

  // The Lambda counts live in the main thread: each snapshot asks for them.
  const snapshot = async (): Promise<RequestStats> => {
    const lambda = await options.lambdaStats();
    return { requests: structuredClone(requests), outages: structuredClone(refused), lambda: sinceBaseline(lambda) };
  };
  const sinceBaseline = (lambda: LambdaStats): LambdaStats =>
    Object.fromEntries(
      Object.entries(lambda).map(([name, value]) => [
        name,
        {
          invocations: value.invocations - (lambdaBaseline[name]?.invocations ?? 0),
          errors: value.errors - (lambdaBaseline[name]?.errors ?? 0),
        },
      ]),
    );
  const reset = async (): Promise<RequestStats> => {
    // Asked first, so that the counts of both threads are reset in the same turn.
    const lambda = await options.lambdaStats();
    for (const service of Object.values(requests)) for (const key of Object.keys(service)) delete service[key];
    for (const table of Object.keys(refused)) delete refused[table];
    lambdaBaseline = lambda;
    return snapshot();
  };

  function control(request: IncomingMessage, response: ServerResponse): void {
    const path = request.url!.split('?')[0];
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const sendStats = (stats: Promise<RequestStats>) =>
      stats.then(
        (body) => send(200, body),
        (error: Error) => send(500, { message: `Could not read the Lambda invocation counts: ${error.message}` }),
      );
    if (request.method === 'GET' && path === `${CONTROL_PREFIX}stats`) return void sendStats(snapshot());
    if (request.method === 'POST' && path === `${CONTROL_PREFIX}stats/reset`) return void sendStats(reset());
    if (request.method === 'GET' && path === `${CONTROL_PREFIX}health`) return send(200, { status: 'ok', region: LOCAL_REGION });
    if (request.method === 'GET' && path === OUTAGES_PATH) return send(200, { outages: outages.list() });
    if (request.method === 'POST' && path === OUTAGES_PATH) {
      startOutage(request).then(
        ([status, body]) => send(status, body),
        (error: Error) => send(500, { message: `Could not start the outage: ${error.message}` }),
      );
      return;
    }
    if (request.method === 'DELETE' && path === OUTAGES_PATH) return send(200, { ended: outages.end() });
    // Table names are [A-Za-z0-9_.-], which URLs carry unencoded.
    if (request.method === 'DELETE' && path.startsWith(`${OUTAGES_PATH}/`)) return send(200, { ended: outages.end(path.slice(OUTAGES_PATH.length + 1)) });
    send(404, { message: `No control route ${request.method} ${path}` });
  }

  async function startOutage(request: IncomingMessage): Promise<[status: number, body: unknown]> {
    const body = await readBody(request, CONTROL_MAX_REQUEST_BYTES);
    if (body === undefined) return [413, { message: `The outage request is over ${CONTROL_MAX_REQUEST_BYTES} bytes` }];
    let wanted: OutageRequest;
    try {
      wanted = parseOutageRequest(body.toString('utf8'));
    } catch (error) {
      if (error instanceof InvalidOutageRequestError) return [400, { message: error.message }];
      throw error;
    }
    try {
      await dynaliteClient.send(new DescribeTableCommand({ TableName: wanted.table }));
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return [404, { message: `No table ${wanted.table}` }];
      throw error;
    }
    return [200, outages.start(wanted.table, wanted.seconds)];
  }

  /** Calls SQS over the JSON protocol in-process, for the query protocol's translation. */
  const callSqs: JsonCall = async (action, input) => {
    const reply = await fauxqs.inject({
      method: 'POST',
      url: '/',
      headers: { host: new URL(endpoint).host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
      payload: JSON.stringify(input),
    });
    return { status: reply.statusCode, body: reply.body === '' ? {} : (JSON.parse(reply.body) as unknown) };
  };

  /**
   * A query-protocol request (form-encoded `Action=…`): SQS's goes to the translator, SNS's and
   * STS's to fauxqs. The body is read first, as the action is in it.
   */
  function dispatchQuery(request: IncomingMessage, response: ServerResponse): void {
    readBody(request, QUERY_MAX_REQUEST_BYTES).then(
      async (body) => {
        if (body === undefined) {
          return sendXml(response, 413, queryErrorDocument(413, 'RequestEntityTooLarge', `The request is over ${QUERY_MAX_REQUEST_BYTES} bytes.`));
        }
        const params = new URLSearchParams(body.toString('utf8'));
        const path = request.url!.split('?')[0]!;
        const queuePath = QUEUE_PATH.test(path);
        if (queuePath || signingService(request) === 'sqs' || isSqsAction(params.get('Action'))) {
          const reply = await answerSqsQuery(params, { call: callSqs, ...(queuePath ? { queueUrl: `${endpoint}${path}` } : {}) });
          return sendXml(response, reply.status, reply.body, reply.requestId);
        }
        const reply = await fauxqs.inject({ method: 'POST', url: '/', headers: request.headers, payload: body });
        const headers = Object.fromEntries(Object.entries(reply.headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())));
        response.writeHead(reply.statusCode, { ...headers, 'content-length': reply.rawPayload.length }).end(reply.rawPayload);
      },
      () => response.destroy(),
    ).catch(() => {
      if (response.headersSent) response.destroy();
      else sendXml(response, 500, queryErrorDocument(500, 'InternalFailure', 'The request could not be processed.'));
    });
  }

  /**
   * Secrets Manager's JSON protocol: `GetSecretValue` only, from `<data-dir>/secrets.json`
   * (secrets.ts), read on each call so that an edit of the file is a rotation.
   */
  function dispatchSecretsManager(request: IncomingMessage, response: ServerResponse): void {
    const target = request.headers['x-amz-target'] as string;
    const action = target.slice('secretsmanager.'.length);
    count('secretsmanager', action);
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
    };
    readBody(request, CONTROL_MAX_REQUEST_BYTES).then(
      (body) => {
        if (action !== 'GetSecretValue') return reply(400, { __type: 'InvalidRequestException', Message: `The local endpoint serves GetSecretValue only, not ${action}.` });
        let input: { SecretId?: unknown } = {};
        try {
          input = JSON.parse(body?.toString('utf8') ?? '{}') as { SecretId?: unknown };
        } catch {
          return reply(400, { __type: 'SerializationException', Message: 'The request body is not JSON.' });
        }
        const answer = getSecretValue(options.dataDir, input);
        reply(answer.status, answer.body);
      },
      () => response.destroy(),
    );
  }

  /** Refuses a DynamoDB request that names a table that is down; hands dynalite the others. */
  function dispatchDuringOutage(request: IncomingMessage, response: ServerResponse): void {
    readBody(request, DYNAMODB_MAX_REQUEST_BYTES).then(
      (body) => {
        if (body === undefined) return void response.writeHead(413).end();
        const down = outages.down(tablesNamedIn(body.toString('utf8')));
        if (down.length === 0) return void dynamo.emit('request', replay(request, body), response);
        for (const table of down) (refused[table] ??= { refused: 0 }).refused += 1;
        sendServiceUnavailable(response);
      },
      () => response.destroy(),
    );
  }

  return {
    port,
    stats: snapshot,
    resetStats: reset,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeEmulators();
    },
  };
}

// A queue URL's path, `/<account>/<queue>`: SQS's query protocol may post to it.
const QUEUE_PATH = /^\/\d{12}\/[\w-]{1,80}(?:\.fifo)?\/?$/;
const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/**
 * Which server answers an AWS request, by the protocol it speaks: DynamoDB's JSON (`X-Amz-Target:
 * DynamoDB_20120810.*`) → dynalite; SQS's JSON (`application/x-amz-json-1.0` to `/`) and SNS's or
 * STS's query protocol signed for `sns` or `sts` → fauxqs, streamed; any other form post to `/`
 * or to a queue URL → `query`, decided once its `Action` is read; anything else → no route.
 */
function awsRouteOf(request: IncomingMessage): 'dynamodb' | 'fauxqs' | 'query' | 'secretsmanager' | undefined {
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string' && target.startsWith('DynamoDB_')) return 'dynamodb';
  if (typeof target === 'string' && target.startsWith('secretsmanager.') && request.method === 'POST') return 'secretsmanager';
  if (request.method !== 'POST') return undefined;
  const path = request.url!.split('?')[0]!;
  const contentType = request.headers['content-type']?.split(';')[0]!.trim().toLowerCase();
  if (contentType === 'application/x-amz-json-1.0') return path === '/' ? 'fauxqs' : undefined;
  if (contentType !== FORM_CONTENT_TYPE) return undefined;
  if (path === '/' && ['sns', 'sts'].includes(signingService(request) ?? '')) return 'fauxqs';
  return path === '/' || QUEUE_PATH.test(path) ? 'query' : undefined;
}

/** The service a SigV4 `Authorization` header's credential scope names (`…/us-east-1/sqs/aws4_request`). */
function signingService(request: IncomingMessage): string | undefined {
  return /Credential=[^/,\s]+\/\d{8}\/[^/,\s]+\/([^/,\s]+)\/aws4_request/.exec(request.headers.authorization ?? '')?.[1];
}

/**
 * Answers a request the endpoint refuses (request-guard.ts) with 403, in the form its caller
 * reads: JSON on the control routes and to JSON-protocol clients, query XML to the others.
 */
function refuse(request: IncomingMessage, response: ServerResponse, message: string): void {
  if (request.url?.startsWith(CONTROL_PREFIX)) {
    response.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ message }));
  } else if (request.headers['x-amz-target'] !== undefined) {
    response.writeHead(403, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ __type: 'AccessDeniedException', message }));
  } else {
    sendXml(response, 403, queryErrorDocument(403, 'AccessDenied', message));
  }
}

function sendXml(response: ServerResponse, status: number, body: string, requestId?: string): void {
  response
    .writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body), ...(requestId === undefined ? {} : { 'x-amzn-requestid': requestId }) })
    .end(body);
}

/**
 * Reads a request body of at most `limit` bytes; `undefined` when it is longer (read to the end
 * all the same, so that a reply can follow).
 */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    request.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length <= limit) chunks.push(chunk);
    });
    request.on('end', () => resolve(length <= limit ? Buffer.concat(chunks, length) : undefined));
    request.on('error', reject);
  });
}

/**
 * The request again, with the body already read: dynalite's handler uses only the method, the
 * URL, the headers and the body's `data` and `end` events.
 */
function replay(request: IncomingMessage, body: Buffer): IncomingMessage {
  const copy = Object.assign(Readable.from([body]), { method: request.method, url: request.url, headers: request.headers });
  return copy as unknown as IncomingMessage;
}
