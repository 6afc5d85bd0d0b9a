/**
 * queueflow as a user gets it: `npm pack` of this repository, installed from the tarball into new
 * CDK apps in a temporary folder outside it, each run with `npx queueflow local` in its own
 * directory (its own cdk.json, its own CDK CLI), and driven over HTTP and with AWS SDK clients.
 *
 * - greetings (test/fixtures/package-app): declares its own QueueWorkflow with one event type
 *   and one consumer, importing only `queueflow` and `queueflow/lambda`.
 * - plain (test/fixtures/plain-app): no queueflow construct at all; SNS → filtered SQS →
 *   `lambda.Function` from an asset → DynamoDB, with a DLQ.
 *
 * The two apps share one `npm install` (the parent folder's node_modules), which halves the
 * install time and changes nothing about how each app resolves its modules.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalState } from '../../lib/local/state-file.ts';
import { PROJECT_DIR } from '../../bench/lib/runtime.ts';

const run = promisify(execFile);
// The Node that runs this test (≥ 22) first on PATH, for npm, npx and the CDK app they start.
const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, npm_config_update_notifier: 'false' };
const manifest = JSON.parse(readFileSync(join(PROJECT_DIR, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
// The apps pin what this repository's lock file pins, so npm finds it all in its cache.
const pinned = (name: string) => manifest.dependencies[name] ?? manifest.devDependencies[name]!;

let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'queueflow-package-'));
  const { stdout } = await run('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: PROJECT_DIR, env, maxBuffer: 64 << 20 });
  const tarball = stdout.trim().split('\n').at(-1)!;
  writeFileSync(
    join(work, 'package.json'),
    JSON.stringify({
      name: 'scratch-cdk-apps',
      private: true,
      type: 'module',
      dependencies: {
        queueflow: `file:./${tarball}`,
        'aws-cdk-lib': pinned('aws-cdk-lib'),
        constructs: pinned('constructs'),
        zod: pinned('zod'),
        '@aws-sdk/client-dynamodb': pinned('@aws-sdk/client-dynamodb'),
      },
      devDependencies: { 'aws-cdk': pinned('aws-cdk') },
    }),
  );
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: work, env, maxBuffer: 64 << 20 });
  cpSync(join(PROJECT_DIR, 'test/fixtures/package-app'), join(work, 'greetings'), { recursive: true });
  cpSync(join(PROJECT_DIR, 'test/fixtures/plain-app'), join(work, 'plain'), { recursive: true });
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

interface LocalApp {
  readonly state: LocalState;
  readonly output: () => string;
  stop(): Promise<number | null>;
}

/** `npx queueflow local` in the app's folder, on free ports; resolves once its state file exists. */
async function startApp(appDir: string): Promise<LocalApp> {
  const stateFile = join(appDir, '.queueflow', 'local.json');
  const child: ChildProcess = spawn('npx', ['queueflow', 'local', '--port', '0', '--aws-port', '0', '--no-watch', '--quiet'], {
    cwd: appDir,
    env,
    // Its own process group: a start-up that fails kills npx and the runtime under it at once.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let runtimePid: number | undefined;
  // npx does not pass a SIGTERM on to the runtime it started; the runtime's own pid is in the state
  // file. Once the runtime exits, npx exits with its exit code.
  const stop = async () => {
    if (child.exitCode === null) {
      if (runtimePid === undefined) process.kill(-child.pid!, 'SIGKILL');
      else process.kill(runtimePid, 'SIGTERM');
    }
    return exited;
  };
  const deadline = Date.now() + 240_000;
  while (!existsSync(stateFile)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`queueflow local did not start in ${appDir}:\n${output}`);
    }
    await sleep(250);
  }
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as LocalState;
  runtimePid = state.pid;
  return { state, output: () => output, stop };
}

const clientConfig = (state: LocalState) => ({ endpoint: state.endpoint, region: state.region, credentials: state.credentials });

/** Polls until `probe` returns a value, or fails with what the app printed. */
async function eventually<T>(app: LocalApp, what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms; the app printed:\n${app.output()}`);
    await sleep(250);
  }
}

describe('the packed package in CDK apps of their own', () => {
  it('runs an app that declares its own workflow, event type and consumer', async () => {
    // Prepare
    const app = await startApp(join(work, 'greetings'));
    try {
      const dynamodb = new DynamoDBClient(clientConfig(app.state));
      const tableName = app.state.outputs.GreetingsTableName!;

      // Act
      const response = await fetch(`${app.state.apiUrl}greetings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': app.state.apiKey ?? '' },
        body: JSON.stringify({ greetingId: 'g-1', name: 'Ada' }),
      });
      const refused = await fetch(`${app.state.apiUrl}greetings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': app.state.apiKey ?? '' },
        body: JSON.stringify({ greetingId: 'g-2' }),
      });
      const item = await eventually(app, 'the greeter consumer writing its greeting', async () => {
        const { Items } = await dynamodb.send(new ScanCommand({ TableName: tableName }));
        return Items?.find((candidate) => candidate.pk?.S === 'g-1');
      });
      const listed = await run('npx', ['queueflow', 'dlq', 'list', '--local', '--json'], { cwd: join(work, 'greetings'), env });

      // Assess
      expect(response.status).toBe(202);
      expect(refused.status).toBe(400);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(item.text?.S).toBe('Hello, Ada!');
      expect(JSON.parse(listed.stdout)).toMatchObject({ consumers: [{ consumer: 'greeter', dlq: { visible: 0 } }] });
    } finally {
      expect(await app.stop()).toBe(0);
    }
  }, 300_000);

  it('runs an app with no queueflow construct, and its poison message reaches the DLQ', async () => {
    // Prepare
    const app = await startApp(join(work, 'plain'));
    try {
      const config = clientConfig(app.state);
      const sns = new SNSClient(config);
      const sqs = new SQSClient(config);
      const dynamodb = new DynamoDBClient(config);
      const { TopicArn, TableName, DlqUrl } = app.state.outputs;

      // Act
      await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ type: 'order.placed', orderId: 'good-1', customer: 'ada' }) }));
      await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ type: 'order.placed', orderId: 'poison-1', customer: 'eve', poison: true }) }));
      const stored = await eventually(app, 'the function storing the good message', async () => {
        const { Items } = await dynamodb.send(new ScanCommand({ TableName }));
        return Items?.find((candidate) => candidate.pk?.S === 'good-1');
      });
      const deadLetter = await eventually(app, 'the poison message reaching the DLQ', async () => {
        const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: DlqUrl, WaitTimeSeconds: 1 }));
        return Messages?.find((message) => message.Body?.includes('poison-1'));
      });
      // The console's page and script are plain files: the build must have copied them into dist/.
      const consolePage = await fetch(app.state.consoleUrl!);
      const consoleScript = await fetch(`${app.state.consoleUrl}app.js`);
      const traces = await fetch(`${app.state.consoleUrl}api/traces?q=good-1`).then((response) => response.json() as Promise<{ traces: unknown[] }>);

      // Assess
      expect(app.state.stackNames).toEqual(['PlainData', 'PlainApp']);
      expect(stored.customer?.S).toBe('ada');
      expect(JSON.parse(deadLetter.Body!)).toMatchObject({ orderId: 'poison-1', poison: true });
      expect(consolePage.status).toBe(200);
      expect(await consolePage.text()).toContain('queueflow local console');
      expect(consoleScript.status).toBe(200);
      // A message that is not a queueflow envelope is traced too, and found by a value in its body.
      expect(traces.traces).toHaveLength(1);
    } finally {
      expect(await app.stop()).toBe(0);
    }
  }, 300_000);
});
