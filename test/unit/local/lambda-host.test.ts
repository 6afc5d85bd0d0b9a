import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_ENVIRONMENTS, LambdaHost, UnknownFunctionError, type InvokeResult, type LambdaHostOptions, type LogStream } from '../../../lib/local/lambda-host.ts';
import type { LocalFunction } from '../../../lib/local/model.ts';

let root: string;
let host: LambdaHost | undefined;
const lines: [string, string][] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lambda-host-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(async () => {
  await host?.stop();
  host = undefined;
  lines.length = 0;
});

/** Writes a tiny ESM bundle as `cdk synth` would leave it in an asset folder. */
async function bundle(name: string, source: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'index.mjs'), source);
  return dir;
}

function fn(logicalId: string, assetDir: string, overrides: Partial<LocalFunction> = {}): LocalFunction {
  return {
    logicalId,
    name: `Stack-${logicalId}`,
    assetDir,
    handler: 'index.handler',
    runtime: 'nodejs24.x',
    architecture: 'arm64',
    timeoutSeconds: 3,
    memorySizeMb: 256,
    environment: {},
    ...overrides,
  };
}

function start(functions: LocalFunction[], options: Partial<LambdaHostOptions> = {}): LambdaHost {
  host = new LambdaHost({
    functions,
    endpoint: 'http://127.0.0.1:4566',
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    log: (name, line) => lines.push([name, line]),
    ...options,
  });
  return host;
}

