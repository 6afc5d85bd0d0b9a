/**
 * A fauxqs server on a free port for the tests of the local SQS event source: started before a
 * file's tests with an SQS client on it, the poller a test started stopped after each test, and
 * both stopped after the file.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs, type FauxqsServer } from 'fauxqs';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { EventSourcePoller } from '../../lib/local/event-source-poller.ts';

export const region = 'us-east-1';
export const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface FauxqsServerFixture {
  readonly server: FauxqsServer;
  readonly endpoint: string;
  readonly sqs: SQSClient;
  /** The poller a test started: stopped after the test. */
  poller: EventSourcePoller | undefined;
}

/** Call at a test file's top level; the fixture's fields are set once its `beforeAll` has run. */
export const useFauxqsServer = (): FauxqsServerFixture => {
  const fixture = { poller: undefined } as { server: FauxqsServer; endpoint: string; sqs: SQSClient; poller: EventSourcePoller | undefined };
  beforeAll(async () => {
    fixture.server = await startFauxqs({ port: 0, logger: false });
    fixture.endpoint = `http://127.0.0.1:${fixture.server.port}`;
    fixture.sqs = new SQSClient({ endpoint: fixture.endpoint, region, credentials });
  });
  afterEach(async () => {
    await fixture.poller?.stop();
    fixture.poller = undefined;
  });
  afterAll(async () => {
    fixture.sqs.destroy();
    await fixture.server.stop();
  });
  return fixture;
};

/** Polls `check` every 25 ms until it holds; throws after `timeoutMs`. */
export const waitFor = async (check: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};
