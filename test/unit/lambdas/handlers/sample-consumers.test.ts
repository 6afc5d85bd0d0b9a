/**
 * The sample app's consumers end to end through their real handlers (SDK mocked): the ledger
 * items they write, the inventory poison message sent to its DLQ at once, effect-once on a
 * duplicate delivery, and an order skipped by a consumer that erased its customer since.
 */
import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { installSampleEventValidators } from '../../../helpers/event-validators.ts';
import { baseLambdaEnv, lambdaContext, setEnv, sqsEvent, sqsRecord } from '../../../helpers/lambda.ts';
import { useConsumerHarness } from '../../../helpers/consumer-harness.ts';
import { sqsMock } from '../../../helpers/sdk-mocks.ts';

const LEDGER_TABLE = 'queueflow-ledger';
const FAILURE_TABLE = 'queueflow-failures';
const TOMBSTONE_TABLE = 'queueflow-tombstones';
const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/queueflow-sample-dlq';

const restoreEnv = setEnv({
  ...baseLambdaEnv,
  QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/queueflow-sample',
  DLQ_URL,
  IDEMPOTENCY_TABLE_NAME: 'queueflow-idempotency',
  FAILURE_TABLE_NAME: FAILURE_TABLE,
  LEDGER_TABLE_NAME: LEDGER_TABLE,
  SIMULATED_LATENCY_MS: undefined,
  CONSUMER_NAME: undefined,
  ERASURE_EVENT_TYPES: undefined,
  TOMBSTONE_TABLE_NAME: undefined,
});
afterAll(restoreEnv);
// The data validators QueueWorkflow generates for the sample's event types and injects into each consumer's bundle.
await installSampleEventValidators();

