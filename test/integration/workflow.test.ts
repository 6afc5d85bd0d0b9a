/**
 * The sample workflow end to end on the local runtime, driven only from outside: HTTP to the API,
 * real SDK clients on the runtime's AWS endpoint. Effects are read from the sample's ledger
 * table: one item per effect, whose `deliveries` counts the attempts that reached it, so a
 * duplicate that got past the consumers' idempotency shows as `deliveries` 2.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope } from '../../lambdas/shared/envelope.ts';
import { OutputKeys, consumerOutputKeys } from '../../lib/constructs/output-keys.ts';
import { ledgerOf } from './helpers/ledger.ts';
import { startRuntime, type RuntimeProcess as TestRuntime } from '../../bench/lib/runtime.ts';

/**
 * A permanent failure is sent to the DLQ by the consumer on its first attempt: one poll and one
 * invocation. A retry would wait its backoff first (1–2 s, then 2–4 s, …) and the retry budget
 * takes an hour, so a poison order seen in the DLQ within this was not retried.
 */
const PERMANENT_DEAD_LETTER_WAIT_MS = 10_000;


describe('the sample workflow on the local runtime', () => {
  let runtime: TestRuntime;
  let ledger: DynamoDBDocumentClient;

  beforeAll(async () => {
    runtime = await startRuntime();
    ledger = DynamoDBDocumentClient.from(runtime.clients.dynamodb);
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  const effectsOf = (eventId: string) => ledgerOf(runtime).effectsOf(eventId);
  const settledEffectsOf = (eventId: string, count: number, timeoutMs?: number) => ledgerOf(runtime).settledEffectsOf(eventId, count, timeoutMs);

  const depth = async (queueUrl: string): Promise<number> => {
    const { Attributes = {} } = await runtime.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
  };

  const snsPublishes = async (): Promise<number> => {
    const stats = (await (await fetch(`${runtime.endpoint}/_queueflow/stats`)).json()) as { requests: { sns: Record<string, number> } };
    return stats.requests.sns.Publish ?? 0;
  };

  const order = (sku = 'BOOK-1') => ({
    orderId: `o-${randomUUID().slice(0, 8)}`,
    customer: { id: 'c-1', email: 'workflow.test@example.com', phone: '+15550100' },
    items: [{ sku, quantity: 1 }],
  });

  const accepted = async (response: Response): Promise<{ eventId: string; correlationId: string }> => {
    expect(response.status).toBe(202);
    return (await response.json()) as { eventId: string; correlationId: string };
  };

  it('an order reaches exactly the email, sms and inventory consumers, each effect once', async () => {
    // Prepare
    const placed = order();

    // Act
    const { eventId } = await accepted(await runtime.post('orders', placed));

    // Assess
    const effects = await settledEffectsOf(eventId, 3);
    expect(effects.map(({ consumer, effect, orderId, deliveries }) => ({ consumer, effect, orderId, deliveries }))).toEqual([
      { consumer: 'email', effect: 'email.sent', orderId: placed.orderId, deliveries: 1 },
      { consumer: 'inventory', effect: 'stock.reserved', orderId: placed.orderId, deliveries: 1 },
      { consumer: 'sms', effect: 'sms.sent', orderId: placed.orderId, deliveries: 1 },
    ]);
  });

  it('an erasure request reaches the consumers that hold user data, and not the inventory', async () => {
    // Prepare
    const userId = `u-${randomUUID().slice(0, 8)}`;

    // Act
    const { eventId } = await accepted(await runtime.post(`users/${userId}/erasure`, { reason: 'gdpr' }));

    // Assess
    const effects = await settledEffectsOf(eventId, 2);
    expect(effects.map(({ consumer, effect, userId: user }) => ({ consumer, effect, userId: user }))).toEqual([
      { consumer: 'email', effect: 'user.erased', userId },
      { consumer: 'sms', effect: 'user.erased', userId },
    ]);
    expect(await depth(runtime.outputOf(consumerOutputKeys('inventory').queueUrl))).toBe(0);
  });

  it('an order with an unknown SKU goes to the inventory DLQ on its first attempt, and to no other DLQ', async () => {
    // Prepare
    const dlq = runtime.outputOf('InventoryDlqUrl');
    const before = await depth(dlq);

    // Act
    const { eventId, correlationId } = await accepted(await runtime.post('orders', order('NOPE-404')));

    // Assess: in the DLQ within seconds, not after the retry budget
    const deadline = Date.now() + PERMANENT_DEAD_LETTER_WAIT_MS;
    while ((await depth(dlq)) === before) {
      if (Date.now() > deadline) throw new Error(`the poison order did not reach the inventory DLQ within ${PERMANENT_DEAD_LETTER_WAIT_MS} ms`);
      await sleep(100);
    }
    const { Messages = [] } = await runtime.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlq,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        MessageAttributeNames: ['All'],
      }),
    );
    const dead = Messages.find((message) => (JSON.parse(message.Body ?? '{}') as { id?: string }).id === eventId);
    expect(dead).toBeDefined();
    // A copy the consumer sent, not the message SQS moved after maxReceiveCount: this receive is its first.
    expect(dead!.Attributes?.ApproximateReceiveCount).toBe('1');
    // It keeps the attributes, so a redrive delivers what the consumer first received.
    expect(dead!.MessageAttributes?.eventType?.StringValue).toBe('order.placed');
    expect(dead!.MessageAttributes?.correlationId?.StringValue).toBe(correlationId);
    // Email and sms handled the same order normally; the wait lets the inventory batch finish too.
    const effects = await settledEffectsOf(eventId, 2);
    expect(effects.map(({ consumer, effect, status, deliveries }) => ({ consumer, effect, status, deliveries }))).toEqual([
      { consumer: 'email', effect: 'email.sent', status: 'performed', deliveries: 1 },
      { consumer: 'sms', effect: 'sms.sent', status: 'performed', deliveries: 1 },
    ]);
    const { Item: failure } = await ledger.send(new GetCommand({ TableName: runtime.outputOf(OutputKeys.FailureTableName), Key: { pk: `inventory#${eventId}` } }));
    expect(failure).toMatchObject({ consumer: 'inventory', eventId, errorType: 'UnknownSkuError', attempts: 1, permanent: true });
    // The original was deleted as handled: nothing retries in the inventory queue.
    expect(await depth(runtime.outputOf(consumerOutputKeys('inventory').queueUrl))).toBe(0);
    expect(await depth(runtime.outputOf('EmailDlqUrl'))).toBe(0);
    expect(await depth(runtime.outputOf('SmsDlqUrl'))).toBe(0);
    expect(await depth(dlq)).toBe(before + 1);
  });

  it('a duplicate delivery of the same envelope has one effect', async () => {
    // Prepare
    const placed = order();
    const envelope = createEnvelope({ type: 'order.placed', source: 'queueflow/tests', data: placed, correlationId: randomUUID() });
    const queueUrl = runtime.outputOf(consumerOutputKeys('email').queueUrl);
    const copy = () =>
      runtime.clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(envelope),
          MessageAttributes: { eventType: { DataType: 'String', StringValue: envelope.type }, correlationId: { DataType: 'String', StringValue: envelope.correlationid } },
        }),
      );

    // Act
    await copy();
    await copy();

    // Assess
    await settledEffectsOf(envelope.id, 1);
    // A copy that met the first one in progress is retried after its backoff: wait until both are gone.
    const deadline = Date.now() + 30_000;
    while ((await depth(queueUrl)) > 0 && Date.now() < deadline) await sleep(200);
    expect(await depth(queueUrl)).toBe(0);
    // deliveries 1: Powertools absorbed the copy before the effect ran, not the ledger's key.
    expect((await effectsOf(envelope.id)).map(({ consumer, effect, deliveries }) => ({ consumer, effect, deliveries }))).toEqual([
      { consumer: 'email', effect: 'email.sent', deliveries: 1 },
    ]);
  });

  it('a retried request with the same Idempotency-Key publishes once', async () => {
    // Prepare
    const placed = order();
    const headers = { 'Idempotency-Key': `key-${randomUUID()}` };
    const publishesBefore = await snsPublishes();

    // Act
    const first = await accepted(await runtime.post('orders', placed, headers));
    const retry = await accepted(await runtime.post('orders', placed, headers));

    // Assess
    expect(retry.eventId).toBe(first.eventId);
    const effects = await settledEffectsOf(first.eventId, 3);
    expect(effects.map(({ consumer, deliveries }) => ({ consumer, deliveries }))).toEqual([
      { consumer: 'email', deliveries: 1 },
      { consumer: 'inventory', deliveries: 1 },
      { consumer: 'sms', deliveries: 1 },
    ]);
    expect((await snsPublishes()) - publishesBefore).toBe(1);
  });
});
