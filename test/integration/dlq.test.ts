/**
 * The dead-letter CLI against the local runtime, run as operators run it: `node bin/queueflow.mjs
 * dlq …` in a child process, pointed at the runtime by its state file.
 *
 * Two kinds of dead letter:
 * - a poison order (a SKU the inventory does not stock): it can never succeed, so it is peeked
 *   with its recorded UnknownSkuError and then purged;
 * - orders that died because a dependency was down (the ledger table deleted): once the cause is
 *   removed (the table recreated) they are redriven and each is processed exactly once, also when
 *   a redrive is killed part-way.
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOLD_SECONDS } from '../../lib/cli/dead-letters.ts';
import { startRuntime } from './helpers/runtime.ts';

type Runtime = Awaited<ReturnType<typeof startRuntime>>;

const CLI = fileURLToPath(new URL('../../bin/queueflow.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Five failed attempts with the sample's 1 s backoff base, capped by jitter: well under a minute. */
const DEAD_LETTER_WAIT_MS = 60_000;

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('queueflow dlq against the local runtime', () => {
  let runtime: Runtime;
  /** The state file the runtime wrote (the harness keeps it in the data folder). */
  let stateFile: string;

  beforeAll(async () => {
    runtime = await startRuntime();
    stateFile = join(runtime.dataDir, 'local.json');
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  const cli = (...args: string[]): Promise<CliRun> =>
    new Promise((resolve) => {
      execFile(process.execPath, [CLI, 'dlq', ...args, '--state-file', stateFile], { cwd: ROOT, timeout: 120_000 }, (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
      });
    });

  const placeOrder = async (sku: string): Promise<string> => {
    const response = await runtime.post('orders', {
      orderId: `o-${randomUUID().slice(0, 8)}`,
      customer: { id: 'c-1', email: 'dlq.test.person@example.com', phone: '+15550100' },
      items: [{ sku, quantity: 1 }],
    });
    expect(response.status).toBe(202);
    return ((await response.json()) as { eventId: string }).eventId;
  };

  const depth = async (queueUrl: string): Promise<{ visible: number; inFlight: number }> => {
    const { Attributes = {} } = await runtime.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return { visible: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
  };

  const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = DEAD_LETTER_WAIT_MS): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(500);
    }
  };

  /** Every queue of a consumer is empty and idle: nothing left to arrive in its DLQ or ledger. */
  const settled = async (consumer: string): Promise<boolean> => {
    const queue = await depth(runtime.outputOf(`${consumer}QueueUrl`));
    return queue.visible + queue.inFlight === 0;
  };

  const ledgerEffects = async (consumer: string): Promise<string[]> => {
    const eventIds: string[] = [];
    let start: Record<string, never> | undefined;
    do {
      const page = await runtime.clients.dynamodb.send(
        new ScanCommand({
          TableName: runtime.outputOf('LedgerTableName'),
          FilterExpression: '#consumer = :consumer',
          ExpressionAttributeNames: { '#consumer': 'consumer' },
          ExpressionAttributeValues: { ':consumer': { S: consumer } },
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      eventIds.push(...(page.Items ?? []).map((item) => item.eventId!.S!));
      start = page.LastEvaluatedKey as typeof start;
    } while (start !== undefined);
    return eventIds;
  };

  const countOf = (values: readonly string[], value: string): number => values.filter((entry) => entry === value).length;

  /** The outage the redrive tests recover from: the consumers' effect store is gone. */
  const deleteLedgerTable = async (): Promise<void> => {
    await runtime.clients.dynamodb.send(new DeleteTableCommand({ TableName: runtime.outputOf('LedgerTableName') }));
    await waitFor('the ledger table to be deleted', async () => {
      try {
        await runtime.clients.dynamodb.send(new DescribeTableCommand({ TableName: runtime.outputOf('LedgerTableName') }));
        return false;
      } catch (error) {
        return error instanceof ResourceNotFoundException;
      }
    });
  };

  /** Removes the cause: the ledger table is back, with the stack's key schema. */
  const restoreLedgerTable = async (): Promise<void> => {
    await runtime.clients.dynamodb.send(
      new CreateTableCommand({
        TableName: runtime.outputOf('LedgerTableName'),
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await waitFor('the ledger table to be active', async () => {
      const { Table } = await runtime.clients.dynamodb.send(new DescribeTableCommand({ TableName: runtime.outputOf('LedgerTableName') }));
      return Table?.TableStatus === 'ACTIVE';
    });
  };

  interface PeekJson {
    deadLetters: { eventId: string | null; receiveCount: number; failure: { errorType?: string; attempts?: number } | null }[];
  }

  it('peeks a poison order with the error the consumer recorded, and purges it only when asked', async () => {
    // Prepare
    const eventId = await placeOrder('NOPE-1');
    await waitFor('the poison order in the inventory DLQ', async () => (await depth(runtime.outputOf('InventoryDlqUrl'))).visible === 1);

    // Act
    const peek = await cli('peek', 'inventory', '--json');
    const list = await cli('list', '--json');
    const refused = await cli('purge', 'inventory');
    const purge = await cli('purge', 'inventory', '--yes');

    // Assess
    expect(peek.code).toBe(0);
    const letters = (JSON.parse(peek.stdout) as PeekJson).deadLetters;
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ eventId, failure: { errorType: 'UnknownSkuError', attempts: 5 } });
    expect(peek.stdout).not.toContain('dlq.test.person@example.com');
    expect(peek.stdout).not.toContain('NOPE-1');

    expect(list.code).toBe(0);
    const statuses = JSON.parse(list.stdout).consumers as {
      consumer: string;
      dlq: { visible: number; inFlight: number };
      oldestDeadLetterAgeSeconds: number | null;
    }[];
    expect(statuses.map((status) => [status.consumer, status.dlq.visible + status.dlq.inFlight])).toEqual([
      ['email', 0],
      ['inventory', 1],
      ['sms', 0],
    ]);
    expect(statuses.find((status) => status.consumer === 'inventory')!.oldestDeadLetterAgeSeconds).toBeGreaterThan(0);

    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('refusing to purge ~1 dead letter from the inventory DLQ without --yes');
    expect(purge.code).toBe(0);
    await waitFor('the purged DLQ to be empty', async () => {
      const dlq = await depth(runtime.outputOf('InventoryDlqUrl'));
      return dlq.visible + dlq.inFlight === 0;
    }, 10_000);
    // The other consumers handled the same order normally.
    expect(countOf(await ledgerEffects('email'), eventId)).toBe(1);
  }, 120_000);

  it('redrives dead letters once their cause is removed: each is processed once and the DLQ is empty', async () => {
    // Prepare: the ledger is down, so every consumer fails the order into its DLQ
    await deleteLedgerTable();
    const eventId = await placeOrder('BOOK-1');
    await waitFor('the order in all three DLQs', async () => {
      const depths = await Promise.all(['Email', 'Sms', 'Inventory'].map((name) => depth(runtime.outputOf(`${name}DlqUrl`))));
      return depths.every((dlq) => dlq.visible === 1);
    });
    const peek = await cli('peek', 'inventory', '--json');
    expect((JSON.parse(peek.stdout) as PeekJson).deadLetters[0]).toMatchObject({ eventId, failure: { errorType: 'ResourceNotFoundException' } });
    await restoreLedgerTable();

    // Act
    const redrives = [await cli('redrive', 'inventory', '--json'), await cli('redrive', 'email'), await cli('redrive', 'sms', '--rate', '5')];

    // Assess
    expect(redrives.map((run) => run.code)).toEqual([0, 0, 0]);
    expect(JSON.parse(redrives[0]!.stdout)).toEqual({ consumer: 'inventory', method: 'send-then-delete', moved: 1, failed: 0, notFound: [] });
    for (const consumer of ['inventory', 'email', 'sms']) {
      await waitFor(`${consumer} to process the redriven order`, async () => (await ledgerEffects(consumer)).includes(eventId));
      await waitFor(`${consumer}'s queue to settle`, () => settled(consumer[0]!.toUpperCase() + consumer.slice(1)));
      expect(countOf(await ledgerEffects(consumer), eventId)).toBe(1);
    }
    const list = JSON.parse((await cli('list', '--json')).stdout) as { consumers: { dlq: { visible: number; inFlight: number } }[] };
    expect(list.consumers.map((status) => status.dlq.visible + status.dlq.inFlight)).toEqual([0, 0, 0]);
    const empty = await cli('peek', 'inventory');
    expect(empty).toMatchObject({ code: 0, stdout: '' });
    expect(empty.stderr).toContain('The inventory DLQ is empty');
  }, 180_000);

  it('loses no message when a redrive is killed part-way, and finishes on a second run', async () => {
    // Prepare
    await deleteLedgerTable();
    const eventIds = await Promise.all(Array.from({ length: 6 }, () => placeOrder('MUG-1')));
    await waitFor('six orders in the inventory DLQ', async () => (await depth(runtime.outputOf('InventoryDlqUrl'))).visible === 6, 90_000);
    await restoreLedgerTable();

    // Act: one message a second, killed without warning once two have moved
    const child = spawn(process.execPath, [CLI, 'dlq', 'redrive', 'inventory', '--rate', '1', '--yes', '--state-file', stateFile], { cwd: ROOT });
    let progress = '';
    child.stderr.on('data', (chunk: Buffer) => {
      progress += chunk.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await waitFor('the redrive to move two messages', async () => /moved [2-6]\/6/.test(progress), 30_000);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    // Assess: once the killed CLI's hold on its last batch (one message at --rate 1) has run out,
    // every event is processed or still dead. The emulator only returns expired messages when
    // someone receives, so the hold is waited out rather than watched.
    await sleep((HOLD_SECONDS + 1 + 2) * 1000);
    await waitFor('the inventory queue to settle', () => settled('Inventory'));
    const processed = await ledgerEffects('inventory');
    const dead = (JSON.parse((await cli('peek', 'inventory', '--json', '--limit', '100')).stdout) as PeekJson).deadLetters.map(
      (letter) => letter.eventId,
    );
    expect(eventIds.filter((eventId) => processed.includes(eventId)).length).toBeGreaterThanOrEqual(2);
    expect(eventIds.filter((eventId) => !processed.includes(eventId) && !dead.includes(eventId))).toEqual([]);

    // Act: the operator runs the redrive again
    const rerun = await cli('redrive', 'inventory', '--json');

    // Assess
    expect(rerun.code).toBe(0);
    await waitFor('every order reserved', async () => {
      const effects = await ledgerEffects('inventory');
      return eventIds.every((eventId) => effects.includes(eventId));
    });
    await waitFor('the inventory queue to settle', () => settled('Inventory'));
    const effects = await ledgerEffects('inventory');
    expect(eventIds.map((eventId) => countOf(effects, eventId))).toEqual([1, 1, 1, 1, 1, 1]);
    const dlq = await depth(runtime.outputOf('InventoryDlqUrl'));
    expect(dlq.visible + dlq.inFlight).toBe(0);
  }, 240_000);
});
