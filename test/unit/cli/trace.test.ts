import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../lib/cli/io.ts';
import { formatTrace, runTrace, type LinkedTrace } from '../../../lib/cli/trace.ts';

const trace = (consoleUrl: string): LinkedTrace => ({
  eventId: 'e1',
  eventType: 'order.placed',
  correlationId: 'c1',
  consumers: [
    { consumer: 'email', queue: 'EmailQueue', status: 'processed', attempts: 1 },
    { consumer: 'inventory', queue: 'InventoryQueue', status: 'dead-lettered', attempts: 2 },
  ],
  steps: [
    { kind: 'accepted', at: 1_000, method: 'POST', path: '/orders', status: 202, latencyMs: 42, requestId: 'gw-1' },
    { kind: 'published', at: 1_030, by: 'producer', lambdaRequestId: 'l-p' },
    { kind: 'delivered', at: 1_031, consumer: 'email', queue: 'EmailQueue' },
    { kind: 'attempt', at: 1_050, consumer: 'inventory', functionName: 'F', attempt: 1, durationMs: 12, outcome: 'retry', error: 'TimeoutError: slow', backoffSeconds: 4, attemptsLeft: 1, lambdaRequestId: 'l-1' },
    { kind: 'dead-lettered', at: 6_000, consumer: 'inventory', queue: 'InventoryDlq' },
  ],
  link: `${consoleUrl}#/trace/e1`,
});

const capture = () => {
  const out = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: { write: (text: string) => (out.stdout += text) },
    stderr: { write: (text: string) => (out.stderr += text) },
    stdinIsTTY: false,
    confirm: async () => false,
    now: () => 0,
    sleep: async () => undefined,
  };
  return { io, out };
};

describe('queueflow trace', () => {
  let server: Server;
  let consoleUrl: string;
  let folder: string;
  let stateFile: string;
  const requested: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      requested.push(req.url!);
      if (req.url === '/api/traces/e1') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(trace(consoleUrl)));
      } else {
        res.writeHead(404, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ status: 404, detail: 'No trace of event nope' }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    consoleUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    folder = mkdtempSync(join(tmpdir(), 'queueflow-trace-cli-'));
    stateFile = join(folder, 'local.json');
    const state = { pid: process.pid, endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, outputs: {}, consoleUrl };
    writeFileSync(stateFile, JSON.stringify(state));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(folder, { recursive: true, force: true });
  });

  it("prints the event's timeline and its console link", async () => {
    const { io, out } = capture();

    expect(await runTrace(['e1', '--state-file', stateFile], io)).toBe(0);

    expect(out.stdout.split('\n')).toEqual([
      'event e1  order.placed  correlation c1',
      'consumers: email processed · inventory dead-lettered (2 attempts)',
      '',
      '       +0 ms  accepted       POST /orders → 202 in 42 ms (request gw-1)',
      '      +30 ms  published      by producer (invocation l-p)',
      '      +31 ms  delivered      to email (EmailQueue)',
      '      +50 ms  attempt 1      inventory: failed, retry in 4 s (1 left) in 12 ms — TimeoutError: slow (invocation l-1)',
      '     +5.00 s  dead-lettered  inventory → InventoryDlq',
      '',
      `console: ${consoleUrl}#/trace/e1`,
      '',
    ]);
  });

  it('prints the trace as JSON with --json', async () => {
    const { io, out } = capture();
    expect(await runTrace(['e1', '--json', '--state-file', stateFile], io)).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual(trace(consoleUrl));
  });

  it('says so, exit 1, when the runtime has no trace of the event', async () => {
    const { io, out } = capture();
    expect(await runTrace(['nope', '--state-file', stateFile], io)).toBe(1);
    expect(out.stderr).toBe('queueflow: No trace of event nope\n');
  });

  it.each([
    [[], 'trace needs an event id'],
    [['e1'], 'pass --local'],
    [['e1', 'e2', '--local'], 'unexpected argument "e2"'],
    [['e1', '--stack', 'Shop'], "Unknown option '--stack'"],
  ])('refuses %j with a usage error (exit 2)', async (argv, message) => {
    const { io, out } = capture();
    expect(await runTrace(argv, io)).toBe(2);
    expect(out.stderr).toContain(message);
  });

  it('explains a runtime without a console (an older state file)', async () => {
    const old = join(folder, 'old.json');
    writeFileSync(old, JSON.stringify({ pid: process.pid, endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' }, outputs: {} }));
    const { io, out } = capture();
    expect(await runTrace(['e1', '--state-file', old], io)).toBe(1);
    expect(out.stderr).toContain('names no console');
  });

  it('escapes control characters a trace carries before they reach the terminal', () => {
    const lines = formatTrace({ ...trace('http://x/'), eventType: 'evil\u001b[2J' });
    expect(lines[0]).not.toContain('\u001b');
  });
});
