/**
 * The consumer pipeline (docs/architecture.md, "Consumers"): partial batch responses, effect-once
 * idempotency on the envelope id (payload validated), the failure record, the retry backoff, the
 * DLQ at once for a permanent failure, and erasure tombstones.
 */
import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Envelope } from '../../../../lambdas/shared/envelope.ts';
import type { ConsumerContext } from '../../../../lambdas/shared/consumer.ts';
import { createConsumerHandler } from '../../../../lambdas/shared/consumer.ts';
import { PermanentError } from '../../../../lambdas/shared/errors.ts';
import { baseLambdaEnv, lambdaContext, setEnv, sqsEvent, sqsRecord } from '../../../helpers/lambda.ts';
import { useConsumerHarness } from '../../../helpers/consumer-harness.ts';
import { dynamoDbMock, sqsMock } from '../../../helpers/sdk-mocks.ts';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/queueflow-email';
const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/queueflow-email-dlq';
const IDEMPOTENCY_TABLE = 'queueflow-idempotency';
const FAILURE_TABLE = 'queueflow-failures';

const restoreEnv = setEnv({
  ...baseLambdaEnv,
  CONSUMER_NAME: 'email',
  QUEUE_URL,
  DLQ_URL,
  MAX_RECEIVE_COUNT: '31',
  IDEMPOTENCY_TABLE_NAME: IDEMPOTENCY_TABLE,
  FAILURE_TABLE_NAME: FAILURE_TABLE,
  BACKOFF_BASE_SECONDS: '2',
  BACKOFF_CAP_SECONDS: '60',
  FAILURE_TTL_SECONDS: '1209600',
});
afterAll(restoreEnv);

const envelope = (id: string, data: Record<string, unknown> = { orderId: `ord-${id}` }): Envelope => ({
  specversion: '1.0',
  id,
  source: 'queueflow/orders',
  type: 'order.placed',
  time: '2026-11-22T10:00:00.000Z',
  datacontenttype: 'application/json',
  correlationid: `corr-${id}`,
  data,
});

const recordOf = (messageId: string, body: Envelope | string, receiveCount = 1) =>
  sqsRecord({ messageId, body: typeof body === 'string' ? body : JSON.stringify(body), receiveCount });

/** A consumer whose effect is a spy; `failFor` lists the event ids whose effect throws. */
const consumerWith = (failFor: ReadonlySet<string> = new Set(), random = () => 0.5) => {
  const effects: string[] = [];
  const handle = vi.fn(async (received: Envelope, _context: ConsumerContext) => {
    if (failFor.has(received.id)) throw new Error(`downstream refused ${received.id}`);
    effects.push(received.id);
  });
  const handler = createConsumerHandler({ handle, random });
  const invoke = (event: SQSEvent) => handler(event, lambdaContext());
  return { handle, effects, invoke };
};

const harness = useConsumerHarness();
const dynamo = { items: (table: string) => harness.dynamo().items(table) };
const logs = { entries: () => harness.logs().entries(), text: () => harness.logs().text() };

