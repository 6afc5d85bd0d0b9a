/**
 * The ordered account lifecycle against the local runtime, from outside: the API publishes to the
 * FIFO topic, billing applies an account's events in order, a charge it must refuse (the account
 * was never verified) lands in its FIFO DLQ with its message group, `queueflow dlq peek` shows the
 * group and `redrive` puts it back in its group, and a key value SNS would refuse as a group id
 * answers 400.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerOutputKeys } from '../../lib/constructs/output-keys.ts';
import { SampleOutputKeys } from '../../sample/output-keys.ts';
import { queueDepth } from '../../bench/lib/aws.ts';
import { startRuntime, type RuntimeProcess } from '../../bench/lib/runtime.ts';

const CLI = fileURLToPath(new URL('../../bin/queueflow.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WAIT_MS = 30_000;

describe('ordered account lifecycle on the local runtime', () => {
  let runtime: RuntimeProcess;
  const run = Date.now().toString(36);

  beforeAll(async () => {
    runtime = await startRuntime();
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  const cli = (...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [CLI, 'dlq', ...args, '--state-file', join(runtime.dataDir, 'local.json')], { cwd: ROOT, timeout: 120_000 }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
      );
    });

  const accepted = async (path: string, body: unknown): Promise<string> => {
    const response = await runtime.post(path, body);
    expect(response.status).toBe(202);
    return ((await response.json()) as { eventId: string }).eventId;
  };

  const billingEffects = async (accountId: string) => {
    const { Items = [] } = await runtime.clients.dynamodb.send(new ScanCommand({ TableName: runtime.outputOf(SampleOutputKeys.LedgerTableName) }));
    return Items.filter((item) => item.consumer?.S === 'billing' && item.accountId?.S === accountId)
      .map((item) => ({ eventId: item.eventId!.S!, effect: item.effect!.S!, sequence: Number(item.sequence!.N) }))
      .sort((a, b) => a.sequence - b.sequence);
  };

  const waitFor = async <T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> => {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const value = await read();
      if (done(value) || Date.now() > deadline) return value;
      await sleep(250);
    }
  };

  it('applies an account\'s events in the order they were accepted', async () => {
    // Act: each request after the previous one's 202
    const accountId = `acc-${run}-1`;
    const ids = [
      await accepted('accounts', { accountId, email: 'ordered.test@example.com' }),
      await accepted(`accounts/${accountId}/verification`, {}),
      await accepted(`accounts/${accountId}/charges`, { amountCents: 1200, currency: 'EUR' }),
      await accepted(`accounts/${accountId}/charges`, { amountCents: 300, currency: 'EUR' }),
    ];

    // Assess
    const effects = await waitFor(() => billingEffects(accountId), (found) => found.length === 4);
    expect(effects).toEqual([
      { eventId: ids[0], effect: 'account.opened', sequence: 1 },
      { eventId: ids[1], effect: 'account.verified', sequence: 2 },
      { eventId: ids[2], effect: 'account.charged', sequence: 3 },
      { eventId: ids[3], effect: 'account.charged', sequence: 4 },
    ]);
  });

  it('dead-letters a charge of an unverified account with its group; peek shows the group; redrive puts it back in it', async () => {
    // Prepare
    const accountId = `acc-${run}-2`;
    await accepted('accounts', { accountId, email: 'ordered.test@example.com' });
    const charge = await accepted(`accounts/${accountId}/charges`, { amountCents: 500, currency: 'EUR' });
    const dlqUrl = runtime.outputOf(consumerOutputKeys('billing').dlqUrl);
    await waitFor(() => queueDepth(runtime.clients.sqs, dlqUrl), (depth) => depth.visible === 1);

    // Act
    const peek = await cli('peek', 'billing', '--json');
    const redrive = await cli('redrive', 'billing', '--yes');

    // Assess
    expect(peek.code).toBe(0);
    expect(JSON.parse(peek.stdout).deadLetters).toEqual([
      expect.objectContaining({ eventId: charge, eventType: 'account.charged', messageGroupId: accountId, failure: expect.objectContaining({ errorType: 'AccountNotVerifiedError', permanent: true }) }),
    ]);
    expect(redrive.code).toBe(0);
    // Back in its group, refused again (the account is still not verified), and dead-lettered again.
    const again = await waitFor(() => cli('peek', 'billing', '--json'), (result) => JSON.parse(result.stdout || '{"deadLetters":[]}').deadLetters.length === 1);
    expect(JSON.parse(again.stdout).deadLetters).toEqual([expect.objectContaining({ eventId: charge, messageGroupId: accountId })]);
    expect((await billingEffects(accountId)).map((effect) => effect.effect)).toEqual(['account.opened']);
    await cli('purge', 'billing', '--yes');
  });

  it('answers 400 to an account id that cannot be a message group and publishes nothing', async () => {
    const response = await runtime.post('accounts', { accountId: 'has space', email: 'ordered.test@example.com' });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });
});