type Handler = (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;

/** What the stack gives the consumers that take the erasure event type (email and SMS), and only them. */
const erasureEnv = { ERASURE_EVENT_TYPES: 'user.erasure_requested', TOMBSTONE_TABLE_NAME: TOMBSTONE_TABLE };

/** Each handler reads its environment when its module loads, as each runs in its own function. */
const load = async (consumer: string, path: string, env: Partial<typeof erasureEnv> = {}): Promise<Handler> => {
  process.env.CONSUMER_NAME = consumer;
  for (const key of Object.keys(erasureEnv) as (keyof typeof erasureEnv)[]) {
    if (env[key] === undefined) delete process.env[key];
    else process.env[key] = env[key];
  }
  return ((await import(path)) as { handler: Handler }).handler;
};
const email = await load('email', '../../../../sample/lambdas/handlers/email-consumer.ts', erasureEnv);
const sms = await load('sms', '../../../../sample/lambdas/handlers/sms-consumer.ts', erasureEnv);
const inventory = await load('inventory', '../../../../sample/lambdas/handlers/inventory-consumer.ts');

const PLACED_AT = '2026-11-22T10:00:00.000Z';

/** An order of customer `customerId`; `datasubject` is set as the producer sets it (order.placed's subject is /customer/id). */
const orderPlaced = (id: string, { skus = ['BOOK-1'], time = PLACED_AT, customerId = 'cus-42' } = {}) =>
  JSON.stringify({
    specversion: '1.0',
    id,
    source: 'queueflow/orders',
    type: 'order.placed',
    time,
    correlationid: `corr-${id}`,
    datasubject: customerId,
    data: {
      orderId: `ord-${id}`,
      customer: { id: customerId, email: 'ada@example.com', phone: '+15555550100' },
      items: skus.map((sku) => ({ sku, quantity: 1 })),
    },
  });

/** An erasure of `userId`, its subject (user.erasure_requested's subject is the /userId path parameter). */
const erasureRequested = (id: string, userId: string, time = PLACED_AT) =>
  JSON.stringify({
    specversion: '1.0',
    id,
    source: 'queueflow/orders',
    type: 'user.erasure_requested',
    time,
    correlationid: `corr-${id}`,
    datasubject: userId,
    data: { userId, reason: 'gdpr' },
  });

const deliver = (handler: Handler, body: string, messageId = 'm1') =>
  handler(sqsEvent(sqsRecord({ messageId, body })), lambdaContext());

const harness = useConsumerHarness();
// Registered after the harness's reset: the DLQ takes every message it is sent.
beforeEach(() => {
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
});
const sentToDlq = () => sqsMock.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
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

  it('send an order with an unknown SKU to the inventory DLQ at once, while email and SMS process it', async () => {
    // Arrange
    const poison = orderPlaced('e4', { skus: ['BOOK-1', 'UNICORN-9'] });

    // Act
    const [emailResponse, smsResponse, inventoryResponse] = await Promise.all(
      [email, sms, inventory].map((handler) => deliver(handler, poison, 'm-poison')),
    );

    // Assess: no retry can stock a SKU the catalog lacks, so the record skips the retry budget
    expect(emailResponse).toEqual({ batchItemFailures: [] });
    expect(smsResponse).toEqual({ batchItemFailures: [] });
    expect(inventoryResponse).toEqual({ batchItemFailures: [] });
    expect(sentToDlq()).toEqual([{ QueueUrl: DLQ_URL, MessageBody: poison }]);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(0);
    expect(ledger().map((entry) => entry.effect)).toEqual(['email.sent', 'sms.sent']);
    expect(dynamo.items(FAILURE_TABLE)).toEqual([
      expect.objectContaining({
        pk: 'inventory#e4',
        errorType: 'UnknownSkuError',
        errorMessage: expect.stringContaining('/items/1/sku'),
        permanent: true,
        attempts: 1,
      }),
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

  it('send an event type the consumer does not take to its DLQ at once, with a clear error', async () => {
    // Arrange
    const wrong = erasureRequested('e6', 'u-1');

    // Act
    const response = await deliver(inventory, wrong, 'm-wrong');

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(sentToDlq()).toEqual([{ QueueUrl: DLQ_URL, MessageBody: wrong }]);
    expect(dynamo.items(FAILURE_TABLE)).toEqual([
      expect.objectContaining({
        errorType: 'UnsupportedEventTypeError',
        errorMessage: 'Consumer inventory does not handle event type user.erasure_requested',
        permanent: true,
      }),
    ]);
    expect(ledger()).toEqual([]);
  });

  describe('after an erasure of the customer', () => {
    const ERASED_AT = '2026-11-22T12:00:00.000Z';
    const effectsOf = (consumer: string) =>
      dynamo
        .items(LEDGER_TABLE)
        .filter((item) => item.consumer === consumer && item.effect !== 'user.erased')
        .map(({ eventId, effect, orderId, status, skipReason, erasureEventId }) => ({ eventId, effect, orderId, status, skipReason, erasureEventId }));

    it('skip the confirmation of an older order, recording why in the ledger', async () => {
      // Arrange: email processed the erasure of cus-42; the order placed before it arrives late (a retry, a redrive)
      await deliver(email, erasureRequested('erase-1', 'cus-42', ERASED_AT));

      // Act
      const response = await deliver(email, orderPlaced('old-1', { time: '2026-11-22T11:59:59.000Z' }));

      // Assess
      expect(response).toEqual({ batchItemFailures: [] });
      expect(effectsOf('email')).toEqual([
        { eventId: 'old-1', effect: 'email.sent', orderId: 'ord-old-1', status: 'skipped', skipReason: 'subject-erased', erasureEventId: 'erase-1' },
      ]);
      expect(dynamo.items(TOMBSTONE_TABLE)).toEqual([
        expect.objectContaining({ pk: 'email#cus-42', erasedAt: ERASED_AT, erasureEventId: 'erase-1' }),
      ]);
    });

    it('confirm an order placed after the erasure', async () => {
      // Arrange
      await deliver(email, erasureRequested('erase-2', 'cus-42', ERASED_AT));

      // Act
      await deliver(email, orderPlaced('new-1', { time: '2026-11-22T12:00:01.000Z' }));

      // Assess
      expect(effectsOf('email')).toEqual([
        { eventId: 'new-1', effect: 'email.sent', orderId: 'ord-new-1', status: 'performed', skipReason: undefined, erasureEventId: undefined },
      ]);
    });

    it("keep each consumer's erasures its own: SMS, not yet having processed it, still confirms", async () => {
      // Arrange
      await deliver(email, erasureRequested('erase-3', 'cus-42', ERASED_AT));

      // Act
      await deliver(sms, orderPlaced('old-2', { time: '2026-11-22T11:00:00.000Z' }));

      // Assess
      expect(effectsOf('sms')).toEqual([expect.objectContaining({ eventId: 'old-2', status: 'performed' })]);
    });

    it('confirm older orders of other customers', async () => {
      // Arrange
      await deliver(email, erasureRequested('erase-4', 'cus-42', ERASED_AT));

      // Act
      await deliver(email, orderPlaced('other-1', { time: '2026-11-22T11:00:00.000Z', customerId: 'cus-7' }));

      // Assess
      expect(effectsOf('email')).toEqual([expect.objectContaining({ eventId: 'other-1', status: 'performed' })]);
    });

    it('still reserve stock for the older order in inventory, which holds no personal data', async () => {
      // Arrange: the erasure fans out to email and SMS only
      await deliver(email, erasureRequested('erase-5', 'cus-42', ERASED_AT));
      await deliver(sms, erasureRequested('erase-5', 'cus-42', ERASED_AT));

      // Act
      const old = orderPlaced('old-3', { time: '2026-11-22T11:00:00.000Z' });
      await Promise.all([email, sms, inventory].map((handler) => deliver(handler, old)));

      // Assess
      expect(effectsOf('inventory')).toEqual([
        { eventId: 'old-3', effect: 'stock.reserved', orderId: 'ord-old-3', status: 'performed', skipReason: undefined, erasureEventId: undefined },
      ]);
      expect(effectsOf('email')).toEqual([expect.objectContaining({ status: 'skipped', erasureEventId: 'erase-5' })]);
      expect(effectsOf('sms')).toEqual([expect.objectContaining({ status: 'skipped', erasureEventId: 'erase-5' })]);
    });
  });
});