describe('consumer: processing', () => {
  it('hands each parsed envelope to handle and reports no failures', async () => {
    // Prepare
    const { handle, invoke } = consumerWith();

    // Act
    const response = await invoke(sqsEvent(recordOf('m1', envelope('e1')), recordOf('m2', envelope('e2'))));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(handle.mock.calls.map(([received]) => received)).toEqual([envelope('e1'), envelope('e2')]);
    expect(handle.mock.calls[0]![1]).toMatchObject({ consumerName: 'email', attempt: 1 });
    expect(dynamo.items(IDEMPOTENCY_TABLE)).toEqual([
      expect.objectContaining({ id: expect.stringMatching(/^email#/), status: 'COMPLETED' }),
      expect.objectContaining({ id: expect.stringMatching(/^email#/), status: 'COMPLETED' }),
    ]);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(0);
  });

  it('has the effect once when the same event is delivered again', async () => {
    // Prepare
    const { effects, invoke } = consumerWith();
    await invoke(sqsEvent(recordOf('m1', envelope('e1'))));

    // Act: SQS at-least-once delivery, as a new message carrying the same envelope
    const response = await invoke(sqsEvent(recordOf('m1-copy', envelope('e1'))));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(effects).toEqual(['e1']);
  });

  it('fails a duplicate that arrives while the first delivery is still in progress', async () => {
    // Prepare: the first delivery's effect blocks until released
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const handle = vi.fn(async () => blocked);
    const invoke = (event: SQSEvent) => createConsumerHandler({ handle })(event, lambdaContext());
    const first = invoke(sqsEvent(recordOf('m1', envelope('e1'))));
    await vi.waitFor(() => expect(handle).toHaveBeenCalledTimes(1));

    // Act
    const duplicate = await invoke(sqsEvent(recordOf('m2', envelope('e1'))));
    release();

    // Assess
    expect(duplicate).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }] });
    expect(await first).toEqual({ batchItemFailures: [] });
    expect(handle).toHaveBeenCalledTimes(1);
    expect(dynamo.items(FAILURE_TABLE)).toEqual([
      expect.objectContaining({ pk: 'email#e1', errorType: 'IdempotencyAlreadyInProgressError' }),
    ]);
  });

  it('reports only the failing record of a batch; the others succeed', async () => {
    // Prepare
    const { handle, effects, invoke } = consumerWith(new Set(['e2']));

    // Act
    const response = await invoke(
      sqsEvent(recordOf('m1', envelope('e1')), recordOf('m2', envelope('e2')), recordOf('m3', envelope('e3'))),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }] });
    expect(handle).toHaveBeenCalledTimes(3);
    expect(effects.sort()).toEqual(['e1', 'e3']);
  });

  it('reports every record when the whole batch fails, instead of throwing', async () => {
    // Prepare
    const { invoke } = consumerWith(new Set(['e1', 'e2']));

    // Act
    const response = await invoke(sqsEvent(recordOf('m1', envelope('e1')), recordOf('m2', envelope('e2'))));

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }] });
  });

  it('runs the effect again on redelivery after a failure (the idempotency record is released)', async () => {
    // Prepare
    const failFor = new Set(['e1']);
    const { effects, invoke } = consumerWith(failFor);
    await invoke(sqsEvent(recordOf('m1', envelope('e1'))));
    failFor.clear();

    // Act
    const response = await invoke(sqsEvent(recordOf('m1', envelope('e1'), 2)));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(effects).toEqual(['e1']);
  });

  it.each([
    ['not JSON', 'this is not json'],
    ['a JSON array', '[]'],
    ['an envelope without an id', JSON.stringify({ ...envelope('x'), id: undefined })],
    ['an envelope of another spec version', JSON.stringify({ ...envelope('x'), specversion: '0.3' })],
    ['an envelope without data', JSON.stringify({ ...envelope('x'), data: undefined })],
  ])('sends a record whose body is %s to the DLQ at once, without calling handle', async (_case, body) => {
    // Prepare
    sqsMock.on(SendMessageCommand).resolves({});
    const { handle, invoke } = consumerWith();

    // Act
    const response = await invoke(sqsEvent(recordOf('bad', body), recordOf('good', envelope('e1'))));

    // Assess: handled (so the event source deletes it), copied to the DLQ, explained
    expect(response).toEqual({ batchItemFailures: [] });
    expect(handle).toHaveBeenCalledTimes(1);
    expect(sqsMock.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toEqual([{ QueueUrl: DLQ_URL, MessageBody: body }]);
    expect(dynamo.items(FAILURE_TABLE)).toEqual([expect.objectContaining({ errorType: 'MalformedEnvelopeError', permanent: true })]);
  });

  it('logs each record with its event id and correlation id', async () => {
    // Prepare
    const { invoke } = consumerWith(new Set(['e2']));

    // Act
    await invoke(sqsEvent(recordOf('m1', envelope('e1')), recordOf('m2', envelope('e2'))));

    // Assess
    const entries = logs.entries();
    expect(entries).toContainEqual(
      expect.objectContaining({ message: 'Record processed', eventId: 'e1', correlationId: 'corr-e1', messageId: 'm1' }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({ message: 'Record failed', level: 'ERROR', eventId: 'e2', correlationId: 'corr-e2', errorType: 'Error' }),
    );
    expect(logs.text()).not.toContain('ord-e1');
  });
});

