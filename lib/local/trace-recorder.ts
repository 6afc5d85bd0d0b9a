/**
 * Turns what the Lambda host reports (each function line, each ended invocation) into trace events
 * (trace-events.ts): the invocation with its function logs; the event a producer published (its
 * `Event published` line); and, per record of an SQS batch, one delivery attempt with its outcome,
 * error and backoff as the invocation log reads them (invocation-log.ts recordOutcomes).
 *
 * Lines are grouped by the invocation they belong to as the printer groups them: the request id a
 * Powertools line names, else the one the host says was running. A worker's line can arrive just
 * after the invocation ended, so an invocation is reported after a short grace.
 */
import type { SQSEvent } from 'aws-lambda';
import { envelopeFieldsOf, functionLabel, parseJsonLine, recordOutcomes, requestIdOf, type LogLine } from './invocation-log.ts';
import type { EndedInvocation, LogStream } from './lambda-host.ts';
import type { AttemptTraceEvent, TraceLogLine, TraceObserver } from './trace-events.ts';

/** The producer's log message for a published event (lambdas/shared/producer.ts). */
export const PUBLISHED_MESSAGE = 'Event published';
/** Per invocation, at most this many lines of at most this many characters are kept. */
const MAX_LINES = 200;
const MAX_LINE_LENGTH = 8_192;
/** Invocations whose lines are held at once; beyond it the oldest are dropped (a line with a foreign request id). */
const MAX_OPEN = 2_000;

export interface TraceRecorderOptions {
  readonly observe: TraceObserver;
  readonly stackNames: () => readonly string[];
  /** @default 25 (as the invocation printer) */
  readonly graceMs?: number;
}

export class TraceRecorder {
  readonly #options: TraceRecorderOptions;
  readonly #open = new Map<string, LogLine[]>();
  readonly #pending = new Map<NodeJS.Timeout, EndedInvocation>();

  constructor(options: TraceRecorderOptions) {
    this.#options = options;
  }

  /** A line from the host's `log` callback. */
  readonly line = (_functionName: string, text: string, stream: LogStream, requestId?: string): void => {
    const id = requestIdOf(text) ?? requestId;
    if (id === undefined) return;
    let lines = this.#open.get(id);
    if (!lines) {
      if (this.#open.size >= MAX_OPEN) this.#open.delete(this.#open.keys().next().value!);
      this.#open.set(id, (lines = []));
    }
    if (lines.length < MAX_LINES) lines.push({ text: text.length > MAX_LINE_LENGTH ? `${text.slice(0, MAX_LINE_LENGTH - 1)}…` : text, stream });
  };

  /** An ended invocation from the host's `onInvocation` callback. */
  readonly invocation = (invocation: EndedInvocation): void => {
    const timer = setTimeout(() => {
      this.#pending.delete(timer);
      this.#report(invocation);
    }, this.#options.graceMs ?? 25);
    this.#pending.set(timer, invocation);
  };

  /** Reports the invocations still waiting for late lines (on stop). */
  flush(): void {
    for (const [timer, invocation] of [...this.#pending]) {
      clearTimeout(timer);
      this.#pending.delete(timer);
      this.#report(invocation);
    }
  }

  #report(invocation: EndedInvocation): void {
    const { fn, result, startedAt, event, source } = invocation;
    const lambdaRequestId = result.requestId;
    const lines = this.#open.get(lambdaRequestId) ?? [];
    this.#open.delete(lambdaRequestId);
    const at = startedAt.getTime();
    const label = functionLabel(fn, this.#options.stackNames());
    const error = result.ok ? undefined : `${result.errorType}: ${result.errorMessage}`;
    const observe = this.#options.observe;
    observe({
      kind: 'invocation',
      at,
      lambdaRequestId,
      functionName: fn.name,
      label,
      ...(source === undefined ? {} : { source }),
      durationMs: Math.round(result.durationMs * 10) / 10,
      ok: result.ok,
      ...(error === undefined ? {} : { error }),
      logs: lines.map((line): TraceLogLine => ({ stream: line.stream, text: line.text })),
    });
    const parsed = lines.map((line) => parseJsonLine(line.text)?.fields).filter((fields) => fields !== undefined);
    for (const fields of parsed) {
      if (fields.message !== PUBLISHED_MESSAGE || typeof fields.eventId !== 'string') continue;
      observe({
        kind: 'published',
        at: Date.parse(String(fields.timestamp)) || at + result.durationMs,
        eventId: fields.eventId,
        ...(typeof fields.eventType === 'string' ? { eventType: fields.eventType } : {}),
        ...(typeof fields.correlationId === 'string' ? { correlationId: fields.correlationId } : {}),
        lambdaRequestId,
        label,
      });
    }
    if (source !== 'sqs' || !isSqsEvent(event)) return;
    const outcomes = recordOutcomes(event, result, lines);
    event.Records.forEach((record, index) => {
      const outcome = outcomes[index]!.outcome;
      const envelope = envelopeFieldsOf(record.body) ?? {};
      const eventId = typeof envelope.id === 'string' ? envelope.id : record.messageId;
      const sent = Number(record.attributes.SentTimestamp);
      const own = parsed.find((fields) => fields.messageId === record.messageId && typeof fields.errorType === 'string');
      const recordError = error ?? (own && outcome.kind !== 'ok' && outcome.kind !== 'skipped' ? `${String(own.errorType)}: ${String(own.errorMessage ?? '')}` : undefined);
      const attempt: AttemptTraceEvent = {
        kind: 'attempt',
        at,
        eventId,
        ...(typeof envelope.type === 'string' ? { eventType: envelope.type } : {}),
        ...(typeof envelope.correlationid === 'string' ? { correlationId: envelope.correlationid } : {}),
        messageId: record.messageId,
        queueArn: record.eventSourceARN,
        receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1,
        ...(Number.isFinite(sent) && sent > 0 ? { sentAt: sent } : {}),
        lambdaRequestId,
        functionName: fn.name,
        label,
        durationMs: Math.round(result.durationMs * 10) / 10,
        outcome: outcome.kind,
        ...(recordError === undefined ? {} : { error: recordError }),
        ...('inSeconds' in outcome && outcome.inSeconds !== undefined ? { backoffSeconds: outcome.inSeconds } : {}),
        ...('attemptsLeft' in outcome && outcome.attemptsLeft !== undefined ? { attemptsLeft: outcome.attemptsLeft } : {}),
        // A body that is not an envelope (an app without queueflow's producer) is searched as it is.
        data: (envelope.data === undefined ? record.body : JSON.stringify(envelope.data)).slice(0, MAX_LINE_LENGTH),
        attributes: Object.fromEntries(
          Object.entries(record.messageAttributes ?? {}).flatMap(([name, value]) => (value.stringValue === undefined ? [] : [[name, value.stringValue]])),
        ),
      };
      observe(attempt);
    });
  }
}

function isSqsEvent(event: unknown): event is SQSEvent {
  return Array.isArray((event as { Records?: unknown } | null)?.Records);
}
