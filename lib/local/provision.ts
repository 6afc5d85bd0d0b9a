import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, GetSubscriptionAttributesCommand, ListSubscriptionsByTopicCommand, SetSubscriptionAttributesCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, QueueDoesNotExist, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ProvisioningError } from './errors.ts';
import type { LocalModel, LocalQueue, LocalSubscription, LocalTable } from './model.ts';

export interface ProvisionClients {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
}

/** What provisioning did, for the start-up log. */
export interface ProvisionReport {
  readonly created: string[];
  readonly updated: string[];
}

/**
 * Creates the model's queues, topics, subscriptions and tables through the public endpoint,
 * idempotently: a restart on the same data folder reuses what exists and updates attributes
 * that changed in the template.
 *
 * @throws ProvisioningError naming the resource that could not be created
 */
export async function provision(model: LocalModel, clients: ProvisionClients): Promise<ProvisionReport> {
  const report: ProvisionReport = { created: [], updated: [] };
  for (const queue of redriveOrder(model.queues)) await step(queue.logicalId, () => provisionQueue(queue, clients.sqs, report));
  for (const topic of model.topics) {
    await step(topic.logicalId, () => clients.sns.send(new CreateTopicCommand({ Name: topic.name, Attributes: { ...topic.attributes } })));
  }
  for (const subscription of model.subscriptions) {
    await step(subscription.logicalId, () => provisionSubscription(subscription, clients.sns, report));
  }
  for (const table of model.tables) await step(table.logicalId, () => provisionTable(table, clients.dynamodb, report));
  return report;
}

async function step(logicalId: string, action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (error) {
    throw new ProvisioningError(`Could not create ${logicalId} locally: ${(error as Error).message}`, { cause: error });
  }
}

/** Dead-letter queues first: CreateQueue with a RedrivePolicy needs its target to exist. */
export function redriveOrder(queues: readonly LocalQueue[]): LocalQueue[] {
  const byArn = new Map(queues.map((queue) => [queue.arn, queue]));
  const ordered: LocalQueue[] = [];
  const visiting = new Set<LocalQueue>();
  const visit = (queue: LocalQueue) => {
    if (ordered.includes(queue) || visiting.has(queue)) return;
    visiting.add(queue);
    const target = queue.attributes.RedrivePolicy ? (JSON.parse(queue.attributes.RedrivePolicy) as { deadLetterTargetArn?: string }).deadLetterTargetArn : undefined;
    const dlq = target ? byArn.get(target) : undefined;
    if (dlq) visit(dlq);
    ordered.push(queue);
  };
  queues.forEach(visit);
  return ordered;
}

async function provisionQueue(queue: LocalQueue, sqs: SQSClient, report: ProvisionReport): Promise<void> {
  const existing = await sqs
    .send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['All'] }))
    .catch((error: unknown) => {
      if (error instanceof QueueDoesNotExist) return undefined;
      throw error;
    });
  if (!existing) {
    await sqs.send(new CreateQueueCommand({ QueueName: queue.name, Attributes: queue.attributes }));
    report.created.push(queue.logicalId);
    return;
  }
  // The template changed since the data folder was written: bring the queue up to date.
  const changed = Object.entries(queue.attributes).filter(([name, value]) => (existing.Attributes as Record<string, string> | undefined)?.[name] !== value);
  if (changed.length === 0) return;
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: Object.fromEntries(changed) }));
  report.updated.push(queue.logicalId);
}

function subscriptionAttributes(subscription: LocalSubscription): Record<string, string> {
  return {
    RawMessageDelivery: String(subscription.rawMessageDelivery),
    ...(subscription.filterPolicy === undefined ? {} : { FilterPolicy: subscription.filterPolicy }),
    ...(subscription.filterPolicyScope === undefined ? {} : { FilterPolicyScope: subscription.filterPolicyScope }),
  };
}

async function provisionSubscription(subscription: LocalSubscription, sns: SNSClient, report: ProvisionReport): Promise<void> {
  const attributes = subscriptionAttributes(subscription);
  const existing = await findSubscription(sns, subscription);
  if (!existing) {
    await sns.send(new SubscribeCommand({ TopicArn: subscription.topicArn, Protocol: 'sqs', Endpoint: subscription.queueArn, Attributes: attributes, ReturnSubscriptionArn: true }));
    report.created.push(subscription.logicalId);
    return;
  }
  // Subscribe refuses an existing subscription with other attributes, so bring it up to date
  // attribute by attribute; an empty FilterPolicy removes a policy the template dropped.
  const current = (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: existing }))).Attributes ?? {};
  const desired: Record<string, string> = { FilterPolicy: '', ...attributes };
  const changed = Object.entries(desired).filter(
    ([name, value]) => (current[name] ?? '') !== value && !(name === 'FilterPolicyScope' && desired.FilterPolicy === ''),
  );
  for (const [name, value] of changed) {
    await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: existing, AttributeName: name, AttributeValue: value }));
  }
  if (changed.length > 0) report.updated.push(subscription.logicalId);
}

async function findSubscription(sns: SNSClient, subscription: LocalSubscription): Promise<string | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: subscription.topicArn, NextToken: nextToken }));
    const match = page.Subscriptions?.find((candidate) => candidate.Protocol === 'sqs' && candidate.Endpoint === subscription.queueArn);
    if (match?.SubscriptionArn) return match.SubscriptionArn;
    nextToken = page.NextToken;
  } while (nextToken);
  return undefined;
}

// dynalite predates on-demand billing and requires a provisioned throughput; the numbers have no
// local effect (dynalite does not throttle).
const THROUGHPUT = { ReadCapacityUnits: 1000, WriteCapacityUnits: 1000 };
const TABLE_ACTIVE_TIMEOUT_MS = 30_000;

async function provisionTable(table: LocalTable, dynamodb: DynamoDBClient, report: ProvisionReport): Promise<void> {
  try {
    await dynamodb.send(new DescribeTableCommand({ TableName: table.name }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const input: CreateTableCommandInput = {
    TableName: table.name,
    KeySchema: [...table.keySchema],
    AttributeDefinitions: [...table.attributeDefinitions],
    ProvisionedThroughput: THROUGHPUT,
    ...(table.globalSecondaryIndexes?.length
      ? { GlobalSecondaryIndexes: table.globalSecondaryIndexes.map((index) => ({ ...(index as object), ProvisionedThroughput: THROUGHPUT }) as never) }
      : {}),
  };
  await dynamodb.send(new CreateTableCommand(input));
  // dynalite answers CreateTable with CREATING and turns the table ACTIVE after a timer and a
  // LevelDB write; until then every item call fails ResourceNotFoundException, as on AWS.
  // Asked every 10 ms: the SDK's waiter (waitUntilTableExists) waits at least a second between
  // attempts, and a table that missed its first attempt cost start-up a whole second or two.
  const deadline = Date.now() + TABLE_ACTIVE_TIMEOUT_MS;
  while ((await dynamodb.send(new DescribeTableCommand({ TableName: table.name }))).Table?.TableStatus !== 'ACTIVE') {
    if (Date.now() > deadline) throw new Error(`table ${table.name} was not ACTIVE within ${TABLE_ACTIVE_TIMEOUT_MS / 1000} s of CreateTable`);
    await sleep(10);
  }
  report.created.push(table.logicalId);
}