describe('consumer: failure record', () => {
  const secretData = { orderId: 'ord-9', customer: { email: 'grace@example.com', phone: '+15555550199' } };

  it('writes one record keyed by consumer and event id, with no payload data', async () => {
    // Prepare
    const { invoke } = consumerWith(new Set(['e9']));

    // Act
    await invoke(sqsEvent(recordOf('m9', envelope('e9', secretData), 3)));

    // Assess
    const items = dynamo.items(FAILURE_TABLE);
    expect(items).toEqual([
      {
        pk: 'email#e9',
        consumer: 'email',
        eventId: 'e9',
        eventType: 'order.placed',
        correlationId: 'corr-e9',
        messageId: 'm9',
        errorType: 'Error',
        errorMessage: 'downstream refused e9',
        attempts: 3,
        permanent: false,
        firstFailureAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        lastFailureAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        expiration: expect.any(Number),
      },
    ]);
    const record = items[0]!;
    expect(record.expiration).toBeCloseTo(Date.parse(record.lastFailureAt as string) / 1000 + 1_209_600, -1);
    expect(JSON.stringify(items)).not.toMatch(/grace@example\.com|\+15555550199|ord-9/);
  });

  it('keeps the first failure time and updates the attempts on a later failure', async () => {
    // Prepare
    const { invoke } = consumerWith(new Set(['e9']));
    await invoke(sqsEvent(recordOf('m9', envelope('e9'), 1)));
    const [first] = dynamo.items(FAILURE_TABLE);
    await new Promise((resolve) => setTimeout(resolve, 5));

    // Act
    await invoke(sqsEvent(recordOf('m9', envelope('e9'), 2)));

    // Assess
    const [second] = dynamo.items(FAILURE_TABLE);
    expect(second).toMatchObject({ attempts: 2, firstFailureAt: first!.firstFailureAt });
    expect(second!.lastFailureAt).not.toBe(first!.lastFailureAt);
  });

  it('keys an unparseable record by message id, and by the body id when it has one', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).resolves({});
    const { invoke } = consumerWith();
    const invalidWithId = JSON.stringify({ id: 'e-partial', type: 'order.placed', data: secretData });

    // Act
    await invoke(sqsEvent(recordOf('m-raw', '{not json: grace@example.com'), recordOf('m-partial', invalidWithId)));

    // Assess
    const items = dynamo.items(FAILURE_TABLE).sort((a, b) => String(a.pk).localeCompare(String(b.pk)));
    expect(items.map((item) => [item.pk, item.errorType])).toEqual([
      ['email#e-partial', 'MalformedEnvelopeError'],
      ['email#message:m-raw', 'MalformedEnvelopeError'],
    ]);
    expect(items[1]).not.toHaveProperty('eventId');
    expect(JSON.stringify(items)).not.toMatch(/grace@example\.com|ord-9/);
  });

  it('cuts an error message to 1,000 characters', async () => {
    // Prepare
    const handler = createConsumerHandler({
      handle: async () => {
        throw new TypeError('x'.repeat(5_000));
      },
    });

    // Act
    await handler(sqsEvent(recordOf('m1', envelope('e1'))), lambdaContext());

    // Assess
    const [item] = dynamo.items(FAILURE_TABLE);
    expect(item).toMatchObject({ errorType: 'TypeError' });
    expect(item!.errorMessage).toHaveLength(1_000);
  });
});

