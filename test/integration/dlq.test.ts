/**
 * The dead-letter CLI against the local runtime, run as operators run it: `node bin/queueflow.mjs
 * dlq …` in a child process, pointed at the runtime by its state file.
 *
 * Three kinds of dead letter:
 * - a poison order (a SKU the inventory does not stock), placed through the API: the inventory
 *   consumer fails it permanently and sends it to its DLQ at once, so it is peeked with its
 *   recorded UnknownSkuError and then purged;
 * - orders whose cause has since been removed, redriven and each processed exactly once, also
 *   when a redrive is killed part-way. A transient failure reaches a DLQ only after the retry
 *   budget (an hour in the sample), so these are put into the DLQs as a consumer leaves them
 *   there: the envelope the producer publishes, with its eventType and correlationId attributes,
 *   as the consumer's dead-letter sender (and SQS's own move) keeps them;
 * - an order whose customer has since been erased: `peek` says so without naming the customer,
 *   and after a redrive the consumer records the confirmation as skipped.
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope, type Envelope } from '../../lambdas/shared/envelope.ts';
import { HOLD_SECONDS } from '../../lib/cli/dead-letters.ts';
import { consumerOutputKeys, consumerQueuesInOutputs } from '../../lib/constructs/output-keys.ts';
import { SampleOutputKeys } from '../../sample/output-keys.ts';
import { startRuntime } from '../../bench/lib/runtime.ts';

type Runtime = Awaited<ReturnType<typeof startRuntime>>;

const CLI = fileURLToPath(new URL('../../bin/queueflow.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** A permanent failure is in the DLQ after one attempt; a retry would wait its backoff, and the budget an hour. */
const PERMANENT_DEAD_LETTER_WAIT_MS = 10_000;
/** How long a redriven or published event may take to be processed. */
const PROCESSING_WAIT_MS = 30_000;
/** The event source the sample's producer stamps on its envelopes. */
const SAMPLE_EVENT_SOURCE = 'queueflow/sample';

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('queueflow dlq against the local runtime', () => {
  let runtime: Runtime;
  /** The state file the runtime wrote (the harness keeps it in the data folder). */
  let stateFile: string;
  let documents: DynamoDBDocumentClient;

  beforeAll(async () => {
    runtime = await startRuntime();
    stateFile = join(runtime.dataDir, 'local.json');
    documents = DynamoDBDocumentClient.from(runtime.clients.dynamodb);
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

  const newOrder = (sku: string, customerId = 'c-1') => ({
    orderId: `o-${randomUUID().slice(0, 8)}`,
    customer: { id: customerId, email: 'dlq.test.person@example.com', phone: '+15550100' },
    items: [{ sku, quantity: 1 }],
  });

  const placeOrder = async (sku: string): Promise<string> => {
    const response = await runtime.post('orders', newOrder(sku));
    expect(response.status).toBe(202);
    return ((await response.json()) as { eventId: string }).eventId;
  };

  /** An order.placed envelope as the producer publishes it: the customer is its data subject. */
  const orderEnvelope = (sku: string, customerId?: string): Envelope => {
    const data = newOrder(sku, customerId);
    return createEnvelope({ type: 'order.placed', source: SAMPLE_EVENT_SOURCE, data, correlationId: randomUUID(), subject: data.customer.id });
  };

  /**
   * Leaves `envelope` in the consumer's DLQ as the consumer does (lambdas/adapters/dead-letter-sender.ts):
   * the body it received and its message attributes.
   */
  const deadLetter = async (consumer: string, envelope: Envelope): Promise<void> => {
    await runtime.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: runtime.outputOf(consumerOutputKeys(consumer).dlqUrl),
        MessageBody: JSON.stringify(envelope),
        MessageAttributes: {
          eventType: { DataType: 'String', StringValue: envelope.type },
          correlationId: { DataType: 'String', StringValue: envelope.correlationid },
        },
      }),
    );
  };

  const depth = async (queueUrl: string): Promise<{ visible: number; inFlight: number }> => {
    const { Attributes = {} } = await runtime.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return { visible: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
  };

  const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = PROCESSING_WAIT_MS): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(500);
    }
  };

  /** Every queue of a consumer is empty and idle: nothing left to arrive in its DLQ or ledger. */
  const settled = async (consumer: string): Promise<boolean> => {
    const queue = await depth(runtime.outputOf(consumerOutputKeys(consumer).queueUrl));
    return queue.visible + queue.inFlight === 0;
  };

  const dlqEmpty = async (consumer: string): Promise<boolean> => {
    const dlq = await depth(runtime.outputOf(consumerOutputKeys(consumer).dlqUrl));
    return dlq.visible + dlq.inFlight === 0;
  };

  const ledgerEffects = async (consumer: string): Promise<string[]> => {
    const eventIds: string[] = [];
    let start: Record<string, never> | undefined;
    do {
      const page = await runtime.clients.dynamodb.send(
        new ScanCommand({
          TableName: runtime.outputOf(SampleOutputKeys.LedgerTableName),
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

  /** The ledger item of one effect (its key is the effect's idempotency key), if any. */
  const ledgerItem = async (consumer: string, eventId: string, effect: string): Promise<Record<string, unknown> | undefined> =>
    (await documents.send(new GetCommand({ TableName: runtime.outputOf(SampleOutputKeys.LedgerTableName), Key: { pk: `${consumer}#${eventId}#${effect}` } }))).Item;

  const countOf = (values: readonly string[], value: string): number => values.filter((entry) => entry === value).length;

  interface PeekJson {
    deadLetters: {
      eventId: string | null;
      receiveCount: number;
      failure: { errorType?: string; attempts?: number; permanent?: boolean } | null;
      subjectErased: { erasedAt: string; erasureEventId: string } | null;
    }[];
  }

  it('peeks a poison order, dead-lettered at once with the error the consumer recorded, and purges it only when asked', async () => {
    // Prepare
    const placedAt = Date.now();
    const eventId = await placeOrder('NOPE-1');
    await waitFor('the poison order in the inventory DLQ', async () => (await depth(runtime.outputOf('InventoryDlqUrl'))).visible === 1, PERMANENT_DEAD_LETTER_WAIT_MS);
    // The consumer writes the failure record alongside the DLQ copy; the batch ends after both.
    await waitFor('the inventory queue to settle', () => settled('Inventory'));

    // Act
    const peek = await cli('peek', 'inventory', '--json');
    const text = await cli('peek', 'inventory');
    const list = await cli('list', '--json');
    const refused = await cli('purge', 'inventory');
    const purge = await cli('purge', 'inventory', '--yes');

    // Assess
    expect(peek.code).toBe(0);
    const letters = (JSON.parse(peek.stdout) as PeekJson).deadLetters;
    expect(letters).toHaveLength(1);
    // One attempt, then a copy in the DLQ: the peek is that copy's first receive.
    expect(letters[0]).toMatchObject({ eventId, receiveCount: 1, failure: { errorType: 'UnknownSkuError', attempts: 1, permanent: true }, subjectErased: null });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/dead-lettered {4}permanent: sent to the DLQ at once/);
    expect(text.stdout).toContain('UnknownSkuError: SKU not in the inventory catalog at /items/0/sku');
    for (const run of [peek, text]) {
      expect(run.stdout).not.toContain('dlq.test.person@example.com');
      expect(run.stdout).not.toContain('NOPE-1');
    }

    expect(list.code).toBe(0);
    const statuses = JSON.parse(list.stdout).consumers as {
      consumer: string;
      dlq: { visible: number; inFlight: number };
      oldestDeadLetterAgeSeconds: number | null;
    }[];
    // Every consumer of the sample is listed, by name; only inventory's DLQ holds a letter.
    expect(statuses.map((status) => status.consumer)).toEqual(consumerQueuesInOutputs(runtime.state.outputs).map((consumer) => consumer.name));
    expect(statuses.filter((status) => status.dlq.visible + status.dlq.inFlight > 0).map((status) => [status.consumer, status.dlq.visible + status.dlq.inFlight])).toEqual([
      ['inventory', 1],
    ]);
    // Counted from when the consumer sent the copy, which is after the order was placed.
    const age = statuses.find((status) => status.consumer === 'inventory')!.oldestDeadLetterAgeSeconds;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThanOrEqual(Math.round((Date.now() - placedAt) / 1000) + 1);

    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('refusing to purge ~1 dead letter from the inventory DLQ without --yes');
    expect(purge.code).toBe(0);
    await waitFor('the purged DLQ to be empty', () => dlqEmpty('Inventory'), 10_000);
    // The other consumers handled the same order normally.
    await waitFor('email and sms to confirm the order', async () => (await ledgerEffects('email')).includes(eventId) && (await ledgerEffects('sms')).includes(eventId));
    expect(countOf(await ledgerEffects('email'), eventId)).toBe(1);
    expect(countOf(await ledgerEffects('sms'), eventId)).toBe(1);
  }, 120_000);

  it('redrives dead letters back to their consumers: each is processed once and the DLQ is empty', async () => {
    // Prepare: every consumer left the same order in its DLQ
    const envelope = orderEnvelope('BOOK-1');
    for (const consumer of ['Inventory', 'Email', 'Sms']) await deadLetter(consumer, envelope);
    const peek = await cli('peek', 'inventory', '--json');
    expect((JSON.parse(peek.stdout) as PeekJson).deadLetters.map((letter) => letter.eventId)).toEqual([envelope.id]);

    // Act
    const redrives = [await cli('redrive', 'inventory', '--json'), await cli('redrive', 'email'), await cli('redrive', 'sms', '--rate', '5')];

    // Assess
    expect(redrives.map((run) => run.code)).toEqual([0, 0, 0]);
    expect(JSON.parse(redrives[0]!.stdout)).toEqual({
      consumer: 'inventory',
      method: 'send-then-delete',
      moved: 1,
      failed: 0,
      notFound: [],
      erasedSubjects: { checked: 1, count: 0, sample: false },
    });
    expect(redrives[1]!.stdout).toBe('Moved 1 message from the email DLQ back to its queue; 0 failed.\n');
    for (const [consumer, effect] of [
      ['inventory', 'stock.reserved'],
      ['email', 'email.sent'],
      ['sms', 'sms.sent'],
    ] as const) {
      await waitFor(`${consumer} to process the redriven order`, async () => (await ledgerEffects(consumer)).includes(envelope.id));
      await waitFor(`${consumer}'s queue to settle`, () => settled(consumer));
      expect(countOf(await ledgerEffects(consumer), envelope.id)).toBe(1);
      expect(await ledgerItem(consumer, envelope.id, effect)).toMatchObject({ status: 'performed', deliveries: 1 });
    }
    const list = JSON.parse((await cli('list', '--json')).stdout) as { consumers: { dlq: { visible: number; inFlight: number } }[] };
    expect(list.consumers.map((status) => status.dlq.visible + status.dlq.inFlight).filter((count) => count > 0)).toEqual([]);
    const empty = await cli('peek', 'inventory');
    expect(empty).toMatchObject({ code: 0, stdout: '' });
    expect(empty.stderr).toContain('The inventory DLQ is empty');
  }, 180_000);

  it('loses no message when a redrive is killed part-way, and finishes on a second run', async () => {
    // Prepare
    const envelopes = Array.from({ length: 6 }, () => orderEnvelope('MUG-1'));
    const eventIds = envelopes.map((envelope) => envelope.id);
    for (const envelope of envelopes) await deadLetter('Inventory', envelope);
    await waitFor('six orders in the inventory DLQ', async () => (await depth(runtime.outputOf('InventoryDlqUrl'))).visible === 6);

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
    expect(await dlqEmpty('Inventory')).toBe(true);
  }, 240_000);

  it('says which dead letter concerns a customer erased since, and the redriven order is recorded as skipped', async () => {
    // Prepare: an order dead-lettered at email, then its customer asks to be erased
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    const envelope = orderEnvelope('BOOK-2', customerId);
    await deadLetter('Email', envelope);
    const erasure = await runtime.post(`users/${customerId}/erasure`, { reason: 'gdpr' });
    expect(erasure.status).toBe(202);
    const { eventId: erasureEventId } = (await erasure.json()) as { eventId: string };
    // The email consumer writes its tombstone before it records the erasure.
    await waitFor('the email consumer to process the erasure', async () => (await ledgerItem('email', erasureEventId, 'user.erased')) !== undefined);

    // Act
    const peek = await cli('peek', 'email', '--json');
    const text = await cli('peek', 'email');
    const redrive = await cli('redrive', 'email', '--json');

    // Assess: peek marks the letter, and never names the customer
    expect(peek.code).toBe(0);
    const [letter, ...others] = (JSON.parse(peek.stdout) as PeekJson).deadLetters;
    expect(others).toEqual([]);
    expect(letter).toMatchObject({ eventId: envelope.id, subjectErased: { erasedAt: expect.any(String), erasureEventId } });
    expect(Date.parse(letter!.subjectErased!.erasedAt)).toBeGreaterThanOrEqual(Date.parse(envelope.time));
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      `data subject     erased at ${letter!.subjectErased!.erasedAt} by event ${erasureEventId}; a redrive will skip its personal-data effect (recorded as skipped)`,
    );
    for (const run of [peek, text, redrive]) {
      expect(run.stdout + run.stderr).not.toContain(customerId);
      expect(run.stdout + run.stderr).not.toContain('dlq.test.person@example.com');
    }

    // Assess: the redrive moves it, counts it, and the consumer skips the confirmation
    expect(redrive.code).toBe(0);
    expect(JSON.parse(redrive.stdout)).toMatchObject({ consumer: 'email', moved: 1, failed: 0, erasedSubjects: { checked: 1, count: 1, sample: false } });
    expect(redrive.stderr).toContain('1 of these messages concerns a data subject erased since; the consumer will skip its personal-data effect (recorded as skipped).');
    await waitFor('email to process the redriven order', async () => (await ledgerItem('email', envelope.id, 'email.sent')) !== undefined);
    await waitFor("email's queue to settle", () => settled('Email'));
    expect(await ledgerItem('email', envelope.id, 'email.sent')).toMatchObject({
      consumer: 'email',
      orderId: envelope.data.orderId,
      status: 'skipped',
      skipReason: 'subject-erased',
      erasureEventId,
      deliveries: 1,
    });
    expect(await dlqEmpty('Email')).toBe(true);
  }, 120_000);
});
