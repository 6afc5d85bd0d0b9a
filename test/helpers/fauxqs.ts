/**
 * fauxqs through its public API for the tests of patches/fauxqs+2.4.1.patch: apps built with
 * buildApp (optionally on a data directory), requests injected without a socket, and every app
 * and directory of a test closed and removed after it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from 'fauxqs';
import { afterEach } from 'vitest';

export type FauxqsApp = Awaited<ReturnType<typeof buildApp>>;

export const FAUXQS_ACCOUNT = '000000000000';
export const queueUrl = (name: string): string => `http://localhost/${FAUXQS_ACCOUNT}/${name}`;
export const queueArn = (name: string): string => `arn:aws:sqs:us-east-1:${FAUXQS_ACCOUNT}:${name}`;

/** One SQS JSON-protocol call: its HTTP status and its parsed body ({} when empty). */
export const sqsRequest = async (app: FauxqsApp, action: string, body: Record<string, unknown>): Promise<{ status: number; body: string; json: Record<string, any> }> => {
  const response = await app.inject({
    method: 'POST',
    url: '/',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
    payload: JSON.stringify(body),
  });
  return { status: response.statusCode, body: response.body, json: response.body ? JSON.parse(response.body) : {} };
};

/** One SNS query-protocol call: its HTTP status. */
export const snsRequest = async (app: FauxqsApp, params: Record<string, string>): Promise<number> => {
  const response = await app.inject({
    method: 'POST',
    url: '/',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(params).toString(),
  });
  return response.statusCode;
};

/**
 * Call inside a `describe`: `open` builds and readies an app (persistent when given a data
 * directory), `close` closes one before the test ends (a restart), `dataDir` makes a fresh
 * directory named `<prefix>…`; after each test every app still open is closed and every
 * directory removed.
 */
export const fauxqsApps = (prefix: string) => {
  const apps: FauxqsApp[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  });
  return {
    open: async (dataDir?: string): Promise<FauxqsApp> => {
      const app = buildApp({ logger: false, defaultRegion: 'us-east-1', ...(dataDir ? { dataDir, sqliteSynchronous: 'NORMAL' as const } : {}) });
      await app.ready();
      apps.push(app);
      return app;
    },
    close: async (app: FauxqsApp): Promise<void> => {
      apps.splice(apps.indexOf(app), 1);
      await app.close();
    },
    dataDir: (): string => {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
  };
};
