/**
 * The local runtime as a whole, driven from outside: the state file, the one AWS endpoint with
 * real SDK clients, the stats route, a clean stop, and the command line's errors.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetSubscriptionAttributesCommand, GetTopicAttributesCommand, ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingOutputError, PROJECT_DIR, runLocalCli, startRuntime, type RuntimeProcess as TestRuntime } from '../../bench/lib/runtime.ts';

const CONSUMERS = ['Email', 'Sms', 'Inventory'];
const CONTRACT_OUTPUTS = [
  'ApiUrl',
  'ApiKeyId',
  'TopicArn',
  'AlarmTopicArn',
  'IdempotencyTableName',
  'FailureTableName',
  // The sample's erasure event type makes the workflow keep tombstones; the DLQ CLI reads them.
  'TombstoneTableName',
  'LedgerTableName',
  ...CONSUMERS.flatMap((name) => [`${name}QueueUrl`, `${name}DlqUrl`, `${name}FunctionName`]),
];

describe('local runtime', () => {
  let runtime: TestRuntime;

  beforeAll(async () => {
    runtime = await startRuntime();
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('writes a state file with loopback URLs, the region, credentials and the API key', () => {
    // Assess
    const { state } = runtime;
    expect(state.pid).toBe(runtime.pid);
    expect(state.stackName).toBe('QueueflowSample');
    expect(state.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(state.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(state).toMatchObject({ region: 'us-east-1', accountId: '000000000000', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    expect(state.apiKey).toMatch(/^[A-Za-z0-9]{20,}$/);
    expect(state.dataDir).toBe(runtime.dataDir);
  });

  it('resolves every contract output to a local value', () => {
    // Assess
    const { outputs, endpoint, apiUrl } = runtime.state;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(CONTRACT_OUTPUTS));
    for (const value of Object.values(outputs)) expect(value).not.toMatch(/amazonaws\.com|\$\{|Fn::|\[object/);
    expect(outputs.ApiUrl).toBe(apiUrl);
    for (const name of CONSUMERS) {
      expect(outputs[`${name}QueueUrl`]).toMatch(new RegExp(`^${endpoint}/000000000000/`));
      expect(outputs[`${name}DlqUrl`]).toMatch(new RegExp(`^${endpoint}/000000000000/`));
    }
    expect(outputs.TopicArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:/);
    expect(outputs.AlarmTopicArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:/);
  });

  it('hands out one output by key, and names a missing one', () => {
    // Act
    const table = runtime.outputOf('LedgerTableName');
    const missing = () => runtime.outputOf('NoSuchOutput');

    // Assess
    expect(table).toBe(runtime.state.outputs.LedgerTableName);
    expect(missing).toThrow(MissingOutputError);
    expect(missing).toThrow(/NoSuchOutput/);
  });

  it('serves SQS through the one endpoint, with the queue URL the state file gives', async () => {
    // Act
    const attributes = await runtime.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: runtime.state.outputs.InventoryQueueUrl, AttributeNames: ['RedrivePolicy', 'VisibilityTimeout'] }),
    );
    const name = runtime.state.outputs.InventoryQueueUrl!.split('/').pop();
    const found = await runtime.clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }));

    // Assess
    const redrive = JSON.parse(attributes.Attributes!.RedrivePolicy!) as { deadLetterTargetArn: string; maxReceiveCount: number };
    expect(redrive.deadLetterTargetArn.split(':').pop()).toBe(runtime.state.outputs.InventoryDlqUrl!.split('/').pop());
    expect(redrive.maxReceiveCount).toBeGreaterThan(0);
    expect(found.QueueUrl).toBe(runtime.state.outputs.InventoryQueueUrl);
  });

  it('serves SNS through the one endpoint: the topic and its raw, filtered subscriptions', async () => {
    // Act
    const topic = await runtime.clients.sns.send(new GetTopicAttributesCommand({ TopicArn: runtime.state.outputs.TopicArn }));
    const subscriptions = await runtime.clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: runtime.state.outputs.TopicArn }));
    const attributes = await Promise.all(
      subscriptions.Subscriptions!.map((subscription) =>
        runtime.clients.sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscription.SubscriptionArn })),
      ),
    );

    // Assess
    expect(topic.Attributes?.TopicArn).toBe(runtime.state.outputs.TopicArn);
    // Every consumer of the standard topic's event types has its queue subscribed, and nothing else
    // (the ordered types' consumers have FIFO queues, on the FIFO topic).
    const standardQueues = Object.entries(runtime.state.outputs)
      .filter(([key, url]) => key.endsWith('QueueUrl') && !url.endsWith('.fifo'))
      .map(([, url]) => url.split('/').at(-1));
    expect(subscriptions.Subscriptions!.map((subscription) => subscription.Endpoint!.split(':').at(-1)).sort()).toEqual(standardQueues.sort());
    expect(standardQueues).toEqual(expect.arrayContaining(CONSUMERS.map((name) => runtime.state.outputs[`${name}QueueUrl`]!.split('/').at(-1))));
    for (const { Attributes } of attributes) {
      expect(Attributes?.RawMessageDelivery).toBe('true');
      expect(JSON.parse(Attributes!.FilterPolicy!)).toHaveProperty('eventType');
    }
  });

  it('serves DynamoDB through the one endpoint', async () => {
    // Act
    const described = await Promise.all(
      ['LedgerTableName', 'IdempotencyTableName', 'FailureTableName'].map((key) =>
        runtime.clients.dynamodb.send(new DescribeTableCommand({ TableName: runtime.state.outputs[key] })),
      ),
    );

    // Assess
    expect(described.map((table) => table.Table?.TableStatus)).toEqual(['ACTIVE', 'ACTIVE', 'ACTIVE']);
  });

  it('counts requests per service and action on the stats route', async () => {
    // Prepare
    await fetch(`${runtime.endpoint}/_queueflow/stats/reset`, { method: 'POST' });
    await runtime.clients.dynamodb.send(new DescribeTableCommand({ TableName: runtime.state.outputs.LedgerTableName }));

    // Act
    const stats = (await (await fetch(`${runtime.endpoint}/_queueflow/stats`)).json()) as { requests: Record<string, Record<string, number>>; lambda: object };

    // Assess
    expect(stats.requests.dynamodb).toEqual({ DescribeTable: 1 });
    expect(stats.lambda).toBeTypeOf('object');
  });
});

describe('local runtime lifecycle', () => {
  it('stops cleanly on SIGTERM: exit code 0, state file removed, data kept', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'queueflow-lifecycle-'));
    const runtime = await startRuntime({ dataDir });
    const stateFile = join(dataDir, 'local.json');
    expect(existsSync(stateFile)).toBe(true);
    const started = performance.now();

    // Act
    await runtime.stop();

    // Assess
    expect(runtime.exitCode()).toBe(0);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(existsSync(stateFile)).toBe(false);
    expect(existsSync(join(dataDir, 'fauxqs'))).toBe(true);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);
});

describe('hot reload', () => {
  // A throwaway CDK project inside the repository (so it resolves aws-cdk-lib from node_modules),
  // whose one function the test edits while the runtime watches its lambdas/ folder.
  mkdirSync(join(PROJECT_DIR, '.queueflow'), { recursive: true });
  const projectDir = mkdtempSync(join(PROJECT_DIR, '.queueflow', 'hot-reload-'));
  const handlerFile = join(projectDir, 'lambdas', 'hello', 'index.mjs');
  const handler = (text: string) => `export const handler = async () => ({ statusCode: 200, body: ${JSON.stringify(text)} });\n`;
  let runtime: TestRuntime | undefined;

  beforeAll(() => {
    mkdirSync(dirname(handlerFile), { recursive: true });
    writeFileSync(handlerFile, handler('v1'));
    writeFileSync(join(projectDir, 'cdk.json'), JSON.stringify({ app: 'npx tsx app.ts' }));
    writeFileSync(
      join(projectDir, 'app.ts'),
      [
        "import { App, Stack } from 'aws-cdk-lib';",
        "import * as apigateway from 'aws-cdk-lib/aws-apigateway';",
        "import * as lambda from 'aws-cdk-lib/aws-lambda';",
        'const app = new App();',
        "const stack = new Stack(app, 'QueueflowSample');",
        "const fn = new lambda.Function(stack, 'Hello', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromAsset('lambdas/hello') });",
        "new apigateway.LambdaRestApi(stack, 'Api', { handler: fn, proxy: false }).root.addResource('hello').addMethod('GET');",
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await runtime?.stop();
    rmSync(projectDir, { recursive: true, force: true });
  });

  it('rebuilds and reloads a function when its source changes, without a restart', async () => {
    // Prepare
    runtime = await startRuntime({ projectDir, synth: true, watch: true, readyTimeoutMs: 120_000 });
    const before = await (await fetch(`${runtime.apiUrl}hello`)).text();

    // Act
    writeFileSync(handlerFile, handler('v2'));
    await runtime.waitForLine(/^reloaded /, 120_000);
    const after = await (await fetch(`${runtime.apiUrl}hello`)).text();

    // Assess
    expect(before).toBe('v1');
    expect(after).toBe('v2');
    expect(runtime.exitCode()).toBeNull();
  }, 240_000);
});

describe('hot reload of a NodejsFunction that records its bundling', () => {
  // A throwaway project whose function is a NodejsFunction with recordLocalBundling: a change to
  // its source is rebuilt by esbuild in the runtime, with no synth.
  mkdirSync(join(PROJECT_DIR, '.queueflow'), { recursive: true });
  const projectDir = mkdtempSync(join(PROJECT_DIR, '.queueflow', 'hot-rebuild-'));
  const greetingFile = join(projectDir, 'functions', 'greeting.ts');
  const greeting = (text: string) => `export const greeting: string = ${JSON.stringify(text)};\n`;
  let runtime: TestRuntime | undefined;

  beforeAll(() => {
    mkdirSync(join(projectDir, 'functions'), { recursive: true });
    mkdirSync(join(projectDir, 'infra'), { recursive: true });
    writeFileSync(greetingFile, greeting('v1'));
    writeFileSync(
      join(projectDir, 'functions', 'hello.ts'),
      "import { greeting } from './greeting.ts';\nexport const handler = async () => ({ statusCode: 200, body: greeting });\n",
    );
    writeFileSync(join(projectDir, 'cdk.json'), JSON.stringify({ app: 'npx tsx infra/app.ts' }));
    writeFileSync(
      join(projectDir, 'infra', 'app.ts'),
      [
        "import { fileURLToPath } from 'node:url';",
        "import { App, Stack } from 'aws-cdk-lib';",
        "import * as apigateway from 'aws-cdk-lib/aws-apigateway';",
        "import { Runtime } from 'aws-cdk-lib/aws-lambda';",
        "import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';",
        "import { recordLocalBundling } from '../../../lib/constructs/record-local-bundling.ts';",
        'const app = new App();',
        "const stack = new Stack(app, 'QueueflowSample');",
        "const entry = fileURLToPath(new URL('../functions/hello.ts', import.meta.url));",
        'const props = { entry, runtime: Runtime.NODEJS_24_X, bundling: { format: OutputFormat.ESM, minify: true, sourceMap: true } };',
        "const fn = new NodejsFunction(stack, 'Hello', props);",
        'recordLocalBundling(fn, props);',
        "new apigateway.LambdaRestApi(stack, 'Api', { handler: fn, proxy: false }).root.addResource('hello').addMethod('GET');",
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await runtime?.stop();
    rmSync(projectDir, { recursive: true, force: true });
  });

  it('rebuilds the bundle of a changed imported file and serves it, without a synth', async () => {
    // Prepare
    runtime = await startRuntime({ projectDir, synth: true, watch: true, readyTimeoutMs: 120_000, onLine: () => {} });
    await runtime.waitForLine(/^hot reload: esbuild rebuilds Hello/, 60_000);
    const before = await (await fetch(`${runtime.apiUrl}hello`)).text();

    // Act
    const saved = performance.now();
    writeFileSync(greetingFile, greeting('v2'));
    const live = await runtime.waitForLine(/^Hello live in \d+ ms$/, 60_000);
    const liveAfterMs = performance.now() - saved;
    const after = await (await fetch(`${runtime.apiUrl}hello`)).text();

    // Assess: the timing is reported, not asserted (bench/dev-loop.ts measures it).
    console.info(`hot rebuild: "${live}", ${Math.round(liveAfterMs)} ms after the save`);
    expect(before).toBe('v1');
    expect(after).toBe('v2');
    expect(runtime.output()).toMatch(/^rebuilding Hello…$/m);
    expect(runtime.output()).not.toMatch(/synthesizing in the background/);
    expect(runtime.exitCode()).toBeNull();
  }, 240_000);
});

describe('queueflow local command line', () => {
  it('prints the options for --help and exits 0', async () => {
    // Act
    const { code, output } = await runLocalCli(['--help']);

    // Assess
    expect(code).toBe(0);
    expect(output).toMatch(/--aws-port/);
    expect(output).toMatch(/--no-synth/);
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--port', 'abc'], /--port must be a port number/],
    [['--aws-port', '70000'], /--aws-port must be a port number/],
    [['--port'], /--port.*argument missing/],
    [['--faults', '/nonexistent/faults.json'], /--faults: cannot read/],
  ])('exits 2 with a clear message for %j', async (args, message) => {
    // Act
    const { code, output } = await runLocalCli(args);

    // Assess
    expect(code).toBe(2);
    expect(output).toMatch(message);
  });

  it('exits 1 naming the folder when --no-synth finds no assembly', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'queueflow-empty-'));

    // Act
    const { code, output } = await runLocalCli(['--no-synth', '--assembly', dir, '--port', '0', '--aws-port', '0', '--data-dir', join(dir, 'data'), '--state-file', join(dir, 'local.json')]);

    // Assess
    expect(code).toBe(1);
    expect(output).toMatch(/No cloud assembly at .*manifest\.json missing/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 1 listing the stacks when the stack is not in the assembly', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'queueflow-stack-'));

    // Act
    const { code, output } = await runLocalCli(['--no-synth', '--stack', 'Nope', '--port', '0', '--aws-port', '0', '--data-dir', join(dir, 'data'), '--state-file', join(dir, 'local.json')]);

    // Assess
    expect(code).toBe(1);
    expect(output).toMatch(/Stack "Nope" is not in the cloud assembly \(stacks found: .*QueueflowSample/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 1 naming the flag when the AWS port is taken', async () => {
    // Prepare
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'queueflow-port-'));

    // Act
    const { code, output } = await runLocalCli(['--no-synth', '--port', '0', '--aws-port', String(port), '--data-dir', join(dir, 'data'), '--state-file', join(dir, 'local.json')]);

    // Assess
    expect(code).toBe(1);
    expect(output).toMatch(new RegExp(`Port ${port} is already in use; choose another with --aws-port`));
    blocker.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
