/**
 * Bad requests against the sample API on the local runtime: each gets its 4xx as a problem
 * document (RFC 9457), whether API Gateway (validator, key, routing) or the producer rejects it,
 * and none of them publishes anything.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerOutputKeys, consumerQueuesInOutputs } from '../../lib/constructs/output-keys.ts';
import { PROJECT_DIR, startRuntime, type RuntimeProcess as TestRuntime } from '../../bench/lib/runtime.ts';

interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status?: number;
  readonly detail?: string;
}

describe('bad requests to the sample API on the local runtime', () => {
  let runtime: TestRuntime;
  let publishesBefore: number;

  beforeAll(async () => {
    runtime = await startRuntime();
    publishesBefore = await snsPublishes();
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  async function snsPublishes(): Promise<number> {
    const stats = (await (await fetch(`${runtime.endpoint}/_queueflow/stats`)).json()) as { requests: { sns: Record<string, number> } };
    return stats.requests.sns.Publish ?? 0;
  }

  const validOrder = () => ({
    orderId: `o-${randomUUID().slice(0, 8)}`,
    customer: { id: 'c-1', email: 'api.test@example.com', phone: '+15550100' },
    items: [{ sku: 'BOOK-1', quantity: 1 }],
  });

  const send = (path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
    fetch(new URL(path, runtime.apiUrl), {
      method: init.method ?? 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': runtime.state.apiKey, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });

  const problemOf = async (response: Response, status: number): Promise<Problem> => {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await response.json()) as Problem;
    expect(problem.type).toMatch(/^urn:queueflow:problem:[a-z-]+$/);
    expect(problem.title).toEqual(expect.any(String));
    return problem;
  };

  it('malformed JSON gets 400', async () => {
    // Act
    const response = await send('orders', { body: '{"orderId": "o-1",' });

    // Assess
    await problemOf(response, 400);
  });

  it('a schema violation gets 400 naming the failing field', async () => {
    // Prepare
    const order = { ...validOrder(), customer: { id: 'c-1', email: 'not-an-email', phone: '+15550100' } };

    // Act
    const response = await send('orders', { body: JSON.stringify(order) });

    // Assess
    const problem = await problemOf(response, 400);
    expect(problem.type).toBe('urn:queueflow:problem:validation-failed');
    expect(JSON.stringify(problem)).toContain('/customer/email');
  });

  it('a body that is not JSON by content type gets 415', async () => {
    // Act
    const response = await send('orders', { headers: { 'content-type': 'text/plain' }, body: JSON.stringify(validOrder()) });

    // Assess
    const problem = await problemOf(response, 415);
    expect(problem.type).toBe('urn:queueflow:problem:unsupported-media-type');
  });

  it('a 300 KB body gets 413', async () => {
    // Prepare: a schema-valid order padded with insignificant whitespace, so only its size is wrong.
    const body = JSON.stringify(validOrder()).replace('{', `{${' '.repeat(300 * 1024)}`);

    // Act
    const response = await send('orders', { body });

    // Assess
    const problem = await problemOf(response, 413);
    expect(problem.type).toBe('urn:queueflow:problem:payload-too-large');
  });

  it('an unknown route gets 404', async () => {
    // Act
    const response = await send('refunds', { body: JSON.stringify(validOrder()) });

    // Assess
    const problem = await problemOf(response, 404);
    expect(problem.type).toBe('urn:queueflow:problem:not-found');
  });

  it('a known route with another method gets 405 with Allow', async () => {
    // Act
    const response = await send('orders', { method: 'GET' });

    // Assess
    await problemOf(response, 405);
    expect(response.headers.get('allow')).toBe('POST');
  });

  it.each([
    ['a missing', ''],
    ['a wrong', 'not-the-key'],
  ])('%s API key gets 403', async (_, key) => {
    // Act
    const response = await send('orders', { headers: { 'x-api-key': key }, body: JSON.stringify(validOrder()) });

    // Assess
    const problem = await problemOf(response, 403);
    expect(problem.type).toBe('urn:queueflow:problem:forbidden');
  });

  it('none of the bad requests published anything', async () => {
    // Assess
    expect((await snsPublishes()) - publishesBefore).toBe(0);
    const consumers = consumerQueuesInOutputs(runtime.state.outputs);
    expect(consumers.length).toBeGreaterThan(0);
    for (const { name, queueUrl } of consumers) {
      const key = consumerOutputKeys(name).queueUrl;
      const { Attributes = {} } = await runtime.clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      expect({ key, ...Attributes }).toEqual({ key, ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    }
  });

  it("the deployed URL's stage prefix works too", async () => {
    // Prepare: the deployed ApiUrl ends in /<stage>/; a client may keep that path locally.
    const template = JSON.parse(readFileSync(join(PROJECT_DIR, 'cdk.out', `${runtime.state.stackName}.template.json`), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties?: { StageName?: string } }>;
    };
    const stage = Object.values(template.Resources).find((resource) => resource.Type === 'AWS::ApiGateway::Stage')?.Properties?.StageName;
    expect(stage).toEqual(expect.any(String));
    const publishes = await snsPublishes();

    // Act
    const response = await send(`${stage}/orders`, { body: JSON.stringify(validOrder()) });

    // Assess
    expect(response.status).toBe(202);
    expect((await snsPublishes()) - publishes).toBe(1);
  });
});
