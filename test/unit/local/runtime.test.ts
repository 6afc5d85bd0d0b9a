import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isErrorLine, READY_LINE, startLocalRuntime, type LocalRuntime } from '../../../lib/local/runtime.ts';
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

describe('isErrorLine', () => {
  it.each([
    ['{"level":"ERROR","message":"m"}', 'stdout', true],
    ['{"level":"CRITICAL","message":"m"}', 'stderr', true],
    ['{"level":"INFO","message":"m"}', 'stderr', false],
    ['{"level":"WARN","message":"m"}', 'stdout', false],
    ['TypeError: boom', 'stderr', true],
    ['{not json', 'stderr', true],
    ['plain', 'stdout', false],
    ['ERROR RequestId: r Runtime.ExitError: exit', 'host', true],
    ['REPORT RequestId: r\tDuration: 1 ms', 'host', false],
  ] as const)('%s on %s → %s', (line, stream, expected) => {
    // Act
    const shown = isErrorLine(line, stream);

    // Assess
    expect(shown).toBe(expected);
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

  const run = async (quiet: boolean) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'queueflow-runtime-'));
    dirs.push(dataDir);
    const lines: { line: string; at: number }[] = [];
    const print = (line: string) => lines.push({ line, at: Date.now() });
    const runtime: LocalRuntime = await startLocalRuntime({
      port: 0, awsPort: 0, dataDir, stateFile: join(dataDir, 'local.json'), assembly, stackName: TINY_STACK,
      synth: false, watch: false, quiet, print, printError: print,
    });
    const waitFor = async (text: string) => {
      for (let i = 0; i < 100 && !lines.some(({ line }) => line.includes(text)); i++) await sleep(50);
      return lines.find(({ line }) => line.includes(text));
    };
    return { runtime, lines, waitFor };
  };

  it('prints the ready line only after every function finished its init', async () => {
    // Prepare
    const { runtime, lines, waitFor } = await run(false);

    // Act
    const finished = await waitFor('init-finished');
    await runtime.stop();

    // Assess
    const ready = lines.find(({ line }) => line === READY_LINE);
    const finishedAt = Number(finished?.line.split('init-finished ')[1]);
    expect(ready).toBeDefined();
    expect(finishedAt).toBeLessThanOrEqual(ready!.at);
  }, 60_000);

  it('keeps error-level and stderr lines of functions under quiet, and hides the rest', async () => {
    // Prepare
    const { runtime, lines, waitFor } = await run(true);

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
