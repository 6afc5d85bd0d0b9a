/**
 * The SQS event source mappings: long-polls each mapped queue and invokes its function with
 * batches built exactly as Lambda builds them, then deletes what succeeded.
 *
 * AWS semantics reproduced (../../docs/architecture.md, AWS-SEMANTICS.md):
 * - a batch is gathered until `batchSize` records or `maximumBatchingWindowSeconds` elapsed
 *   (with no window, as soon as a receive returns and the queue has nothing more at once);
 * - at most `maximumConcurrency` batches of one mapping are in flight (default 5, the number of
 *   concurrent batches Lambda starts with);
 * - a thrown error or a timeout leaves the whole batch to reappear after the visibility timeout;
 * - with ReportBatchItemFailures only the reported records stay; a malformed response (not an
 *   object, an unknown or missing `itemIdentifier`) fails the whole batch, as Lambda does;
 * - the move to the DLQ after `maxReceiveCount` is fauxqs's: it applies the queue's redrive
 *   policy on receive, as SQS does, so the poller never sees such a message;
 * - FIFO queues: the emulator returns a group's messages in order and no more of a group while
 *   one of its messages is in flight (patched fauxqs, patches/), so concurrent batches never share
 *   a group; the records a function reports failed (a failed record and, with Powertools'
 *   `skipGroupOnError`, its group's later ones) stay, the others are deleted, as Lambda does.
 */
import { randomInt } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { InjectedFaults } from './faults.ts';
import type { InvokeOptions, InvokeResult } from './lambda-host.ts';
import type { LocalEventSourceMapping } from './model.ts';

/** What the poller needs from the Lambda host. */
export interface PollerHost {
  invoke(functionLogicalId: string, event: unknown, options?: InvokeOptions): Promise<InvokeResult>;
}

export interface EventSourcePollerOptions {
  readonly mappings: readonly LocalEventSourceMapping[];
  readonly host: PollerHost;
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Receives failures only (failed batches, receive errors); successful batches are quiet. */
  readonly log: (source: string, line: string) => void;
  /** Concurrent batches per mapping without ScalingConfig.MaximumConcurrency. @default 5 */
  readonly defaultMaximumConcurrency?: number;
  /** Long-poll wait per ReceiveMessage, 0–20 s; lower only in tests that stop often. @default 20 */
  readonly waitTimeSeconds?: number;
}

/** Lambda caps one SQS ReceiveMessage at 10 messages; larger batches take several calls. */
const MAX_PER_RECEIVE = 10;
/** Pause after a failed ReceiveMessage (queue missing, endpoint down) before trying again. */
const RECEIVE_ERROR_BACKOFF_MS = 1000;

/**
 * Runs the SQS event source mappings of a stack.
 *
 * @example
 * ```ts
 * const poller = new EventSourcePoller({ mappings: model.eventSourceMappings, host, endpoint, region, credentials, log });
 * poller.start();
 * // …
 * await poller.stop(); // before host.stop()
 * ```
 */
export class EventSourcePoller {
  readonly #options: EventSourcePollerOptions;
  readonly #sqs: SQSClient;
  readonly #abort = new AbortController();
  readonly #loops: Promise<void>[] = [];

  constructor(options: EventSourcePollerOptions) {
    this.#options = options;
    // A copy: the SDK tags the credentials object it is given (`$source`), which would leak into
    // the caller's object (and from there into the state file).
    const { accessKeyId, secretAccessKey } = options.credentials;
    this.#sqs = new SQSClient({ endpoint: options.endpoint, region: options.region, credentials: { accessKeyId, secretAccessKey } });
  }

