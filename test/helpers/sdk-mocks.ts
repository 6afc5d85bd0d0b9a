/**
 * Shared AWS SDK mocks for the Lambda unit tests.
 *
 * SNS and SQS are plain aws-sdk-client-mock stubs. DynamoDB is backed by {@link FakeDynamoDb}, a
 * small in-memory table store that honours the conditional writes Powertools idempotency relies
 * on, so the tests exercise Powertools' real reaction to a duplicate (a failed conditional put
 * returning the old item) rather than a scripted sequence of calls.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';

export const snsMock = mockClient(SNSClient);
export const sqsMock = mockClient(SQSClient);
export const dynamoDbMock = mockClient(DynamoDBClient);
export const secretsManagerMock = mockClient(SecretsManagerClient);

type Item = Record<string, AttributeValue>;

/** A DynamoDB attribute value as plain JavaScript (S, N, BOOL, NULL, M and L). */
export const fromAttribute = (value: AttributeValue): unknown => {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.M !== undefined) return fromItem(value.M);
  if (value.L !== undefined) return value.L.map(fromAttribute);
  throw new Error(`Unsupported attribute value in test: ${JSON.stringify(value)}`);
};

export const fromItem = (item: Item): Record<string, unknown> =>
  Object.fromEntries(Object.entries(item).map(([key, value]) => [key, fromAttribute(value)]));

/** Plain JavaScript as a DynamoDB attribute value. */
export const toAttribute = (value: unknown): AttributeValue => {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (value === null) return { NULL: true };
  if (Array.isArray(value)) return { L: value.map(toAttribute) };
  if (typeof value === 'object') return { M: toItem(value as Record<string, unknown>) };
  throw new Error(`Unsupported value in test: ${String(value)}`);
};

export const toItem = (value: Record<string, unknown>): Item =>
  Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, toAttribute(entry)]));

const keyOf = (key: Item): string => JSON.stringify(Object.entries(key).sort());

/**
 * In-memory DynamoDB behind {@link dynamoDbMock}: PutItem, GetItem, DeleteItem, and UpdateItem with
 * `SET #a = :b` and `#a = if_not_exists(#a, :b)` clauses followed by an optional `ADD #n :n`.
 *
 * A PutItem with a ConditionExpression is treated as Powertools' idempotency lock: it fails with
 * ConditionalCheckFailedException (returning the old item, as `ReturnValuesOnConditionCheckFailure`
 * asks) when a live record exists — one not expired and not an expired in-progress record.
 */
export class FakeDynamoDb {
  readonly tables = new Map<string, Map<string, Item>>();

  install(): this {
    dynamoDbMock.on(PutItemCommand).callsFake((input) => this.put(input));
    dynamoDbMock.on(GetItemCommand).callsFake((input) => ({ Item: this.table(input.TableName).get(keyOf(input.Key)) }));
    dynamoDbMock.on(DeleteItemCommand).callsFake((input) => {
      this.table(input.TableName).delete(keyOf(input.Key));
      return {};
    });
    dynamoDbMock.on(UpdateItemCommand).callsFake((input) => this.update(input));
    return this;
  }

  /** The table's items as plain objects. */
  items(tableName: string): Record<string, unknown>[] {
    return [...this.table(tableName).values()].map(fromItem);
  }

  /** Stores an item directly, e.g. an idempotency record left by another invocation. */
  seed(tableName: string, keyAttribute: string, item: Record<string, unknown>): void {
    const stored = toItem(item);
    this.table(tableName).set(keyOf({ [keyAttribute]: stored[keyAttribute]! }), stored);
  }

  private table(name: string | undefined): Map<string, Item> {
    if (name === undefined) throw new Error('TableName missing');
    let table = this.tables.get(name);
    if (table === undefined) {
      table = new Map();
      this.tables.set(name, table);
    }
    return table;
  }