describe('LambdaHost', () => {
  it('runs the handler with a Lambda context and the resolved environment', async () => {
    // Prepare
    const dir = await bundle('context', `
      export const handler = async (event, context) => ({
        event,
        functionName: context.functionName,
        functionVersion: context.functionVersion,
        invokedFunctionArn: context.invokedFunctionArn,
        memoryLimitInMB: context.memoryLimitInMB,
        awsRequestId: context.awsRequestId,
        logGroupName: context.logGroupName,
        remaining: context.getRemainingTimeInMillis(),
        env: {
          TABLE: process.env.TABLE, AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL, AWS_REGION: process.env.AWS_REGION,
          AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID, AWS_LAMBDA_FUNCTION_NAME: process.env.AWS_LAMBDA_FUNCTION_NAME,
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, _HANDLER: process.env._HANDLER,
          LAMBDA_TASK_ROOT: process.env.LAMBDA_TASK_ROOT, AWS_EXECUTION_ENV: process.env.AWS_EXECUTION_ENV,
        },
        when: new Date(0),
      });`);
    const lambda = start([fn('Context', dir, { environment: { TABLE: 'ledger', AWS_REGION: 'template-wins-not' } })]);

    // Act
    const result = await lambda.invoke('Context', { hello: 'world' });

    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const body = result.result as Record<string, any>;
    expect(body.event).toEqual({ hello: 'world' });
    expect(body.functionName).toBe('Stack-Context');
    expect(body.functionVersion).toBe('$LATEST');
    expect(body.invokedFunctionArn).toBe('arn:aws:lambda:eu-west-1:000000000000:function:Stack-Context');
    expect(body.memoryLimitInMB).toBe('256');
    expect(body.awsRequestId).toBe(result.requestId);
    expect(body.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.logGroupName).toBe('/aws/lambda/Stack-Context');
    expect(body.remaining).toBeGreaterThan(2000);
    expect(body.remaining).toBeLessThanOrEqual(3000);
    expect(body.env).toEqual({
      TABLE: 'ledger', AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test',
      AWS_LAMBDA_FUNCTION_NAME: 'Stack-Context', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256', _HANDLER: 'index.handler',
      LAMBDA_TASK_ROOT: dir, AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    });
    // The result crosses as JSON, as in Lambda.
    expect(body.when).toBe('1970-01-01T00:00:00.000Z');
  });

  it('returns a thrown error as a failed invocation and counts it', async () => {
    // Prepare
    const dir = await bundle('throws', `
      class UnknownSkuError extends Error { constructor(m) { super(m); this.name = 'UnknownSkuError'; } }
      export const handler = async () => { throw new UnknownSkuError('SKU NOPE-1 is not in the catalog'); };`);
    const lambda = start([fn('Throws', dir)]);

    // Act
    const result = await lambda.invoke('Throws', {});

    // Assess
    expect(result).toMatchObject({ ok: false, errorType: 'UnknownSkuError', errorMessage: 'SKU NOPE-1 is not in the catalog', timedOut: false });
    expect(lambda.stats()).toEqual({ 'Stack-Throws': { invocations: 1, errors: 1 } });
    expect(lines.some(([name, line]) => name === 'Stack-Throws' && line.includes('UnknownSkuError'))).toBe(true);
  });

  it('times out a handler that runs past its timeout and replaces its environment', async () => {
    // Prepare
    const dir = await bundle('spins', `
      let invocations = 0;
      export const handler = async (event) => {
        invocations += 1;
        if (event.spin) for (;;) {}
        return { invocations };
      };`);
    const lambda = start([fn('Spins', dir, { timeoutSeconds: 1 })]);

    // Act
    const timedOut = await lambda.invoke('Spins', { spin: true });
    const next = await lambda.invoke('Spins', {});

    // Assess
    expect(timedOut).toMatchObject({ ok: false, errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 1.00 seconds', timedOut: true });
    // A fresh environment: module state starts over.
    expect(next).toMatchObject({ ok: true, result: { invocations: 1 } });
  });

  it('isolates functions: environment and module state are per function', async () => {
    // Prepare
    const source = `
      globalThis.seen ??= [];
      export const handler = async (event) => { globalThis.seen.push(event.n); return { secret: process.env.SECRET ?? null, seen: globalThis.seen }; };`;
    const lambda = start([
      fn('A', await bundle('a', source), { environment: { SECRET: 'a-only' } }),
      fn('B', await bundle('b', source)),
    ]);

    // Act
    await lambda.invoke('A', { n: 1 });
    const a = await lambda.invoke('A', { n: 2 });
    const b = await lambda.invoke('B', { n: 3 });

    // Assess
    expect(a).toMatchObject({ ok: true, result: { secret: 'a-only', seen: [1, 2] } });
    expect(b).toMatchObject({ ok: true, result: { secret: null, seen: [3] } });
  });

  it('picks up rebuilt code on reload', async () => {
    // Prepare
    const dir = await bundle('reload', `export const handler = async () => 'v1';`);
    const lambda = start([fn('Reload', dir)]);
    const before = await lambda.invoke('Reload', {});
    await writeFile(join(dir, 'index.mjs'), `export const handler = async () => 'v2';`);

    // Act
    await lambda.reload([fn('Reload', dir)]);
    const after = await lambda.invoke('Reload', {});

    // Assess
    expect(before).toMatchObject({ ok: true, result: 'v1' });
    expect(after).toMatchObject({ ok: true, result: 'v2' });
  });

  it('replaces the code of the listed functions only, each from its own new folder', async () => {
    // Prepare: B keeps a module-level counter, so a new environment would start it again.
    const a1 = await bundle('replace-a1', `export const handler = async () => 'a1';`);
    const a2 = await bundle('replace-a2', `export const handler = async () => 'a2';`);
    const b = await bundle('replace-b', `let calls = 0; export const handler = async () => ++calls;`);
    const lambda = start([fn('A', a1), fn('B', b)]);
    await lambda.invoke('B', {});

    // Act
    await lambda.replace([fn('A', a2)]);
    const a = await lambda.invoke('A', {});
    const bAgain = await lambda.invoke('B', {});

    // Assess: A runs the new folder; B kept its environment.
    expect(a).toMatchObject({ ok: true, result: 'a2' });
    expect(bAgain).toMatchObject({ ok: true, result: 2 });
  });

  it("passes each line the function writes to log with the function's name", async () => {
    // Prepare
    const dir = await bundle('logs', `
      export const handler = async () => { console.log(JSON.stringify({ level: 'INFO', message: 'processed' })); console.error('line one\\nline two'); return null; };`);
    const lambda = start([fn('Logs', dir)]);

    // Act
    await lambda.invoke('Logs', {});
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Assess
    const own = lines.filter(([name]) => name === 'Stack-Logs').map(([, line]) => line);
    expect(own).toContain('{"level":"INFO","message":"processed"}');
    expect(own).toContain('line one');
    expect(own).toContain('line two');
    expect(own.some((line) => line.startsWith('REPORT RequestId: '))).toBe(true);
  });

  it('names the invocation a line belongs to, and reports each ended invocation', async () => {
    // Prepare
    const dir = await bundle('attributed', `
      console.log('at init');
      export const handler = async () => { console.log('during'); return { statusCode: 204 }; };`);
    const attributed: [string, string | undefined][] = [];
    const ended: Parameters<NonNullable<LambdaHostOptions['onInvocation']>>[0][] = [];
    const lambda = start([fn('Attributed', dir)], {
      log: (_name, line, _stream, requestId) => attributed.push([line, requestId]),
      onInvocation: (invocation) => ended.push(invocation),
    });
    const before = Date.now();

    // Act
    const result = await lambda.invoke('Attributed', { httpMethod: 'GET' }, { source: 'api' });
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Assess
    expect(attributed).toContainEqual(['at init', undefined]);
    expect(attributed).toContainEqual(['during', result.requestId]);
    expect(attributed.find(([line]) => line.startsWith('REPORT'))?.[1]).toBe(result.requestId);
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ fn: { logicalId: 'Attributed' }, source: 'api', event: { httpMethod: 'GET' }, result });
    expect(ended[0]!.startedAt.getTime()).toBeGreaterThanOrEqual(before);
  });

  it("delivers an invocation's lines before its result, in the order written, bytes split mid-character included", async () => {
    // Prepare: stdout and stderr interleaved, a line written in parts, a character split across two writes.
    const dir = await bundle('ordered-output', `
      export const handler = async () => {
        console.log('first');
        process.stderr.write('second, ');
        process.stderr.write('same line\\n');
        const bytes = Buffer.from('third é\\n');
        process.stdout.write(bytes.subarray(0, 7));
        process.stdout.write(bytes.subarray(7));
        process.stdout.write('unfinished');
        return 'done';
      };`);
    const seen: [string, LogStream][] = [];
    const lambda = start([fn('Ordered', dir)], { log: (_name, line, stream) => seen.push([line, stream]) });

    // Act
    const result = await lambda.invoke('Ordered', {});
    const atResult = seen.filter(([, stream]) => stream !== 'host');

    // Assess: everything is there when the invocation resolves, no waiting; the unended line before REPORT.
    expect(result).toMatchObject({ ok: true, result: 'done' });
    expect(atResult).toEqual([
      ['first', 'stdout'],
      ['second, same line', 'stderr'],
      ['third é', 'stdout'],
      ['unfinished', 'stdout'],
    ]);
    expect(seen.findIndex(([line]) => line.startsWith('REPORT'))).toBeGreaterThan(seen.findIndex(([line]) => line === 'unfinished'));
  });

  it('warms the warmFirst functions first, and the others once those are warm; ready() waits for the ones asked', async () => {
    // Prepare: each init says when it began and ended; Front's takes 300 ms.
    const source = (name: string, ms: number) => `
      console.log('${name} init begins ' + Date.now());
      await new Promise((resolve) => setTimeout(resolve, ${ms}));
      console.log('${name} init ends ' + Date.now());
      export const handler = async () => '${name}';`;
    const seen: string[] = [];
    const functions = [fn('Back', await bundle('back', source('Back', 0))), fn('Front', await bundle('front', source('Front', 300)))];
    const lambda = start(functions, { log: (_name, line) => seen.push(line), warmFirst: ['Front'] });
    const at = (text: string) => Number(seen.find((line) => line.startsWith(text))?.split(' ').at(-1));

    // Act
    await lambda.ready(['Front']);
    const backBeganBeforeFrontWasReady = seen.some((line) => line.startsWith('Back init begins'));
    await lambda.ready();

    // Assess
    expect(backBeganBeforeFrontWasReady).toBe(false);
    expect(at('Back init begins')).toBeGreaterThanOrEqual(at('Front init ends'));
    expect(seen.some((line) => line.startsWith('Back init ends'))).toBe(true);
  });

  it('grows a pool of environments for concurrent invocations, up to the cap', async () => {
    // Prepare
    const source = `
      import { threadId } from 'node:worker_threads';
      export const handler = async (event) => { await new Promise((r) => setTimeout(r, event.ms)); return threadId; };`;
    const pooled = start([fn('Pooled', await bundle('pooled', source))], { maxEnvironmentsPerFunction: 3 });
    await pooled.ready();

    // Act: the first wave starts new environments; the second finds them warm.
    await Promise.all([1, 2, 3].map(() => pooled.invoke('Pooled', { ms: 1500 })));
    const parallel = await Promise.all([1, 2, 3].map(() => pooled.invoke('Pooled', { ms: 300 })));
    await pooled.stop();
    const capped = start([fn('Capped', await bundle('capped', source))], { maxEnvironmentsPerFunction: 1 });
    const serial = await Promise.all([capped.invoke('Capped', { ms: 50 }), capped.invoke('Capped', { ms: 50 })]);

    // Assess
    const threads = (results: readonly InvokeResult[]) => new Set(results.map((r) => (r.ok ? r.result : r.errorMessage)));
    expect(parallel.every((r) => r.ok)).toBe(true);
    expect(threads(parallel).size).toBe(3);
    expect(serial.every((r) => r.ok)).toBe(true);
    expect(threads(serial).size).toBe(1);
  });

  it("caps a function's environments at the machine's cores by default, at least 2 and at most 10", async () => {
    // Prepare
    const source = `
      import { threadId } from 'node:worker_threads';
      export const handler = async () => { await new Promise((r) => setTimeout(r, 400)); return threadId; };`;
    const lambda = start([fn('Default', await bundle('default-cap', source))]);
    await lambda.ready();

    // Act: two more concurrent invocations than the default allows environments.
    const results = await Promise.all(Array.from({ length: DEFAULT_MAX_ENVIRONMENTS + 2 }, () => lambda.invoke('Default', {})));

    // Assess
    expect(DEFAULT_MAX_ENVIRONMENTS).toBe(Math.min(10, Math.max(2, availableParallelism())));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(new Set(results.map((r) => (r.ok ? r.result : undefined))).size).toBe(DEFAULT_MAX_ENVIRONMENTS);
  });

  it('runs a queued invocation on the first environment to become free', async () => {
    // Prepare
    const lambda = start([fn('Quick', await bundle('quick', `export const handler = async () => { await new Promise((r) => setTimeout(r, 20)); return 'done'; };`))]);
    await lambda.ready();

    // Act
    const results = await Promise.all([lambda.invoke('Quick', {}), lambda.invoke('Quick', {})]);

    // Assess: the second waited ~20 ms for the warm environment, not for a new one's init.
    expect(results.every((r) => r.ok)).toBe(true);
    expect(lines.filter(([, line]) => line.startsWith('REPORT') && line.includes('Init Duration'))).toHaveLength(1);
  });

  it('reports a bundle without the handler export as Runtime.HandlerNotFound', async () => {
    // Prepare
    const lambda = start([fn('NoExport', await bundle('no-export', `export const other = () => 1;`))]);

    // Act
    const result = await lambda.invoke('NoExport', {});

    // Assess
    expect(result).toMatchObject({ ok: false, errorType: 'Runtime.HandlerNotFound', errorMessage: 'index.handler is undefined or not exported' });
  });

  it('ready() resolves once the first environments have loaded their bundles', async () => {
    // Prepare
    const lambda = start([
      fn('Slow', await bundle('slow-init', `await new Promise((r) => setTimeout(r, 300)); export const handler = async () => 'warm';`)),
      fn('Broken', await bundle('broken-init', `throw new Error('init failed');`)),
    ]);

    // Act
    await lambda.ready();
    const result = await lambda.invoke('Slow', {});

    // Assess
    expect(result.ok).toBe(true);
    expect(lines.find(([name, line]) => name === 'Stack-Slow' && line.startsWith('REPORT'))?.[1]).toContain('Init Duration');
    expect(result.durationMs).toBeLessThan(250);
    expect(await lambda.invoke('Broken', {})).toMatchObject({ ok: false, errorType: 'Runtime.ImportModuleError', errorMessage: 'Error: init failed' });
  });

  it('replaces an environment that died between invocations, and logs why', async () => {
    // Prepare
    const lambda = start([fn('Late', await bundle('late', `
      let calls = 0;
      export const handler = async () => { calls += 1; setTimeout(() => { throw new Error('late failure'); }, 10); return calls; };`))]);
    const first = await lambda.invoke('Late', {});
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Act
    const second = await lambda.invoke('Late', {});

    // Assess
    expect(first).toMatchObject({ ok: true, result: 1 });
    expect(second).toMatchObject({ ok: true, result: 1 });
    expect(lines.some(([name, line]) => name === 'Stack-Late' && line.includes('Runtime.UnhandledError') && line.includes('late failure'))).toBe(true);
  });

  it('fails an invocation whose init phase exceeds the init limit', async () => {
    // Prepare
    const lambda = start([fn('Hangs', await bundle('hangs', `await new Promise(() => setInterval(() => {}, 1000)); export const handler = async () => 1;`))], {
      initTimeoutMs: 300,
    });

    // Act
    const result = await lambda.invoke('Hangs', {});

    // Assess
    expect(result).toMatchObject({ ok: false, errorType: 'Runtime.InitTimeout' });
  });

  it('rejects an unknown function', async () => {
    // Prepare
    const lambda = start([]);

    // Act
    const invoking = lambda.invoke('Nope', {});

    // Assess
    await expect(invoking).rejects.toBeInstanceOf(UnknownFunctionError);
  });

  describe('faults', () => {
    const effectSource = `
      import { appendFileSync } from 'node:fs';
      export const handler = async (event) => { appendFileSync(event.file, 'x'); return { batchItemFailures: [] }; };`;

    it('a transient fault fails an SQS invocation before the handler runs', async () => {
      // Prepare
      const lambda = start([fn('Effect', await bundle('transient', effectSource))], { faults: { transientFailureRate: 1 } });
      const file = join(root, 'transient.out');

      // Act
      const result = await lambda.invoke('Effect', { file }, { source: 'sqs' });

      // Assess
      expect(result).toMatchObject({ ok: false, errorType: 'QueueflowInjectedFault', injectedFault: 'transient' });
      expect(existsSync(file)).toBe(false);
    });

    it('a crash after effect runs the handler, then fails the invocation', async () => {
      // Prepare
      const lambda = start([fn('Effect', await bundle('crash', effectSource))], { faults: { crashAfterEffectRate: 1 } });
      const file = join(root, 'crash.out');

      // Act
      const result = await lambda.invoke('Effect', { file }, { source: 'sqs' });

      // Assess
      expect(result).toMatchObject({ ok: false, errorType: 'QueueflowInjectedFault', injectedFault: 'crash-after-effect' });
      expect(existsSync(file)).toBe(true);
    });

    it('a duplicate delivery succeeds and is flagged for the poller', async () => {
      // Prepare
      const lambda = start([fn('Effect', await bundle('duplicate', effectSource))], { faults: { duplicateDeliveryRate: 1 } });

      // Act
      const result = await lambda.invoke('Effect', { file: join(root, 'duplicate.out') }, { source: 'sqs' });

      // Assess
      expect(result).toMatchObject({ ok: true, injectedFault: 'duplicate-delivery' });
    });

    it('never injects faults into API invocations', async () => {
      // Prepare
      const lambda = start([fn('Effect', await bundle('api', effectSource))], { faults: { transientFailureRate: 1 } });
      const file = join(root, 'api.out');

      // Act
      const result = await lambda.invoke('Effect', { file }, { source: 'api' });

      // Assess
      expect(result).toMatchObject({ ok: true });
      expect(result).not.toHaveProperty('injectedFault');
      expect(existsSync(file)).toBe(true);
    });
  });
});
