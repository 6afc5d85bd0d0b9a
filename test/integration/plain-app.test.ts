/**
 * `queueflow local` on a CDK app that uses aws-cdk-lib only (test/fixtures/plain-app): the runtime
 * synthesizes it with the app's own cdk.json, runs both of its stacks, and the app behaves as on
 * AWS when driven from outside with real SDK clients and HTTP.
 *
 * The assembly goes to a temp folder outside this repository, so the functions' assets have no
 * node_modules above them: their unbundled `@aws-sdk/*` imports resolve only as the Lambda runtime
 * provides them, and their `.js` files get no "type" from this repository's package.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime, type RuntimeProcess as TestRuntime } from '../../bench/lib/runtime.ts';

const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/plain-app', import.meta.url));

/** Polls `probe` until it returns a value, or fails after `timeoutMs`. */
async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(200);
  }
}

describe('the local runtime on a plain CDK app (no queueflow construct)', () => {
  let runtime: TestRuntime;
  let assemblyDir: string;

  beforeAll(async () => {
    assemblyDir = mkdtempSync(join(tmpdir(), 'queueflow-plain-app-'));
    runtime = await startRuntime({ projectDir: FIXTURE_DIR, synth: true, extraArgs: ['--assembly', assemblyDir] });
  }, 60_000);

  afterAll(async () => {
    await runtime?.stop();
    rmSync(assemblyDir, { recursive: true, force: true });
  });

  const publish = (message: object) => runtime.clients.sns.send(new PublishCommand({ TopicArn: runtime.outputOf('TopicArn'), Message: JSON.stringify(message) }));
  const itemOf = async (orderId: string) =>
    (await runtime.clients.dynamodb.send(new GetItemCommand({ TableName: runtime.outputOf('TableName'), Key: { pk: { S: orderId } } }))).Item;

  it('runs every stack of the assembly and names them in the state file', () => {
    // Assess
    expect(runtime.state.stackNames).toEqual(['PlainData', 'PlainApp']);
    expect(runtime.state.stackName).toBe('PlainData,PlainApp');
    expect(runtime.outputOf('PlainData.TableName')).toBe(runtime.outputOf('TableName'));
  });

  it('delivers a matching message through topic, queue and function into the table and its index', async () => {
    // Act
    await publish({ type: 'order.placed', orderId: 'good-1', customer: 'ada' });

    // Assess
    const item = await eventually(() => itemOf('good-1'), 10_000, 'the item write');
    expect(item).toMatchObject({ customer: { S: 'ada' }, type: { S: 'order.placed' } });
    const byCustomer = await runtime.clients.dynamodb.send(
      new QueryCommand({ TableName: runtime.outputOf('TableName'), IndexName: 'byCustomer', KeyConditionExpression: 'customer = :c', ExpressionAttributeValues: { ':c': { S: 'ada' } } }),
    );
    expect(byCustomer.Items?.map((found) => found.pk?.S)).toEqual(['good-1']);
  });

  it('drops a message the body filter policy does not match', async () => {
    // Act: the filtered message goes first; once the matching one is stored, the other had its chance.
    await publish({ type: 'order.cancelled', orderId: 'filtered-1', customer: 'bob' });
    await publish({ type: 'order.placed', orderId: 'after-filtered-1', customer: 'bob' });
    await eventually(() => itemOf('after-filtered-1'), 10_000, 'the matching item write');

    // Assess
    expect(await itemOf('filtered-1')).toBeUndefined();
  });

  it('moves a poison message to the DLQ after maxReceiveCount failed receives', async () => {
    // Act
    await publish({ type: 'order.placed', orderId: 'poison-1', customer: 'eve', poison: true });

    // Assess
    const dead = await eventually(
      async () => {
        const { Messages } = await runtime.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: runtime.outputOf('DlqUrl'), WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
        return Messages?.find((message) => message.Body?.includes('poison-1'));
      },
      20_000,
      'the move to the DLQ',
    );
    expect(JSON.parse(dead.Body!)).toMatchObject({ orderId: 'poison-1', poison: true });
    expect(await itemOf('poison-1')).toBeUndefined();
  });

  it('serves the LambdaRestApi: POST /orders publishes, and the effect reaches the table', async () => {
    // Act
    const response = await fetch(new URL('orders', runtime.apiUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderId: 'api-1', customer: 'cy' }) });

    // Assess
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ messageId: expect.any(String) });
    await eventually(() => itemOf('api-1'), 10_000, 'the item write');
  });

  it.each([
    ['a deep path to the greedy {proxy+} resource', 'GET', 'reports/2024/q1', { resource: '/{proxy+}', path: '/reports/2024/q1', proxy: 'reports/2024/q1' }],
    ['any method to the greedy resource', 'DELETE', 'orders/o-9', { method: 'DELETE', resource: '/{proxy+}', proxy: 'orders/o-9' }],
    ['the root to ANY on /', 'GET', '', { resource: '/', path: '/', proxy: null }],
  ])('routes %s', async (_name, method, path, expected) => {
    // Act
    const response = await fetch(new URL(path, runtime.apiUrl), { method });

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject(expected);
  });
});
