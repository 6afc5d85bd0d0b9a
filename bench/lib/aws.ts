/** SDK clients for a running local runtime, and the reads the measurements make through them. */
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient, type QueueAttributeName } from '@aws-sdk/client-sqs';
import type { FinalizeRequestMiddleware } from '@smithy/types';
import type { ConsumerQueues } from '../../lib/constructs/output-keys.ts';
import type { LocalState } from '../../lib/local/state-file.ts';

export interface Clients {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  /**
   * Requests these clients made, by service and action (as the stats endpoint counts them), so
   * the cost measurement can leave the measuring tool's own requests out.
   */
  readonly ownRequests: Record<'sqs' | 'dynamodb', Record<string, number>>;
}

const countInto =
  <Input extends object, Output extends object>(tally: Record<string, number>): FinalizeRequestMiddleware<Input, Output> =>
  (next, context) =>
  async (args) => {
    const action = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
    tally[action] = (tally[action] ?? 0) + 1;
    return next(args);
  };

export const clientsFor = (state: Pick<LocalState, 'endpoint' | 'region' | 'credentials'>): Clients => {
  const config = { endpoint: state.endpoint, region: state.region, credentials: state.credentials, maxAttempts: 5 };
  const ownRequests: Clients['ownRequests'] = { sqs: {}, dynamodb: {} };
  const sqs = new SQSClient(config);
  const dynamodb = new DynamoDBClient(config);
  // At the finalize step, so each retry of a request is counted, as the server counts it.
  const options = { step: 'finalizeRequest', name: 'queueflowBenchCounter' } as const;
  sqs.middlewareStack.add(countInto(ownRequests.sqs), options);
  dynamodb.middlewareStack.add(countInto(ownRequests.dynamodb), options);
  return { sqs, dynamodb, ownRequests };
};

export interface QueueDepth {
  /** Ready to be received (the backlog). */
  readonly visible: number;
  /** Received and not yet deleted, or backed off with ChangeMessageVisibility. */
  readonly inFlight: number;
  readonly delayed: number;
}

export const queueDepth = async (sqs: SQSClient, queueUrl: string): Promise<QueueDepth> => {
  const { Attributes: a = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return {
    visible: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
  };
};

/**
 * Waits until every consumer queue is empty — nothing visible, in flight or delayed — three
 * polls (1 s apart) in a row. Returns false when `timeoutMs` passes first.
 */
export const waitForEmptyQueues = async (
  sqs: SQSClient,
  queues: readonly ConsumerQueues[],
  timeoutMs: number,
  log: (line: string) => void = () => {},
): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  let quietPolls = 0;
  let lastLog = Date.now();
  while (Date.now() < deadline) {
    const depths = await Promise.all(queues.map((queue) => queueDepth(sqs, queue.queueUrl)));
    quietPolls = depths.every((depth) => depth.visible + depth.inFlight + depth.delayed === 0) ? quietPolls + 1 : 0;
    if (quietPolls >= 3) return true;
    if (Date.now() - lastLog > 15_000) {
      lastLog = Date.now();
      const detail = queues.map((queue, i) => `${queue.name} ${depths[i]!.visible}+${depths[i]!.inFlight}+${depths[i]!.delayed}`);
      log(`waiting for the queues to empty: ${detail.join(', ')} (visible+in flight+delayed)`);
    }
    await sleep(1_000);
  }
  return false;
};

/** One queue attribute, as a string (e.g. `VisibilityTimeout`, `RedrivePolicy`). */
export const queueAttribute = async (sqs: SQSClient, queueUrl: string, name: QueueAttributeName): Promise<string | undefined> => {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [name] }));
  return Attributes?.[name];
};

/** A ledger item: one effect, performed or skipped (keyed `<consumer>#<eventId>#<effect>`). */
export interface Effect {
  readonly consumer: string;
  readonly eventId: string;
  readonly effect: string;
  /** Epoch milliseconds of `at`: the first attempt's time. */
  readonly atMs: number;
  /** Attempts that reached the ledger; more than 1 is a repeat the effect's idempotency key absorbed. */
  readonly deliveries: number;
  /** The order or user the effect concerns (`orderId` or `userId`). */
  readonly subject: string;
  /** `skipped` when the consumer did not perform it because its data subject was erased after the event. */
  readonly status: 'performed' | 'skipped';
}

const text = (value: AttributeValue | undefined): string => value?.S ?? '';

/** Every item of the ledger table (a full, paginated scan). */
export const scanLedger = async (dynamodb: DynamoDBClient, tableName: string): Promise<Effect[]> => {
  const effects: Effect[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) {
      effects.push({
        consumer: text(item.consumer),
        eventId: text(item.eventId),
        effect: text(item.effect),
        atMs: Date.parse(text(item.at)),
        deliveries: Number(item.deliveries?.N ?? 0),
        subject: text(item.orderId ?? item.userId),
        status: text(item.status) === 'skipped' ? 'skipped' : 'performed',
      });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return effects;
};