describe('consumer: backoff', () => {
  it.each([
    [1, 0.5, 2], // ceiling 2: 1 + 0.5·1 = 1.5 → 2
    [3, 0.5, 6], // ceiling 8: 4 + 0.5·4
    [3, 0, 4], // ceiling 8: the fixed half only
    [5, 0.5, 24], // ceiling 32: 16 + 8
    [7, 0.5, 45], // ceiling min(60, 128) = 60: 30 + 15
    [50, 0.999, 60], // capped
  ])('on attempt %d with random %d hides the record for %d s, by its receipt handle', async (attempt, random, seconds) => {
    // Prepare
    const { invoke } = consumerWith(new Set(['e1']), () => random);

    // Act
    await invoke(sqsEvent(recordOf('m1', envelope('e1'), attempt)));

    // Assess
    const calls = sqsMock.commandCalls(ChangeMessageVisibilityCommand);
    expect(calls.map((call) => call.args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, ReceiptHandle: 'rh-m1', VisibilityTimeout: seconds },
    ]);
  });

  it('still reports the record failed when the failure record and the backoff both fail', async () => {
    // Prepare
    sqsMock.on(ChangeMessageVisibilityCommand).rejects(new Error('ReceiptHandleIsInvalid'));
    dynamoDbMock.on(UpdateItemCommand, { TableName: FAILURE_TABLE }).rejects(new Error('ProvisionedThroughputExceeded'));
    const { effects, invoke } = consumerWith(new Set(['e1']));

    // Act
    const response = await invoke(sqsEvent(recordOf('m1', envelope('e1')), recordOf('m2', envelope('e2'))));

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(effects).toEqual(['e2']);
    const warnings = logs.entries().filter((entry) => entry.level === 'WARN').map((entry) => entry.message);
    expect(warnings.sort()).toEqual(['Could not set the retry backoff', 'Could not write the failure record']);
  });
});

describe('consumer: configuration', () => {
  it('refuses to start without its environment', () => {
    // Prepare
    const restore = setEnv({ QUEUE_URL: undefined, FAILURE_TABLE_NAME: undefined });

    // Act / Assess
    try {
      expect(() => createConsumerHandler({ handle: async () => undefined })).toThrow(/QUEUE_URL[\s\S]*FAILURE_TABLE_NAME|FAILURE_TABLE_NAME[\s\S]*QUEUE_URL/);
    } finally {
      restore();
    }
  });
});

describe('consumer: retry budget', () => {
  it('says how many attempts are left before the DLQ', async () => {
    // Prepare
    const { invoke } = consumerWith(new Set(['e1']));

    // Act
    await invoke(sqsEvent(recordOf('m1', envelope('e1'), 29)));

    // Assess
    expect(logs.entries()).toContainEqual(expect.objectContaining({ message: 'Retry scheduled', attemptsLeft: 2, delaySeconds: 45 }));
  });
});

