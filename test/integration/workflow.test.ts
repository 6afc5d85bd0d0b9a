/**
 * The sample workflow end to end on the local runtime, driven only from outside: HTTP to the API,
 * real SDK clients on the runtime's AWS endpoint. Effects are read from the sample's ledger
 * table: one item per effect, whose `deliveries` counts the attempts that reached it, so a
 * duplicate that got past the consumers' idempotency shows as `deliveries` 2.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope } from '#shared/envelope';
import { startRuntime, type TestRuntime } from './helpers/runtime.ts';

/** Long enough for a consumer that wrongly repeats an effect to have done so. */
const SETTLE_MS = 2000;
/** Five receives with the sample's backoff (base 1 s, cap 60 s, equal jitter) stay well under this. */
const DEAD_LETTER_WAIT_MS = 90_000;

interface LedgerItem {
  readonly consumer: string;
  readonly eventId: string;
  readonly effect: string;
  readonly orderId?: string;
  readonly userId?: string;
  /** Attempts that reached the ledger; more than 1 would mean consumer idempotency let a duplicate through. */
  readonly deliveries: number;
}

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

  const effectsOf = async (eventId: string): Promise<LedgerItem[]> => {
    const items: LedgerItem[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await ledger.send(
        new ScanCommand({ TableName: runtime.outputOf('LedgerTableName'), FilterExpression: 'eventId = :id', ExpressionAttributeValues: { ':id': eventId }, ExclusiveStartKey }),
      );
      items.push(...((page.Items ?? []) as LedgerItem[]));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items.sort((a, b) => a.consumer.localeCompare(b.consumer));
  };

  /** Waits until `eventId` has `count` effects, then a little longer so extra effects would show. */
  const settledEffectsOf = async (eventId: string, count: number, timeoutMs = 30_000): Promise<LedgerItem[]> => {
    const deadline = Date.now() + timeoutMs;
    while ((await effectsOf(eventId)).length < count) {
      if (Date.now() > deadline) throw new Error(`event ${eventId} has ${(await effectsOf(eventId)).length} of ${count} effects after ${timeoutMs} ms`);
      await sleep(100);
    }
    await sleep(SETTLE_MS);
    return effectsOf(eventId);
  };

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
    expect(await depth(runtime.outputOf('InventoryQueueUrl'))).toBe(0);
  });

  it(
    'an order with an unknown SKU ends in the inventory DLQ after maxReceiveCount, and in no other DLQ',
    async () => {
      // Prepare
      const dlq = runtime.outputOf('InventoryDlqUrl');
      const before = await depth(dlq);

      // Act
      const { eventId } = await accepted(await runtime.post('orders', order('NOPE-404')));

      // Assess
      const deadline = Date.now() + DEAD_LETTER_WAIT_MS;
      while ((await depth(dlq)) === before) {
        if (Date.now() > deadline) throw new Error(`the poison order did not reach the inventory DLQ within ${DEAD_LETTER_WAIT_MS} ms`);
        await sleep(500);
      }
      const { Messages = [] } = await runtime.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10, VisibilityTimeout: 0, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
      );
      const dead = Messages.find((message) => (JSON.parse(message.Body ?? '{}') as { id?: string }).id === eventId);
      expect(dead).toBeDefined();
      // Moved on the receive after the fifth: five attempts ran.
      expect(Number(dead!.Attributes?.ApproximateReceiveCount)).toBeGreaterThanOrEqual(5);
      expect(await depth(runtime.outputOf('EmailDlqUrl'))).toBe(0);
      expect(await depth(runtime.outputOf('SmsDlqUrl'))).toBe(0);
      expect(await depth(runtime.outputOf('InventoryQueueUrl'))).toBe(0);
      const effects = await effectsOf(eventId);
      expect(effects.map((e) => e.consumer)).toEqual(['email', 'sms']);
    },
    DEAD_LETTER_WAIT_MS + 30_000,
  );

  it('a duplicate delivery of the same envelope has one effect', async () => {
    // Prepare
    const placed = order();
    const envelope = createEnvelope({ type: 'order.placed', source: 'queueflow/tests', data: placed, correlationId: randomUUID() });
    const queueUrl = runtime.outputOf('EmailQueueUrl');
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