  start(): void {
    if (this.#loops.length > 0) return;
    for (const mapping of this.#options.mappings) {
      if (!mapping.enabled) continue;
      this.#loops.push(new MappingPoller(mapping, this.#options, this.#sqs, this.#abort.signal).run());
    }
  }

  /** Stops receiving, lets in-flight batches finish (and delete what succeeded), then closes. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.all(this.#loops);
    this.#sqs.destroy();
  }
}

class MappingPoller {
  readonly #mapping: LocalEventSourceMapping;
  readonly #options: EventSourcePollerOptions;
  readonly #sqs: SQSClient;
  readonly #signal: AbortSignal;
  readonly #source: string;
  readonly #maxConcurrency: number;
  readonly #inFlight = new Set<Promise<void>>();
  #lastReceiveError?: string;

  constructor(mapping: LocalEventSourceMapping, options: EventSourcePollerOptions, sqs: SQSClient, signal: AbortSignal) {
    this.#mapping = mapping;
    this.#options = options;
    this.#sqs = sqs;
    this.#signal = signal;
    this.#source = mapping.queueArn.split(':').at(-1) ?? mapping.logicalId;
    this.#maxConcurrency = mapping.maximumConcurrency ?? options.defaultMaximumConcurrency ?? 5;
  }

  async run(): Promise<void> {
    while (!this.#signal.aborted) {
      // Receive only with a free slot: a received message's visibility timeout is already running.
      if (this.#inFlight.size >= this.#maxConcurrency) {
        await Promise.race(this.#inFlight);
        continue;
      }
      const messages = await this.#gather();
      if (messages.length === 0) continue;
      const batch = this.#process(messages).finally(() => this.#inFlight.delete(batch));
      this.#inFlight.add(batch);
    }
    await Promise.all(this.#inFlight);
  }

  /** One batch: up to batchSize messages, within the batching window. */
  async #gather(): Promise<Message[]> {
    const { batchSize, maximumBatchingWindowSeconds: window } = this.#mapping;
    const maxWait = this.#options.waitTimeSeconds ?? 20;
    // By id: with a visibility timeout shorter than the window (AWS advises against it) a message
    // can come back while the batch is still open; its latest receipt handle is the valid one.
    const messages = new Map<string, Message>();
    let windowEnds = 0;
    while (messages.size < batchSize && !this.#signal.aborted) {
      const left = windowEnds - Date.now();
      const waitSeconds = messages.size === 0 ? maxWait : Math.max(0, Math.min(maxWait, Math.floor(left / 1000)));
      const received = await this.#receive(Math.min(MAX_PER_RECEIVE, batchSize - messages.size), waitSeconds);
      if (received === undefined) break;
      if (messages.size === 0 && received.length > 0) windowEnds = Date.now() + window * 1000;
      for (const message of received) messages.set(message.MessageId!, message);
      if (messages.size === 0) continue;
      // No window: invoke as soon as the queue has nothing more to give at once.
      if (window === 0 && received.length === 0) break;
      const stillOpen = windowEnds - Date.now();
      if (window > 0 && stillOpen <= 0) break;
      // Under a second left: short polls, as WaitTimeSeconds has whole seconds only.
      if (received.length === 0 && stillOpen < 1000) await sleep(Math.min(stillOpen, 100), this.#signal);
    }
    return [...messages.values()];
  }

  /** Undefined when stopped or after an error (already logged and backed off). */
  async #receive(maxMessages: number, waitSeconds: number): Promise<Message[] | undefined> {
    try {
      const output = await this.#sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.#mapping.queueUrl,
          MaxNumberOfMessages: maxMessages,
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: this.#signal },
      );
      this.#lastReceiveError = undefined;
      return output.Messages ?? [];
    } catch (error) {
      if (this.#signal.aborted) return undefined;
      const message = `${(error as Error).name}: ${(error as Error).message}`;
      // One line per distinct error, not one per retry.
      if (message !== this.#lastReceiveError) this.#options.log(this.#source, `ReceiveMessage failed, retrying: ${message}`);
      this.#lastReceiveError = message;
      await sleep(RECEIVE_ERROR_BACKOFF_MS, this.#signal);
      return undefined;
    }
  }

  async #process(messages: Message[]): Promise<void> {
    const event: SQSEvent = { Records: messages.map((m) => toRecord(m, this.#mapping.queueArn, this.#options.region)) };
    let result: InvokeResult;
    try {
      result = await this.#options.host.invoke(this.#mapping.functionLogicalId, event, { source: 'sqs' });
    } catch (error) {
      this.#options.log(this.#source, `invoke failed: ${(error as Error).message}; ${messages.length} record(s) stay for redelivery`);
      return;
    }
    if (!result.ok) {
      this.#options.log(this.#source, `batch of ${messages.length} failed (${result.errorType}: ${result.errorMessage}); the records reappear after the visibility timeout`);
      return;
    }
    const failed = this.#mapping.reportBatchItemFailures ? batchItemFailures(result.result, event) : new Set<string>();
    if (failed === undefined) {
      this.#options.log(this.#source, `batch of ${messages.length} failed: malformed batchItemFailures response; the records reappear after the visibility timeout`);
      return;
    }
    const succeeded = event.Records.filter((record) => !failed.has(record.messageId));
    await this.#delete(succeeded);
    if (result.injectedFault === InjectedFaults.DuplicateDelivery && succeeded.length > 0) {
      await this.#redeliver(succeeded[randomInt(succeeded.length)]!);
    }
  }

  async #delete(records: readonly SQSRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += MAX_PER_RECEIVE) {
      const chunk = records.slice(i, i + MAX_PER_RECEIVE);
      try {
        const output = await this.#sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.#mapping.queueUrl,
            Entries: chunk.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
          }),
        );
        for (const failure of output.Failed ?? []) this.#options.log(this.#source, `DeleteMessage failed: ${failure.Code} ${failure.Message ?? ''}`);
      } catch (error) {
        this.#options.log(this.#source, `DeleteMessageBatch failed, ${chunk.length} record(s) will be redelivered: ${(error as Error).message}`);
      }
    }
  }

  /**
   * The duplicate-delivery fault: SQS's at-least-once delivery, made to happen. On a FIFO queue the
   * copy joins the end of its message group under a new deduplication id: a duplicate from outside
   * the 5-minute window (a publish retried late, a redrive), arriving after the group's later events.
   */
  async #redeliver(record: SQSRecord): Promise<void> {
    const groupId = record.attributes.MessageGroupId;
    try {
      await this.#sqs.send(
        new SendMessageCommand({
          QueueUrl: this.#mapping.queueUrl,
          MessageBody: record.body,
          MessageAttributes: toSendAttributes(record.messageAttributes),
          ...(groupId === undefined ? {} : { MessageGroupId: groupId, MessageDeduplicationId: `duplicate-${record.messageId}` }),
        }),
      );
      this.#options.log(this.#source, `injected duplicate delivery of message ${record.messageId}`);
    } catch (error) {
      this.#options.log(this.#source, `injected duplicate delivery failed: ${(error as Error).message}`);
    }
  }
}

/** A received message as a record of Lambda's SQS event. */
export function toRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined ? {} : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
      dataType: value.DataType ?? 'String',
    };
  }
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: attributes as unknown as SQSRecord['attributes'],
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

function toSendAttributes(attributes: SQSMessageAttributes): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        DataType: value.dataType,
        ...(value.stringValue === undefined ? {} : { StringValue: value.stringValue }),
        ...(value.binaryValue === undefined ? {} : { BinaryValue: Buffer.from(value.binaryValue, 'base64') }),
      },
    ]),
  );
}

/**
 * The message ids a partial batch response reports as failed, or undefined when the response is
 * malformed and Lambda would fail the whole batch. No response, `{}` and an empty or null
 * `batchItemFailures` all mean complete success.
 */
export function batchItemFailures(response: unknown, event: SQSEvent): Set<string> | undefined {
  if (response === null || response === undefined) return new Set();
  if (typeof response !== 'object' || Array.isArray(response)) return undefined;
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return new Set();
  if (!Array.isArray(failures)) return undefined;
  const ids = new Set(event.Records.map((record) => record.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !ids.has(id)) return undefined;
    failed.add(id);
  }
  return failed;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
