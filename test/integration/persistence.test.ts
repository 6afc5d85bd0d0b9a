/**
 * Durability of the local runtime: a kill -9 in the middle of a burst of orders, then a restart
 * on the same data folder. Every order that was acknowledged with 202 must still reach all three
 * consumers (messages in flight at the crash come back after their visibility timeout, as in SQS).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { ChangeMessageVisibilityCommand, CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { SampleOutputKeys } from '../../sample/output-keys.ts';
import { consumersTaking, readApp } from '../../bench/lib/assembly.ts';
import { startRuntime, type RuntimeProcess as TestRuntime } from '../../bench/lib/runtime.ts';

const ORDERS = 40;
const KILL_AFTER_ACCEPTED = 15;

const order = (index: number) => ({
  orderId: `persist-${index}`,
  customer: { id: `c-${index}`, email: `c${index}@example.com`, phone: '+15551234567' },
  items: [{ sku: 'BOOK-1', quantity: 1 }],
});

/** `consumer` values per eventId found in the ledger. */
async function ledgerEffects(runtime: TestRuntime): Promise<Map<string, Set<string>>> {
  const documents = DynamoDBDocumentClient.from(runtime.clients.dynamodb);
  const effects = new Map<string, Set<string>>();
  for await (const page of paginateScan({ client: documents }, { TableName: runtime.state.outputs[SampleOutputKeys.LedgerTableName] })) {
    for (const item of page.Items ?? []) {
      const consumers = effects.get(item.eventId as string) ?? new Set<string>();
      consumers.add(item.consumer as string);
      effects.set(item.eventId as string, consumers);
    }
  }
  return effects;
}

describe('persistence across kill -9', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'queueflow-persistence-'));
  let runtime: TestRuntime | undefined;

  afterAll(async () => {
    await runtime?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses no acknowledged order: each 202 reaches every consumer after a restart', async () => {
    // Prepare
    const first = await startRuntime({ dataDir });
    runtime = first;
    const accepted: string[] = [];
    let next = 0;
    let killed: Promise<void> | undefined;
    const sender = async () => {
      while (next < ORDERS && !killed) {
        const response = await first.post('orders', order(next++)).catch(() => undefined);
        if (response?.status === 202) {
          accepted.push(((await response.json()) as { eventId: string }).eventId);
          if (accepted.length >= KILL_AFTER_ACCEPTED) killed ??= first.kill9();
        }
      }
    };

    // Act: a burst from four callers, killed while orders are still arriving and being consumed.
    await Promise.all([sender(), sender(), sender(), sender()]);
    await killed;
    runtime = await first.restart();

    // Assess
    expect(accepted.length).toBeGreaterThanOrEqual(KILL_AFTER_ACCEPTED);
    expect(runtime.state.apiKey).toBe(first.state.apiKey);
    // In-flight messages reappear after the queues' visibility timeout (60 s in the sample).
    const deadline = Date.now() + 120_000;
    let missing: string[] = accepted;
    // Each consumer whose subscription takes order.placed (read from the assembly) must hold an effect for every order.
    const orderConsumers = consumersTaking(readApp(runtime.assemblyDir, runtime.state.stackName), 'order.placed').map((consumer) => consumer.name);
    expect(orderConsumers.length).toBeGreaterThan(0);
    while (missing.length > 0 && Date.now() < deadline) {
      await sleep(2_000);
      const effects = await ledgerEffects(runtime);
      missing = accepted.filter((eventId) => orderConsumers.some((consumer) => !effects.get(eventId)?.has(consumer)));
    }
    expect(missing).toEqual([]);
  }, 240_000);

  it('keeps a message released with visibility 0 across kill -9: it is received again, and again after the restart', async () => {
    // Prepare: a queue of its own (no event source mapping polls it), long visibility timeout so
    // only the release can make the message visible again.
    const releaseDir = mkdtempSync(join(tmpdir(), 'queueflow-release-'));
    let current = await startRuntime({ dataDir: releaseDir });
    try {
      const receive = async (sqs: SQSClient, url: string) =>
        (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 2, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }))).Messages ?? [];
      const { QueueUrl } = await current.clients.sqs.send(new CreateQueueCommand({ QueueName: 'released', Attributes: { VisibilityTimeout: '300' } }));
      const sent = await current.clients.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'release me' }));

      // Act
      const [first] = await receive(current.clients.sqs, QueueUrl!);
      await current.clients.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: first!.ReceiptHandle, VisibilityTimeout: 0 }));
      const [again] = await receive(current.clients.sqs, QueueUrl!);
      await current.clients.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: again!.ReceiptHandle, VisibilityTimeout: 0 }));
      await current.kill9();
      current = await current.restart();
      const [afterCrash] = await receive(current.clients.sqs, `${current.endpoint}/000000000000/released`);

      // Assess
      expect(again?.MessageId).toBe(sent.MessageId);
      expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
      expect(afterCrash?.MessageId).toBe(sent.MessageId);
      expect(afterCrash?.Attributes?.ApproximateReceiveCount).toBe('3');
    } finally {
      await current.stop();
      rmSync(releaseDir, { recursive: true, force: true });
    }
  }, 120_000);
});
