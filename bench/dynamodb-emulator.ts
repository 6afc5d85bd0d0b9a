/**
 * What one DynamoDB request costs the local runtime's DynamoDB emulator (dynalite), on its own
 * thread, with its LevelDB store (what `queueflow local` runs) and with its in-memory store, for
 * docs/performance.md ("Where the runtime's CPU goes"). The emulator runs in a child process of
 * its own; this process is the client, 20 concurrent sequences of the idempotency pattern
 * (a conditional PutItem, an UpdateItem, a consistent GetItem) over keep-alive HTTP with fixed
 * headers, so the figure is the server's CPU time per request (`process.cpuUsage` of the child)
 * and nothing of an SDK client. The two stores alternate, run by run, so a change in the
 * machine's load touches both alike; the load average is printed before and after.
 *
 * Usage: npm run bench:dynamodb [-- --runs <n> --sequences <n>]   (defaults 3 runs, 2000 sequences)
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dynalite from 'dynalite';
import { listen } from '../lib/local/listen.ts';
import { numberOption, parseCommandLine } from '../lib/shared/usage.ts';
import { sampleLoad } from './lib/machine-load.ts';
import { runScript } from './lib/script.ts';
import { markdownTable, median } from './lib/summary.ts';

const USAGE = 'Usage: npm run bench:dynamodb [-- --runs <n> --sequences <n>]   (defaults 3 runs, 2000 sequences)';
const STORES = ['LevelDB', 'memory'] as const;
type Store = (typeof STORES)[number];
const CONCURRENCY = 20;
const TABLE = 'bench-idempotency';

/** The child: dynalite on a loopback port; answers its CPU usage when asked. */
async function serve(store: Store): Promise<void> {
  const folder = store === 'LevelDB' ? mkdtempSync(join(tmpdir(), 'queueflow-dynalite-')) : undefined;
  const server = dynalite({ ...(folder ? { path: folder } : {}), createTableMs: 0 });
  const port = await listen(server, 0, '--port');
  process.on('message', (message) => {
    if (message === 'cpu') process.send!(process.cpuUsage());
    if (message === 'stop') server.close(() => (folder && rmSync(folder, { recursive: true, force: true }), process.exit(0)));
  });
  process.send!({ port });
}

async function measure(store: Store, sequences: number): Promise<number> {
  const child = fork(new URL(import.meta.url).pathname, ['--serve', store], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) => child.once('message', (message) => resolve((message as { port: number }).port)));
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const call = (action: string, body: unknown) =>
    new Promise<string>((resolve, reject) => {
      const data = JSON.stringify(body);
      const headers = {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `DynamoDB_20120810.${action}`,
        authorization: 'AWS4-HMAC-SHA256 Credential=test/20261201/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0',
        'x-amz-date': '20261201T000000Z',
        'content-length': Buffer.byteLength(data),
      };
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk));
        res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${action}: ${res.statusCode} ${text}`))));
      });
      req.on('error', reject);
      req.end(data);
    });
  await call('CreateTable', { TableName: TABLE, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } });
  while ((JSON.parse(await call('DescribeTable', { TableName: TABLE })) as { Table: { TableStatus: string } }).Table.TableStatus !== 'ACTIVE') await new Promise((resolve) => setTimeout(resolve, 10));
  // Powertools idempotency's pattern: claim the key, complete it, read it back.
  const sequence = async (i: number) => {
    const id = { S: `key-${i}-${Math.random()}` };
    await call('PutItem', { TableName: TABLE, Item: { id, status: { S: 'INPROGRESS' }, expiration: { N: '9999999999' } }, ConditionExpression: 'attribute_not_exists(#id) OR #expiry < :now', ExpressionAttributeNames: { '#id': 'id', '#expiry': 'expiration' }, ExpressionAttributeValues: { ':now': { N: '1' } } });
    await call('UpdateItem', { TableName: TABLE, Key: { id }, UpdateExpression: 'SET #status = :status, #data = :data', ExpressionAttributeNames: { '#status': 'status', '#data': 'data' }, ExpressionAttributeValues: { ':status': { S: 'COMPLETED' }, ':data': { S: 'x'.repeat(300) } } });
    await call('GetItem', { TableName: TABLE, Key: { id }, ConsistentRead: true });
  };
  const run = async (count: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await sequence(next++);
    }));
  };
  const cpu = () => new Promise<NodeJS.CpuUsage>((resolve) => (child.once('message', (usage) => resolve(usage as NodeJS.CpuUsage)), child.send('cpu')));
  await run(Math.ceil(sequences / 5)); // warm-up: JIT, LevelDB's first files
  const before = await cpu();
  await run(sequences);
  const after = await cpu();
  child.send('stop');
  agent.destroy();
  return (after.user - before.user + after.system - before.system) / 1000 / (sequences * 3);
}

async function main(): Promise<number> {
  const { values } = parseCommandLine({ args: process.argv.slice(2), options: { runs: { type: 'string' }, sequences: { type: 'string' } } });
  const runs = values.runs === undefined ? 3 : numberOption('--runs', values.runs, { integer: true, positive: true });
  const sequences = values.sequences === undefined ? 2000 : numberOption('--sequences', values.sequences, { integer: true, positive: true });
  const loadBefore = sampleLoad();
  const results: Record<Store, number[]> = { LevelDB: [], memory: [] };
  for (let i = 0; i < runs; i++) for (const store of STORES) results[store].push(await measure(store, sequences));
  const loadAfter = sampleLoad();
  console.log(`dynalite server CPU per request, ${sequences} sequences × 3 requests, ${CONCURRENCY} concurrent, median of ${runs} runs`);
  console.log(`load average before ${loadBefore.loadAverage.join(' / ')}, after ${loadAfter.loadAverage.join(' / ')} (${loadBefore.perCore} per core before)\n`);
  console.log(markdownTable(['store', 'CPU per request (ms)', 'runs'], STORES.map((store) => [store, median(results[store]).toFixed(3), results[store].map((v) => v.toFixed(3)).join(', ')])));
  return 0;
}

if (process.argv[2] === '--serve') await serve(process.argv[3] as Store);
else await runScript(USAGE, main);
