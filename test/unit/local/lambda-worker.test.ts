/**
 * The worker runs an asset as Lambda's Node.js runtime would in /var/task: the AWS SDK v3 is
 * provided when the asset does not bundle it, and only a package.json inside the asset sets the
 * module type of its `.js` files. The assets here sit in a temp folder under a package.json with
 * "type": "module" and no node_modules anywhere above them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaHost } from '../../../lib/local/lambda-host.ts';
import type { LocalFunction } from '../../../lib/local/model.ts';

const ASSETS: Record<string, Record<string, string>> = {
  Cjs: {
    'index.js': `
      const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
      const helper = require('./lib/helper.js');
      exports.handler = async () => ({ sdk: typeof DynamoDBClient, helper: helper(), commonjs: typeof module === 'object' });`,
    'lib/helper.js': 'module.exports = () => "helped";',
  },
  Esm: {
    'index.js': `
      import { SNSClient } from '@aws-sdk/client-sns';
      import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
      export const handler = async () => ({ sdk: typeof SNSClient, document: typeof DynamoDBDocumentClient });`,
  },
  Mjs: { 'index.mjs': `import { SQSClient } from '@aws-sdk/client-sqs'; export const handler = async () => ({ sdk: typeof SQSClient });` },
  TypedModule: { 'package.json': '{"type":"module"}', 'index.js': 'export const handler = async () => ({ esm: typeof require === "undefined" });' },
  NotProvided: { 'index.js': `require('left-pad'); exports.handler = async () => null;` },
};

describe('a Lambda worker', () => {
  let root: string;
  let host: LambdaHost;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'queueflow-worker-'));
    writeFileSync(join(root, 'package.json'), '{"type":"module"}');
    const functions: LocalFunction[] = Object.entries(ASSETS).map(([name, files]) => {
      const assetDir = join(root, `asset.${name}`);
      for (const [path, source] of Object.entries(files)) {
        mkdirSync(join(assetDir, path, '..'), { recursive: true });
        writeFileSync(join(assetDir, path), source);
      }
      return { logicalId: name, name, assetDir, handler: 'index.handler', runtime: 'nodejs22.x', architecture: 'x86_64', timeoutSeconds: 10, memorySizeMb: 256, environment: {} };
    });
    host = new LambdaHost({ functions, endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, log: () => {} });
  });

  afterAll(async () => {
    await host.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it.each([
    ['a CommonJS .js asset, despite the "type": "module" above it', 'Cjs', { sdk: 'function', helper: 'helped', commonjs: true }],
    ['an ESM .js asset (module syntax)', 'Esm', { sdk: 'function', document: 'function' }],
    ['an .mjs asset', 'Mjs', { sdk: 'function' }],
    ['a .js asset whose own package.json says "type": "module"', 'TypedModule', { esm: true }],
  ])('runs %s, resolving the unbundled AWS SDK from the runtime', async (_name, logicalId, expected) => {
    // Act
    const result = await host.invoke(logicalId, {});

    // Assess
    expect(result).toMatchObject({ ok: true, result: expected });
  });

  it('provides only the AWS SDK: other missing packages fail the init as on AWS', async () => {
    // Act
    const result = await host.invoke('NotProvided', {});

    // Assess
    expect(result).toMatchObject({ ok: false, errorType: 'Runtime.ImportModuleError', errorMessage: expect.stringContaining("Cannot find module 'left-pad'") });
  });
});