  private put(input: { TableName?: string; Item?: Item; ConditionExpression?: string }) {
    const item = input.Item ?? {};
    // Idempotency records are keyed on `id`, every other table here on `pk`.
    const keyAttribute = 'id' in item ? 'id' : 'pk';
    const key = keyOf({ [keyAttribute]: item[keyAttribute]! });
    const table = this.table(input.TableName);
    const existing = table.get(key);
    if (input.ConditionExpression !== undefined && existing !== undefined && isLive(existing)) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: existing });
    }
    table.set(key, item);
    return {};
  }

  private update(input: {
    TableName?: string;
    Key?: Item;
    UpdateExpression?: string;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Item;
  }) {
    const key = input.Key ?? {};
    const table = this.table(input.TableName);
    const existing = table.get(keyOf(key));
    const item: Item = { ...(existing ?? {}), ...key };
    const names = input.ExpressionAttributeNames ?? {};
    const values = input.ExpressionAttributeValues ?? {};
    if (input.ConditionExpression !== undefined && !holds(input.ConditionExpression, existing ?? {}, names, values)) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    }
    const [setPart, addPart = ''] = (input.UpdateExpression ?? '').replace(/^SET\s+/, '').split(/\s+ADD\s+/);
    const clauses = setPart!.split(/,\s*(?![^(]*\))/).filter((clause) => clause.trim() !== '');
    for (const clause of clauses) {
      const [target, source] = clause.split('=').map((part) => part.trim()) as [string, string];
      const name = names[target] ?? target;
      const ifNotExists = /^if_not_exists\(\s*(#\w+)\s*,\s*(:\w+)\s*\)$/.exec(source);
      if (ifNotExists) {
        if (item[names[ifNotExists[1]!]!] === undefined) item[name] = values[ifNotExists[2]!]!;
      } else {
        item[name] = values[source]!;
      }
    }
    for (const clause of addPart.split(/,\s*/).filter((clause) => clause.trim() !== '')) {
      const [target, source] = clause.trim().split(/\s+/) as [string, string];
      const name = names[target] ?? target;
      item[name] = { N: String(Number(item[name]?.N ?? 0) + Number(values[source]!.N)) };
    }
    table.set(keyOf(key), item);
    return {};
  }
}

/**
 * The condition forms the code under test writes: `attribute_not_exists(#a)`, `attribute_exists(#a)`
 * and `#a <= :v` (or `<`, `>=`, `>`, `=` on strings or numbers), joined by OR.
 */
const holds = (condition: string, item: Item, names: Record<string, string>, values: Item): boolean =>
  condition.split(/\s+OR\s+/).some((part) => {
    const exists = /^attribute_(not_)?exists\(\s*(#\w+)\s*\)$/.exec(part.trim());
    if (exists) return (item[names[exists[2]!]!] === undefined) === (exists[1] !== undefined);
    const comparison = /^(#\w+)\s*(<=|<|>=|>|=)\s*(:\w+)$/.exec(part.trim());
    if (!comparison) throw new Error(`Unsupported condition in test: ${condition}`);
    const left = item[names[comparison[1]!]!];
    if (left === undefined) return false;
    const [a, b] = [fromAttribute(left), fromAttribute(values[comparison[3]!]!)] as [string | number, string | number];
    switch (comparison[2]) {
      case '<=': return a <= b;
      case '<': return a < b;
      case '>=': return a >= b;
      case '>': return a > b;
      default: return a === b;
    }
  });

const isLive = (item: Item): boolean => {
  const record = fromItem(item);
  const nowMs = Date.now();
  if (typeof record.expiration === 'number' && record.expiration < nowMs / 1000) return false;
  const inProgressExpired =
    record.status === 'INPROGRESS' &&
    typeof record.in_progress_expiration === 'number' &&
    record.in_progress_expiration < nowMs;
  return !inProgressExpired;
};

/** Clears every stub and installs a fresh in-memory DynamoDB. */
export const resetSdkMocks = (): FakeDynamoDb => {
  snsMock.reset();
  sqsMock.reset();
  dynamoDbMock.reset();
  secretsManagerMock.reset();
  return new FakeDynamoDb().install();
};