describe('consumer: permanent failures', () => {
  class UnknownThingError extends PermanentError {
    constructor() {
      super('no such thing');
      this.name = 'UnknownThingError';
    }
  }

  const withAttributes = (messageId: string, body: Envelope) => ({
    ...recordOf(messageId, body),
    messageAttributes: {
      eventType: { stringValue: 'order.placed', dataType: 'String', stringListValues: [], binaryListValues: [] },
      correlationId: { stringValue: `corr-${body.id}`, dataType: 'String', stringListValues: [], binaryListValues: [] },
    },
  });

  it('sends the record to the DLQ at once, with its body and attributes, without failing the batch', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).resolves({});
    const handle = vi.fn(async (received: Envelope) => {
      if (received.id === 'e1') throw new UnknownThingError();
    });
    const invoke = (event: SQSEvent) => createConsumerHandler({ handle })(event, lambdaContext());

    // Act
    const response = await invoke(sqsEvent(withAttributes('m1', envelope('e1')), recordOf('m2', envelope('e2'))));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(sqsMock.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toEqual([
      {
        QueueUrl: DLQ_URL,
        MessageBody: JSON.stringify(envelope('e1')),
        MessageAttributes: {
          eventType: { DataType: 'String', StringValue: 'order.placed' },
          correlationId: { DataType: 'String', StringValue: 'corr-e1' },
        },
      },
    ]);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(0);
    expect(dynamo.items(FAILURE_TABLE)).toEqual([
      expect.objectContaining({ pk: 'email#e1', errorType: 'UnknownThingError', permanent: true, attempts: 1 }),
    ]);
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({ message: 'Record failed permanently: sent to the DLQ', level: 'ERROR', eventId: 'e1' }),
    );
    // The idempotency record was released, so a redrive after a fix runs the effect.
    expect(dynamo.items(IDEMPOTENCY_TABLE).map((item) => item.status)).toEqual(['COMPLETED']);
  });

  it('keeps the record (retry with backoff) when the DLQ does not take it', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).rejects(new Error('AccessDenied'));
    const handle = vi.fn(async () => {
      throw new UnknownThingError();
    });
    const invoke = (event: SQSEvent) => createConsumerHandler({ handle })(event, lambdaContext());

    // Act
    const response = await invoke(sqsEvent(recordOf('m1', envelope('e1'))));

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(sqsMock.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(1);
    expect(logs.entries()).toContainEqual(expect.objectContaining({ message: 'Could not send the record to the DLQ; it will be retried' }));
  });

  it('lets isPermanent claim other errors; everything else stays transient', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).resolves({});
    const handle = vi.fn(async (received: Envelope) => {
      throw Object.assign(new Error(received.id === 'e1' ? 'card declined' : 'timeout'), { code: received.id === 'e1' ? 'DECLINED' : 'TIMEOUT' });
    });
    const isPermanent = (error: unknown) => (error as { code?: string }).code === 'DECLINED';
    const invoke = (event: SQSEvent) => createConsumerHandler({ handle, isPermanent })(event, lambdaContext());

    // Act
    const response = await invoke(sqsEvent(recordOf('m1', envelope('e1')), recordOf('m2', envelope('e2'))));

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }] });
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it('fails loudly, to the DLQ, when a known event id arrives with a different payload', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).resolves({});
    const { effects, invoke } = consumerWith();
    await invoke(sqsEvent(recordOf('m1', envelope('e1', { orderId: 'alice' }))));

    // Act
    const response = await invoke(sqsEvent(recordOf('m2', envelope('e1', { orderId: 'bob' }))));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(effects).toEqual(['e1']);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(1);
    expect(dynamo.items(FAILURE_TABLE)).toEqual([
      expect.objectContaining({ pk: 'email#e1', errorType: 'IdempotencyValidationError', permanent: true }),
    ]);
  });

  it('still absorbs a duplicate whose time and correlation id differ (a re-publish of the same event)', async () => {
    // Prepare
    const { effects, invoke } = consumerWith();
    await invoke(sqsEvent(recordOf('m1', envelope('e1'))));

    // Act
    const republished = { ...envelope('e1'), time: '2026-11-22T10:05:00.000Z', correlationid: 'corr-retry' };
    const response = await invoke(sqsEvent(recordOf('m2', republished)));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(effects).toEqual(['e1']);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
  });
});

