/**
 * A short outage of a dependency dead-letters nothing (issue "Delivery that survives real
 * failures"): the sample's ledger table is deleted for 90 s while orders arrive, as the outage was
 * first reproduced against `npm start`, then created again. Every delivery that failed meanwhile is
 * retried within the consumers' retry budget (an hour), so afterwards every DLQ is empty and every
 * order has its three effects, once.
 *
 * It takes about 3–4 minutes: the 90 s outage, then the backoff the failed deliveries reached
 * (its ceiling doubles per attempt: at most ~64–128 s after 90 s of failures).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueDepth, scanLedger, waitForEmptyQueues } from '../../bench/lib/aws.ts';
import { OutputKeys, consumerQueuesInOutputs } from '../../lib/constructs/output-keys.ts';
import { SampleOutputKeys } from '../../sample/output-keys.ts';
import { startRuntime, type RuntimeProcess as TestRuntime } from '../../bench/lib/runtime.ts';

const OUTAGE_MS = 90_000;
const ORDERS = 10;

describe('a 90 s outage of the ledger table', () => {
  let runtime: TestRuntime;

  beforeAll(async () => {
    runtime = await startRuntime();
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  it('leaves every DLQ empty and every order processed once after recovery', { timeout: 480_000 }, async () => {
    // Prepare: the table's definition, to create it again as it was
    const { dynamodb, sqs } = runtime.clients;
    const tableName = runtime.outputOf(SampleOutputKeys.LedgerTableName);
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    const definition: CreateTableCommandInput = {
      TableName: tableName,
      KeySchema: Table!.KeySchema,
      AttributeDefinitions: Table!.AttributeDefinitions,
      BillingMode: 'PAY_PER_REQUEST',
    };

    // Act: the table goes away, orders arrive, the table comes back 90 s later
    await dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
    const outageStarted = Date.now();
    const orderIds: string[] = [];
    for (let index = 0; index < ORDERS; index += 1) {
      const orderId = `outage-${randomUUID().slice(0, 8)}`;
      const response = await runtime.post('orders', {
        orderId,
        customer: { id: `cus-${orderId}`, email: `${orderId}@example.com`, phone: '+14155550100' },
        items: [{ sku: 'BOOK-1', quantity: 1 }],
      });
      expect(response.status).toBe(202);
      orderIds.push(orderId);
      await sleep(2_000);
    }
    await sleep(Math.max(0, outageStarted + OUTAGE_MS - Date.now()));
    // Deliveries failed meanwhile, and their failure records say they are being retried.
    const { Items: failures = [] } = await dynamodb.send(new ScanCommand({ TableName: runtime.outputOf(OutputKeys.FailureTableName) }));
    await dynamodb.send(new CreateTableCommand(definition));
    const queues = consumerQueuesInOutputs(runtime.state.outputs);
    const drained = await waitForEmptyQueues(sqs, queues, 300_000);

    // Assess
    expect(failures.length).toBeGreaterThanOrEqual(ORDERS * 3);
    expect(failures.every((item) => item.permanent?.BOOL === false && item.errorType?.S === 'ResourceNotFoundException')).toBe(true);
    expect(drained).toBe(true);
    for (const queue of queues) {
      const dlq = await queueDepth(sqs, queue.dlqUrl);
      expect({ consumer: queue.name, ...dlq }).toEqual({ consumer: queue.name, visible: 0, inFlight: 0, delayed: 0 });
    }
    const effects = (await scanLedger(dynamodb, tableName)).filter((effect) => orderIds.includes(effect.subject));
    expect(effects).toHaveLength(ORDERS * 3);
    for (const orderId of orderIds) {
      const ofOrder = effects.filter((effect) => effect.subject === orderId);
      expect(ofOrder.map((effect) => `${effect.consumer}:${effect.status}:${effect.deliveries}`).sort()).toEqual([
        'email:performed:1',
        'inventory:performed:1',
        'sms:performed:1',
      ]);
    }
  });
});
