import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { banner, READY_LINE, startLocalRuntime, type LocalRuntime } from '../../../lib/local/runtime.ts';
import type { LocalModel } from '../../../lib/local/model.ts';
import type { LocalState } from '../../../lib/local/state-file.ts';
import { synthTinyStack, TINY_STACK } from './tiny-stack.ts';

// Logs at init, in stream order: stdout (INFO JSON, plain, ERROR JSON last) and stderr, then
// stays in init long enough that a ready line printed before init ends is caught.
const SLOW_INIT = `
console.log(JSON.stringify({ level: 'INFO', message: 'info-json' }));
console.log('plain-stdout');
console.log(JSON.stringify({ level: 'ERROR', message: 'error-json' }));
console.error('plain-stderr');
await new Promise((resolve) => setTimeout(resolve, 2000));
console.error('init-finished ' + Date.now());
export const handler = async () => ({ statusCode: 200, body: '{}' });
`;

describe('banner', () => {
  it('lists the routes, functions, queues with their DLQ and consumer, topics and tables read from the assembly', () => {
    // Prepare
    const arn = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;
    const model = {
      stackName: 'A,B',
      stackNames: ['A', 'B'],
      queues: [
        { logicalId: 'A/Jobs', name: 'A-Jobs', url: 'u', arn: arn('A-Jobs'), attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn('A-JobsDlq'), maxReceiveCount: 2 }) } },
        { logicalId: 'A/JobsDlq', name: 'A-JobsDlq', url: 'u', arn: arn('A-JobsDlq'), attributes: {} },
      ],
      topics: [{ logicalId: 'A/Events', name: 'A-Events', arn: 't' }],
      tables: [{ logicalId: 'B/Items', name: 'B-Items', arn: 'd', keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], attributeDefinitions: [], globalSecondaryIndexes: [{ IndexName: 'byOwner' }] }],
      functions: [{ logicalId: 'A/Worker', name: 'A-Worker', assetDir: '/x', handler: 'index.handler', runtime: 'nodejs22.x', architecture: 'x86_64', timeoutSeconds: 3, memorySizeMb: 128, environment: {} }],
      eventSourceMappings: [{ logicalId: 'A/Map', functionLogicalId: 'A/Worker', queueArn: arn('A-Jobs'), queueUrl: 'u', batchSize: 10, maximumBatchingWindowSeconds: 0, reportBatchItemFailures: true, enabled: true }],
      api: { logicalId: 'A/Api', name: 'Api', stageName: 'prod', apiKeys: [], gatewayResponses: {}, routes: [{ method: 'ANY', resourcePath: '/{proxy+}', functionLogicalId: 'A/Worker', apiKeyRequired: false }] },
    } as unknown as LocalModel;
    const state = { apiUrl: 'http://127.0.0.1:3000/', endpoint: 'http://127.0.0.1:4566', region: 'us-east-1', dataDir: '/d' } as LocalState;

    // Act
    const text = banner(model, state, '/s.json').join('\n');

    // Assess
    expect(text).toContain('stacks     A, B (1 functions, 2 queues, 1 tables)');
    expect(text).toMatch(/routes +ANY +http:\/\/127\.0\.0\.1:3000\/\{proxy\+\} +→ A-Worker/);
    expect(text).toContain('A-Jobs → DLQ A-JobsDlq after 2 receives → A-Worker');
    expect(text).toContain('B-Items (pk, GSI byOwner)');
    expect(text).toContain('A-Worker (nodejs22.x, index.handler)');
    expect(text.endsWith(READY_LINE)).toBe(true);
  });
});

