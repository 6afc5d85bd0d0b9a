/**
 * What the local runtime's components report for the trace store (trace-store.ts) and the console
 * (console-server.ts): plain, JSON-serialisable facts, so an emitter can run in another thread
 * (postMessage) without knowing who listens. Times are epoch milliseconds.
 */

/** The API gateway answered a request (also when it refused it before any Lambda ran). */
export interface RequestTraceEvent {
  readonly kind: 'request';
  readonly at: number;
  /** API Gateway's request id (`x-amzn-RequestId`). */
  readonly requestId: string;
  /** The Lambda invocation's request id, when a function ran; it ties the request to the event it published. */
  readonly lambdaRequestId?: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly latencyMs: number;
}

/** One function line, with the stream it came from. */
export interface TraceLogLine {
  readonly stream: 'stdout' | 'stderr' | 'host';
  readonly text: string;
}

/** A Lambda invocation ended; `logs` are the lines it wrote (its function logs). */
export interface InvocationTraceEvent {
  readonly kind: 'invocation';
  readonly at: number;
  readonly lambdaRequestId: string;
  readonly functionName: string;
  /** The name people use (a consumer's name, `producer`; invocation-log.ts functionLabel). */
  readonly label: string;
  readonly source?: 'api' | 'sqs';
  readonly durationMs: number;
  readonly ok: boolean;
  /** `errorType: errorMessage` of a failed invocation. */
  readonly error?: string;
  readonly logs: readonly TraceLogLine[];
}

/** A function published an event (the producer's `Event published` line). */
export interface PublishedTraceEvent {
  readonly kind: 'published';
  readonly at: number;
  readonly eventId: string;
  readonly eventType?: string;
  readonly correlationId?: string;
  readonly lambdaRequestId: string;
  readonly label: string;
}

/** What became of one record in one consumer invocation (invocation-log.ts recordOutcomes). */
export type AttemptOutcome = 'ok' | 'skipped' | 'retry' | 'dead-lettered' | 'error';

/** A consumer's function ran on a record of the event: one delivery attempt. */
export interface AttemptTraceEvent {
  readonly kind: 'attempt';
  /** When the invocation started. */
  readonly at: number;
  /** The envelope's id, or the SQS message id of a body that is not an envelope. */
  readonly eventId: string;
  readonly eventType?: string;
  readonly correlationId?: string;
  readonly messageId: string;
  readonly queueArn: string;
  /** SQS ApproximateReceiveCount of this delivery: 1 for the first attempt. */
  readonly receiveCount: number;
  /** SQS SentTimestamp: when the message reached the queue (the SNS delivery, or a redrive's send). */
  readonly sentAt?: number;
  readonly lambdaRequestId: string;
  readonly functionName: string;
  readonly label: string;
  readonly durationMs: number;
  readonly outcome: AttemptOutcome;
  readonly error?: string;
  /** The retry backoff the consumer set, in seconds. */
  readonly backoffSeconds?: number;
  readonly attemptsLeft?: number;
  /** The envelope's `data` as JSON text (the body itself when it is not an envelope), for searching by a value in it (an order id). */
  readonly data?: string;
  /** The message's String attributes, against which the trace evaluates the other subscriptions' filter policies. */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** Dead letters were moved back to their queue from the console (the CLI's redrive). */
export interface RedriveTraceEvent {
  readonly kind: 'redrive';
  readonly at: number;
  readonly eventId: string;
  readonly consumer: string;
}

export type TraceEvent = RequestTraceEvent | InvocationTraceEvent | PublishedTraceEvent | AttemptTraceEvent | RedriveTraceEvent;

/** Where components send what they see. One call per fact; it must not throw or block. */
export type TraceObserver = (event: TraceEvent) => void;