describe('consumer: erasure', () => {
  const TOMBSTONES = 'queueflow-tombstones';
  const erasureEnv = { ERASURE_EVENT_TYPES: 'user.erasure_requested', TOMBSTONE_TABLE_NAME: TOMBSTONES, TOMBSTONE_TTL_SECONDS: '7776000' };

  const order = (id: string, subject: string, time: string): Envelope => ({ ...envelope(id), time, datasubject: subject });
  const erasure = (id: string, subject: string, time: string): Envelope => ({
    ...envelope(id, { userId: subject }),
    type: 'user.erasure_requested',
    time,
    datasubject: subject,
  });

  /** A consumer with tombstones; `handled` and `skipped` list event ids. */
  const erasingConsumer = () => {
    const restore = setEnv(erasureEnv);
    const handled: string[] = [];
    const skipped: { eventId: string; erasureEventId: string }[] = [];
    const handler = createConsumerHandler({
      handle: async (received) => void handled.push(received.id),
      onErasedSubject: async (received, { erasure: tombstone }) => void skipped.push({ eventId: received.id, erasureEventId: tombstone.erasureEventId }),
    });
    restore();
    return { handled, skipped, invoke: (...bodies: Envelope[]) => handler(sqsEvent(...bodies.map((body, index) => recordOf(`m${index}-${body.id}`, body))), lambdaContext()) };
  };

  it('leaves a tombstone when it processes an erasure, before the erasure effect', async () => {
    // Prepare
    const { handled, invoke } = erasingConsumer();

    // Act
    await invoke(erasure('x1', 'cus-1', '2026-11-22T10:00:00+01:00'));

    // Assess
    expect(handled).toEqual(['x1']);
    expect(dynamo.items(TOMBSTONES)).toEqual([
      expect.objectContaining({ pk: 'email#cus-1', consumer: 'email', subject: 'cus-1', erasedAt: '2026-11-22T09:00:00.000Z', erasureEventId: 'x1' }),
    ]);
  });

  it('skips an older event of an erased subject, and records why; a newer one and other subjects go on', async () => {
    // Prepare
    const { handled, skipped, invoke } = erasingConsumer();
    await invoke(erasure('x1', 'cus-1', '2026-11-22T10:00:00.000Z'));

    // Act
    const response = await invoke(
      order('o-old', 'cus-1', '2026-11-22T09:59:59.999Z'),
      order('o-same-ms', 'cus-1', '2026-11-22T10:00:00.000Z'),
      order('o-new', 'cus-1', '2026-11-22T10:00:00.001Z'),
      order('o-other', 'cus-2', '2026-11-22T09:00:00.000Z'),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(handled).toEqual(['x1', 'o-new', 'o-other']);
    expect(skipped).toEqual([
      { eventId: 'o-old', erasureEventId: 'x1' },
      { eventId: 'o-same-ms', erasureEventId: 'x1' },
    ]);
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({ message: 'Skipped: the data subject was erased after this event', eventId: 'o-old', erasureEventId: 'x1' }),
    );
  });

  it('keeps the later erasure when an older one is processed after it', async () => {
    // Prepare
    const { invoke } = erasingConsumer();
    await invoke(erasure('x2', 'cus-1', '2026-11-22T12:00:00.000Z'));

    // Act
    await invoke(erasure('x1', 'cus-1', '2026-11-22T10:00:00.000Z'));

    // Assess
    expect(dynamo.items(TOMBSTONES)).toEqual([expect.objectContaining({ erasedAt: '2026-11-22T12:00:00.000Z', erasureEventId: 'x2' })]);
  });

  it('ignores an expired tombstone (DynamoDB deletes expired items days late)', async () => {
    // Prepare
    const { handled, invoke } = erasingConsumer();
    harness.dynamo().seed(TOMBSTONES, 'pk', {
      pk: 'email#cus-1',
      erasedAt: '2026-11-22T10:00:00.000Z',
      erasureEventId: 'x1',
      expiration: Math.floor(Date.now() / 1000) - 60,
    });

    // Act
    await invoke(order('o-old', 'cus-1', '2026-11-22T09:00:00.000Z'));

    // Assess
    expect(handled).toEqual(['o-old']);
  });

  it('keeps no tombstones in a consumer that takes no erasure event type', async () => {
    // Prepare
    const { handle: handled, invoke } = consumerWith();
    harness.dynamo().seed(TOMBSTONES, 'pk', { pk: 'email#cus-1', erasedAt: '2026-11-22T10:00:00.000Z', erasureEventId: 'x1' });

    // Act
    await invoke(sqsEvent(recordOf('m1', order('o-old', 'cus-1', '2026-11-22T09:00:00.000Z'))));

    // Assess
    expect(handled.mock.calls).toHaveLength(1);
  });
});
