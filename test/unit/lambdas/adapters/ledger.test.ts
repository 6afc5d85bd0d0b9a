/**
 * The DynamoDB ledger: the effect's key is its downstream idempotency key, so a repeated attempt
 * lands on the same item, keeps the first time and only counts the delivery.
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDynamoDbLedger } from '../../../../sample/lambdas/adapters/ledger.ts';
import { dynamoDbMock, resetSdkMocks } from '../../../helpers/sdk-mocks.ts';
import type { FakeDynamoDb } from '../../../helpers/sdk-mocks.ts';

const TABLE = 'queueflow-ledger';
const FIRST = new Date('2026-11-22T10:00:00.000Z');
const SECOND = new Date('2026-11-22T10:05:00.000Z');

describe('createDynamoDbLedger', () => {
  let dynamo: FakeDynamoDb;
  beforeEach(() => {
    dynamo = resetSdkMocks();
  });

  it('creates the effect on its consumer#eventId#effect key with deliveries 1, in one UpdateItem', async () => {
    // Prepare
    const ledger = createDynamoDbLedger(TABLE, () => FIRST);

    // Act
    await ledger.record({ consumer: 'email', eventId: 'e1', effect: 'email.sent', orderId: 'ord-1' });

    // Assess
    expect(dynamoDbMock.calls()).toHaveLength(1);
    expect(dynamoDbMock.commandCalls(UpdateItemCommand)[0]!.args[0].input).toMatchObject({
      TableName: TABLE,
      Key: { pk: { S: 'email#e1#email.sent' } },
    });
    expect(dynamo.items(TABLE)).toEqual([
      {
        pk: 'email#e1#email.sent',
        consumer: 'email',
        eventId: 'e1',
        effect: 'email.sent',
        orderId: 'ord-1',
        status: 'performed',
        at: FIRST.toISOString(),
        deliveries: 1,
      },
    ]);
  });

  it('records a skipped effect with the reason and the erasure that caused it', async () => {
    // Prepare
    const ledger = createDynamoDbLedger(TABLE, () => FIRST);

    // Act
    await ledger.record({
      consumer: 'email',
      eventId: 'e1',
      effect: 'email.sent',
      orderId: 'ord-1',
      skipped: { reason: 'subject-erased', erasureEventId: 'x1' },
    });

    // Assess
    expect(dynamo.items(TABLE)).toEqual([
      expect.objectContaining({ pk: 'email#e1#email.sent', status: 'skipped', skipReason: 'subject-erased', erasureEventId: 'x1', deliveries: 1 }),
    ]);
  });

  it('absorbs a repeat of the same effect: one item, the first time kept, deliveries 2', async () => {
    // Prepare
    let now = FIRST;
    const ledger = createDynamoDbLedger(TABLE, () => now);
    const entry = { consumer: 'sms', eventId: 'e2', effect: 'user.erased', userId: 'u-1' } as const;
    await ledger.record(entry);
    now = SECOND;

    // Act
    await ledger.record(entry);

    // Assess
    expect(dynamo.items(TABLE)).toEqual([
      { pk: 'sms#e2#user.erased', consumer: 'sms', eventId: 'e2', effect: 'user.erased', userId: 'u-1', status: 'performed', at: FIRST.toISOString(), deliveries: 2 },
    ]);
  });

  it('keeps effects of different consumers, events or kinds apart', async () => {
    // Prepare
    const ledger = createDynamoDbLedger(TABLE, () => FIRST);

    // Act
    await ledger.record({ consumer: 'email', eventId: 'e3', effect: 'email.sent', orderId: 'ord-3' });
    await ledger.record({ consumer: 'sms', eventId: 'e3', effect: 'sms.sent', orderId: 'ord-3' });
    await ledger.record({ consumer: 'email', eventId: 'e4', effect: 'email.sent', orderId: 'ord-4' });
    await ledger.record({ consumer: 'email', eventId: 'e3', effect: 'user.erased', userId: 'u-3' });

    // Assess
    expect(dynamo.items(TABLE).map((item) => [item.pk, item.deliveries]).sort()).toEqual([
      ['email#e3#email.sent', 1],
      ['email#e3#user.erased', 1],
      ['email#e4#email.sent', 1],
      ['sms#e3#sms.sent', 1],
    ]);
  });
});
