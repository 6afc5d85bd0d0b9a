/**
 * The sample app's consumers end to end through their real handlers (SDK mocked): the ledger
 * items they write, the inventory poison message, and effect-once on a duplicate delivery.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { baseLambdaEnv, lambdaContext, setEnv, sqsEvent, sqsRecord } from '../../../helpers/lambda.ts';
import { useConsumerHarness } from '../../../helpers/consumer-harness.ts';

const LEDGER_TABLE = 'queueflow-ledger';
const FAILURE_TABLE = 'queueflow-failures';

const restoreEnv = setEnv({
  ...baseLambdaEnv,
  QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/queueflow-sample',
  IDEMPOTENCY_TABLE_NAME: 'queueflow-idempotency',
  FAILURE_TABLE_NAME: FAILURE_TABLE,
  LEDGER_TABLE_NAME: LEDGER_TABLE,
  SIMULATED_LATENCY_MS: undefined,
});
afterAll(restoreEnv);

type Handler = (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;

/** Each handler reads CONSUMER_NAME when its module loads, as each runs in its own function. */
const load = async (consumer: string, path: string): Promise<Handler> => {
  process.env.CONSUMER_NAME = consumer;
  return ((await import(path)) as { handler: Handler }).handler;
};
const email = await load('email', '../../../../lambdas/handlers/email-consumer.ts');
const sms = await load('sms', '../../../../lambdas/handlers/sms-consumer.ts');
const inventory = await load('inventory', '../../../../lambdas/handlers/inventory-consumer.ts');

const orderPlaced = (id: string, skus = ['BOOK-1']) =>
  JSON.stringify({
    specversion: '1.0',
    id,
    source: 'queueflow/orders',
    type: 'order.placed',
    time: '2026-11-22T10:00:00.000Z',
    correlationid: `corr-${id}`,
    data: {
      orderId: `ord-${id}`,
      customer: { id: 'cus-42', email: 'ada@example.com', phone: '+15555550100' },
      items: skus.map((sku) => ({ sku, quantity: 1 })),
    },
  });

const erasureRequested = (id: string, userId: string) =>
  JSON.stringify({
    specversion: '1.0',
    id,
    source: 'queueflow/orders',
    type: 'user.erasure_requested',
    time: '2026-11-22T10:00:00.000Z',
    correlationid: `corr-${id}`,
    data: { userId, reason: 'gdpr' },
  });

const deliver = (handler: Handler, body: string, messageId = 'm1') =>
  handler(sqsEvent(sqsRecord({ messageId, body })), lambdaContext());

const harness = useConsumerHarness();
const dynamo = { items: (table: string) => harness.dynamo().items(table) };
const logs = { entries: () => harness.logs().entries(), text: () => harness.logs().text() };

const ledger = () =>
  dynamo
    .items(LEDGER_TABLE)
    .map(({ consumer, eventId, effect, orderId, userId }) => ({ consumer, eventId, effect, orderId, userId }))
    .sort((a, b) => String(a.consumer).localeCompare(String(b.consumer)));

describe('sample consumers', () => {
  it('each record their effect of a placed order as one ledger item', async () => {
    // Act
    const responses = await Promise.all([email, sms, inventory].map((handler) => deliver(handler, orderPlaced('e1'))));

    // Assess
    expect(responses).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(ledger()).toEqual([
      { consumer: 'email', eventId: 'e1', effect: 'email.sent', orderId: 'ord-e1', userId: undefined },
      { consumer: 'inventory', eventId: 'e1', effect: 'stock.reserved', orderId: 'ord-e1', userId: undefined },
      { consumer: 'sms', eventId: 'e1', effect: 'sms.sent', orderId: 'ord-e1', userId: undefined },
    ]);
    const [item] = dynamo.items(LEDGER_TABLE);
    expect(item).toMatchObject({ pk: `${item!.consumer}#e1#${item!.effect}`, at: expect.stringMatching(/^\d{4}-/), deliveries: 1 });
    expect(logs.text()).not.toMatch(/ada@example\.com|\+15555550100/);
  });

  it('have the effect once when the same event is delivered twice', async () => {
    // Act
    await deliver(email, orderPlaced('e2'), 'm1');
    await deliver(email, orderPlaced('e2'), 'm1-duplicate');

    // Assess: the idempotency record stopped the duplicate before it reached the ledger at all
    expect(dynamo.items(LEDGER_TABLE)).toEqual([expect.objectContaining({ eventId: 'e2', deliveries: 1 })]);
  });

  it('scope idempotency per consumer: one consumer having processed an event does not stop another', async () => {
    // Act
    await deliver(email, orderPlaced('e3'));
    await deliver(sms, orderPlaced('e3'));

    // Assess
    expect(ledger().map((entry) => entry.consumer)).toEqual(['email', 'sms']);
  });

  it('fail an order with an unknown SKU in inventory only, while email and SMS process it', async () => {
    // Act
    const [emailResponse, smsResponse, inventoryResponse] = await Promise.all(
      [email, sms, inventory].map((handler) => deliver(handler, orderPlaced('e4', ['BOOK-1', 'UNICORN-9']), 'm-poison')),
    );

    // Assess
    expect(emailResponse).toEqual({ batchItemFailures: [] });
    expect(smsResponse).toEqual({ batchItemFailures: [] });
    expect(inventoryResponse).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-poison' }] });
    expect(ledger().map((entry) => entry.effect)).toEqual(['email.sent', 'sms.sent']);
    expect(dynamo.items(FAILURE_TABLE)).toEqual([
      expect.objectContaining({ pk: 'inventory#e4', errorType: 'UnknownSkuError', errorMessage: expect.stringContaining('/items/1/sku') }),
    ]);
  });

  it('erase the user in email and SMS', async () => {
    // Act
    await deliver(email, erasureRequested('e5', 'u-1'));
    await deliver(sms, erasureRequested('e5', 'u-1'));

    // Assess
    expect(ledger()).toEqual([
      { consumer: 'email', eventId: 'e5', effect: 'user.erased', orderId: undefined, userId: 'u-1' },
      { consumer: 'sms', eventId: 'e5', effect: 'user.erased', orderId: undefined, userId: 'u-1' },
    ]);
  });

  it('fail an event type the consumer does not take, with a clear error', async () => {
    // Act
    const response = await deliver(inventory, erasureRequested('e6', 'u-1'), 'm-wrong');

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-wrong' }] });
    expect(dynamo.items(FAILURE_TABLE)).toEqual([
      expect.objectContaining({
        errorType: 'UnsupportedEventTypeError',
        errorMessage: 'Consumer inventory does not handle event type user.erasure_requested',
      }),
    ]);
    expect(ledger()).toEqual([]);
  });
});