describe('startLocalRuntime', () => {
  let assembly: string;
  const dirs: string[] = [];
  beforeAll(() => {
    const codeDir = mkdtempSync(join(tmpdir(), 'queueflow-slow-init-'));
    dirs.push(codeDir);
    writeFileSync(join(codeDir, 'index.mjs'), SLOW_INIT);
    assembly = synthTinyStack((stack) => {
      new lambda.Function(stack, 'SlowInit', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromAsset(codeDir) });
    });
    dirs.push(assembly);
  }, 120_000);
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  const run = async (quiet: boolean, logFormat?: 'json') => {
    const dataDir = mkdtempSync(join(tmpdir(), 'queueflow-runtime-'));
    dirs.push(dataDir);
    const lines: { line: string; at: number }[] = [];
    const print = (line: string) => lines.push({ line, at: Date.now() });
    const runtime: LocalRuntime = await startLocalRuntime({
      port: 0, awsPort: 0, dataDir, stateFile: join(dataDir, 'local.json'), assembly, stackNames: [TINY_STACK],
      synth: false, watch: false, quiet, print, printError: print, ...(logFormat ? { logFormat } : {}),
    });
    const waitFor = async (text: string) => {
      for (let i = 0; i < 100 && !lines.some(({ line }) => line.includes(text)); i++) await sleep(50);
      return lines.find(({ line }) => line.includes(text));
    };
    return { runtime, lines, waitFor };
  };

  it('keeps its state file and data in <projectDir>/.queueflow and runs every stack by default', async () => {
    // Prepare
    const projectDir = mkdtempSync(join(tmpdir(), 'queueflow-project-'));
    dirs.push(projectDir);

    // Act
    const runtime = await startLocalRuntime({ projectDir, assembly, port: 0, awsPort: 0, synth: false, watch: false, quiet: true, print: () => {}, printError: () => {} });
    const stateFileWritten = existsSync(join(projectDir, '.queueflow', 'local.json'));
    await runtime.stop();

    // Assess
    expect(stateFileWritten).toBe(true);
    expect(runtime.state).toMatchObject({ stackName: TINY_STACK, stackNames: [TINY_STACK], dataDir: join(projectDir, '.queueflow', 'data') });
    expect(existsSync(join(projectDir, '.queueflow', 'local.json'))).toBe(false);
  }, 60_000);

  it('prints the ready line once the functions behind API routes are warm, and a line once every function is', async () => {
    // Prepare: SlowInit (2 s of init) is behind no route; the API's Worker is.
    const { runtime, lines, waitFor } = await run(false);

    // Act
    const finished = await waitFor('init-finished');
    const allWarm = await waitFor('functions warm: 2 in ');
    await runtime.stop();

    // Assess: ready does not wait for SlowInit; the warm line does.
    const ready = lines.find(({ line }) => line === READY_LINE);
    const finishedAt = Number(finished?.line.split('init-finished ')[1]);
    expect(ready).toBeDefined();
    expect(ready!.at).toBeLessThan(finishedAt);
    expect(allWarm).toBeDefined();
    expect(finishedAt).toBeLessThanOrEqual(allWarm!.at);
  }, 60_000);

  it('keeps error-level and stderr lines of functions under quiet, pretty, and hides the rest', async () => {
    // Prepare
    const { runtime, lines, waitFor } = await run(true);

    // Act: stdout is read in order, so once error-json is in, the stdout lines before it are too.
    await waitFor('error-json');
    await waitFor('plain-stderr');
    await runtime.stop();

    // Assess
    const printed = lines.map(({ line }) => line).join('\n');
    expect(printed).toMatch(/^\d\d:\d\d:\d\d\.\d{3} SlowInit ERROR error-json$/m);
    expect(printed).toMatch(/^\d\d:\d\d:\d\d\.\d{3} SlowInit plain-stderr$/m);
    expect(printed).not.toMatch(/info-json|plain-stdout|REPORT/);
  }, 60_000);

  it('keeps the raw lines under quiet with the json log format', async () => {
    // Prepare
    const { runtime, lines, waitFor } = await run(true, 'json');

    // Act: stdout is read in order, so once error-json is in, the stdout lines before it are too.
    await waitFor('error-json');
    await waitFor('plain-stderr');
    await runtime.stop();

    // Assess
    const printed = lines.map(({ line }) => line).join('\n');
    expect(printed).toMatch(/SlowInit │ \{"level":"ERROR","message":"error-json"\}/);
    expect(printed).toMatch(/SlowInit │ plain-stderr/);
    expect(printed).not.toMatch(/info-json|plain-stdout|REPORT/);
  }, 60_000);
});
