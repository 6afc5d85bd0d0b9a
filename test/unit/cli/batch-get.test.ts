import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { batchGet } from '../../../lib/cli/batch-get.ts';
import { batchGetFrom, fakeTarget, fakeTerminal } from './cli-fixtures.ts';

const documents = mockClient(DynamoDBDocumentClient);
const TABLE = 'records';

describe('batchGet', () => {
  beforeEach(() => {
    documents.reset();
  });

  it('asks for at most 100 keys per BatchGetItem, each key once, and returns the items found by key', async () => {
    // Prepare
    const keys = Array.from({ length: 250 }, (_, index) => `k-${index}`);
    documents.on(BatchGetCommand).callsFake(batchGetFrom({ [TABLE]: [{ pk: 'k-7', value: 7 }, { pk: 'k-240', value: 240 }] }));

    // Act
    const found = await batchGet(fakeTarget().dynamodb, TABLE, [...keys, 'k-7'], fakeTerminal().io.sleep);

    // Assess
    expect(documents.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems?.[TABLE]?.Keys?.length)).toEqual([100, 100, 50]);
    expect([...found]).toEqual([
      ['k-7', { pk: 'k-7', value: 7 }],
      ['k-240', { pk: 'k-240', value: 240 }],
    ]);
  });

  it('asks again for the keys DynamoDB left unprocessed, backing off', async () => {
    // Prepare
    documents
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE]: [{ pk: 'a' }] }, UnprocessedKeys: { [TABLE]: { Keys: [{ pk: 'b' }] } } })
      .resolves({ Responses: { [TABLE]: [{ pk: 'b' }] } });
    const terminal = fakeTerminal();

    // Act
    const found = await batchGet(fakeTarget().dynamodb, TABLE, ['a', 'b'], terminal.io.sleep);

    // Assess
    expect([...found.keys()]).toEqual(['a', 'b']);
    expect(documents.commandCalls(BatchGetCommand)[1]!.args[0].input).toEqual({ RequestItems: { [TABLE]: { Keys: [{ pk: 'b' }] } } });
    expect(terminal.elapsedMs()).toBe(100);
  });

  it('gives up after five retries with an error that names how many keys, never which', async () => {
    // Prepare
    documents.on(BatchGetCommand).resolves({ UnprocessedKeys: { [TABLE]: { Keys: [{ pk: 'email#cust-secret' }] } } });

    // Act
    const reading = batchGet(fakeTarget().dynamodb, TABLE, ['email#cust-secret'], fakeTerminal().io.sleep);

    // Assess
    await expect(reading).rejects.toThrow('DynamoDB left 1 item of records unread after 5 retries');
    await expect(reading).rejects.not.toThrow('cust-secret');
    expect(documents.commandCalls(BatchGetCommand)).toHaveLength(6);
  });

  it('sends nothing for no keys', async () => {
    // Act
    const found = await batchGet(fakeTarget().dynamodb, TABLE, [], fakeTerminal().io.sleep);

    // Assess
    expect(found.size).toBe(0);
    expect(documents.calls()).toHaveLength(0);
  });
});
