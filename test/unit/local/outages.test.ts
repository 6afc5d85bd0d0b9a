import { describe, expect, it } from 'vitest';
import { InvalidOutageRequestError, parseOutageRequest, TableOutages, tablesNamedIn } from '../../../lib/local/outages.ts';

describe('tablesNamedIn', () => {
  it.each([
    ['an item operation, Query, Scan or DescribeTable', { TableName: 'a', Key: {} }, ['a']],
    ['BatchGetItem or BatchWriteItem', { RequestItems: { a: {}, b: {} } }, ['a', 'b']],
    [
      'TransactWriteItems or TransactGetItems',
      { TransactItems: [{ Put: { TableName: 'a' } }, { ConditionCheck: { TableName: 'b' } }, { Get: { TableName: 'a' } }] },
      ['a', 'b'],
    ],
    ['ListTables', { Limit: 10 }, []],
  ])('finds the tables of %s', (_operation, request, tables) => {
    // Act
    const found = tablesNamedIn(JSON.stringify(request));

    // Assess
    expect(found).toEqual(tables);
  });

  it('finds none in a body that is not a JSON object', () => {
    // Act
    const found = ['{', '[]', 'null', ''].map(tablesNamedIn);

    // Assess
    expect(found).toEqual([[], [], [], []]);
  });
});

describe('TableOutages', () => {
  it('keeps a table down until its outage ends, and lists only active outages', () => {
    // Prepare
    const outages = new TableOutages();
    const now = Date.parse('2026-01-01T00:00:00.000Z');

    // Act
    const started = outages.start('a', 60, now);

    // Assess
    expect(started).toEqual({ table: 'a', until: '2026-01-01T00:01:00.000Z' });
    expect(outages.down(['a', 'b'], now + 59_999)).toEqual(['a']);
    expect(outages.down(['a', 'b'], now + 60_000)).toEqual([]);
    expect(outages.list(now + 60_000)).toEqual([]);
    expect(outages.active(now + 60_000)).toBe(false);
  });

  it('ends one outage by table, or all', () => {
    // Prepare
    const outages = new TableOutages();
    outages.start('a', 60);
    outages.start('b', 60);
    outages.start('c', 60);

    // Act
    const one = outages.end('a');
    const none = outages.end('a');
    const rest = outages.end();

    // Assess
    expect([one, none, rest]).toEqual([['a'], [], ['b', 'c']]);
    expect(outages.active()).toBe(false);
  });
});

describe('parseOutageRequest', () => {
  it('accepts a table name and a duration from 1 second to a day', () => {
    // Act
    const parsed = parseOutageRequest('{"table":"QueueflowSample-Ledger","seconds":86400}');

    // Assess
    expect(parsed).toEqual({ table: 'QueueflowSample-Ledger', seconds: 86_400 });
  });

  it.each(['{', '{"table":"tbl","seconds":0}', '{"table":"tbl","seconds":86401}', '{"table":"t","seconds":5}', '{"table":"tbl"}', '{"table":"tbl","seconds":"5"}'])(
    'rejects %s',
    (json) => {
      // Act
      const parse = () => parseOutageRequest(json);

      // Assess
      expect(parse).toThrow(InvalidOutageRequestError);
    },
  );
});
