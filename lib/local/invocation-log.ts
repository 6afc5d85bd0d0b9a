/**
 * The local runtime's readable output: one line per invocation (per record of an SQS batch) with
 * the time it ended, function, event or request, outcome and duration, and under it the function's own log
 * lines, pretty-printed (all of them with `--verbose`, else only error-level and stderr lines).
 *
 * The formatting is pure ({@link formatInvocation}, {@link formatLogLine}); {@link InvocationPrinter}
 * ties the lines a function writes to the invocation they belong to, which the host only reports
 * once the invocation has ended.
 */
import type { SQSEvent } from 'aws-lambda';
import { batchItemFailures } from './event-source-poller.ts';
import type { EndedInvocation, InvokeResult, LogStream } from './lambda-host.ts';
import type { LocalFunction } from './model.ts';

/** `pretty`: the one-line format; `json`: each raw function line with its prefix, and the REPORT lines. */
export const LogFormats = { Pretty: 'pretty', Json: 'json' } as const;
export type LogFormat = (typeof LogFormats)[keyof typeof LogFormats];

/** A `node:util` `styleText` format, or a list of them. */
export type StyleFormat = Parameters<typeof import('node:util').styleText>[0];
/** Colours `text`; {@link plain} for no colour. */
export type Style = (format: StyleFormat, text: string) => string;
export const plain: Style = (_format, text) => text;

export interface LogLine {
  readonly text: string;
  readonly stream: LogStream;
}

/** What the formatter needs to know of one finished invocation. */
export interface InvocationFacts {
  /**
   * Wall-clock end of the invocation: lines are printed as invocations end, so the time column
   * then reads in order.
   */
  readonly endedAt: Date;
  /** The short function label, e.g. `email` or `producer` (see {@link functionLabel}). */
  readonly label: string;
  readonly source?: 'api' | 'sqs';
  readonly event: unknown;
  readonly result: InvokeResult;
  /** The lines the function wrote during the invocation, in order. */
  readonly lines: readonly LogLine[];
}

export interface FormatOptions {
  /** Every function line under its invocation, not only the error-level and stderr ones. */
  readonly verbose?: boolean;
  /** Only invocations that failed or logged an error, with their error lines. */
  readonly quiet?: boolean;
  /** @default plain */
  readonly style?: Style;
  /** Labels are padded to this width so the columns line up. @default 0 */
  readonly labelWidth?: number;
}

/** The subject of one output line of an SQS invocation: one record and what became of it. */
export interface RecordOutcome {
  readonly eventType?: string;
  readonly eventId?: string;
  readonly messageId: string;
  readonly outcome: Outcome;
}

export type Outcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'skipped' }
  | { readonly kind: 'error' }
  | { readonly kind: 'dead-lettered'; readonly inSeconds?: number }
  | { readonly kind: 'retry'; readonly inSeconds?: number; readonly attemptsLeft?: number };

/*
 * The consumer's log messages that say what became of a record (lambdas/shared/consumer.ts; the
 * local runtime does not import the Lambda code, and test/unit/local/invocation-log.test.ts checks
 * that these texts are still there).
 */
export const CONSUMER_MESSAGES = {
  retry: 'Retry scheduled',
  retryWithoutBackoff: 'Could not set the retry backoff',
  deadLettered: 'Record failed permanently: sent to the DLQ',
  skipped: 'Skipped: the data subject was erased after this event',
} as const;

/** Powertools Logger keys that repeat on every line and say nothing about this one. */
const BOILERPLATE_KEYS = new Set([
  'level', 'message', 'timestamp', 'service', 'sampling_rate', 'xray_trace_id', 'cold_start',
  'function_arn', 'function_memory_size', 'function_name', 'function_request_id',
  // The record's identity, already on the invocation line.
  'eventType', 'messageId', 'correlationId',
]);
const MAX_VALUE_LENGTH = 160;
/** Width of `HH:MM:SS.mmm ` — function lines are indented by it, under the label column. */
const INDENT = ' '.repeat(13);

export type ParsedLine = { readonly level?: string; readonly message?: string; readonly fields: Record<string, unknown> };

/** A JSON object line (Powertools Logger), or undefined for any other text. */
export function parseJsonLine(text: string): ParsedLine | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const fields = value as Record<string, unknown>;
    return {
      ...(typeof fields.level === 'string' ? { level: fields.level.toUpperCase() } : {}),
      ...(typeof fields.message === 'string' ? { message: fields.message } : {}),
      fields,
    };
  } catch {
    return undefined;
  }
}

/**
 * Whether a line is shown whatever the flags: JSON lines (Powertools) whose `level` is ERROR or
 * CRITICAL, any non-JSON line on stderr (uncaught errors, console.error), and the host's error
 * lines; REPORT lines and other levels are not.
 */
export function isErrorLine(line: string, stream: LogStream): boolean {
  if (stream === 'host') return line.startsWith('ERROR');
  const parsed = parseJsonLine(line);
  if (parsed) return parsed.level === 'ERROR' || parsed.level === 'CRITICAL';
  return stream === 'stderr';
}

/** The request id a Powertools line names (`function_request_id`, set by injectLambdaContext). */
export function requestIdOf(text: string): string | undefined {
  if (!text.includes('"function_request_id"')) return undefined;
  const id = parseJsonLine(text)?.fields.function_request_id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * The name people use for a function: a queueflow consumer's `CONSUMER_NAME`, `producer` for the
 * queueflow producer (the function with its `TOPIC_ARN` and `EVENT_SOURCE`, queue-workflow.ts), else
 * the function name without the stack prefix and CDK's hash suffix
 * (`Stack-ConsumerFunction515B9BED` → `ConsumerFunction`).
 */
export function functionLabel(fn: Pick<LocalFunction, 'name' | 'environment'>, stackNames: readonly string[]): string {
  if (fn.environment.CONSUMER_NAME) return fn.environment.CONSUMER_NAME;
  if (fn.environment.TOPIC_ARN && fn.environment.EVENT_SOURCE) return 'producer';
  return shortName(fn.name, stackNames);
}

/** `Stack-ConsumerFunction515B9BED` → `ConsumerFunction`: the prefix of raw (`json`) lines. */
export function shortName(name: string, stackNames: readonly string[]): string {
  const stack = stackNames.find((stackName) => name.startsWith(`${stackName}-`));
  return (stack ? name.slice(stack.length + 1) : name).replace(/[0-9A-F]{8}$/, '');
}

/** `HH:MM:SS.mmm` in local time. */
export function clockTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/**
 * The envelope's type and id of a record body: a CloudEvents-style envelope, or an SNS
 * notification wrapping one (a subscription without raw message delivery).
 */
export function envelopeOf(body: string): { eventType?: string; eventId?: string } {
  const value = envelopeFieldsOf(body);
  if (!value) return {};
  return {
    ...(typeof value.type === 'string' ? { eventType: value.type } : {}),
    ...(typeof value.id === 'string' ? { eventId: value.id } : {}),
  };
}

/** The fields of a record body's envelope (unwrapping an SNS notification), or undefined when it is not JSON. */
export function envelopeFieldsOf(body: string): Record<string, unknown> | undefined {
  const value = parseJsonLine(body)?.fields;
  if (value?.Type === 'Notification' && typeof value.Message === 'string') return parseJsonLine(value.Message)?.fields;
  return value;
}

/**
 * What became of each record of an SQS invocation. A record the function reported as a batch
 * item failure is retried (the consumer's `Retry scheduled` line gives the backoff it set with
 * ChangeMessageVisibility, and how many receives are left: none left means the next receive moves
 * it to the DLQ); a reported success may still be a record the consumer dead-lettered itself or
 * skipped, which only its log says. A failed invocation or a malformed response fails them all.
 */
export function recordOutcomes(event: SQSEvent, result: InvokeResult, lines: readonly LogLine[]): RecordOutcome[] {
  const failed = result.ok ? batchItemFailures(result.result, event) : undefined;
  const logs = lines.map((line) => parseJsonLine(line.text)).filter((parsed) => parsed !== undefined);
  return event.Records.map((record) => {
    const own = logs.filter((parsed) => parsed.fields.messageId === record.messageId);
    const said = (message: string) => own.find((parsed) => parsed.message === message);
    let outcome: Outcome;
    if (failed === undefined) {
      outcome = { kind: 'error' };
    } else if (failed.has(record.messageId)) {
      const retry = said(CONSUMER_MESSAGES.retry);
      const inSeconds = numberField(retry, 'delaySeconds');
      const attemptsLeft = numberField(retry, 'attemptsLeft');
      outcome = attemptsLeft === 0 ? { kind: 'dead-lettered', ...(inSeconds === undefined ? {} : { inSeconds }) } : { kind: 'retry', ...(inSeconds === undefined ? {} : { inSeconds }), ...(attemptsLeft === undefined ? {} : { attemptsLeft }) };
    } else if (said(CONSUMER_MESSAGES.deadLettered)) {
      outcome = { kind: 'dead-lettered' };
    } else if (said(CONSUMER_MESSAGES.skipped)) {
      outcome = { kind: 'skipped' };
    } else {
      outcome = { kind: 'ok' };
    }
    return { ...envelopeOf(record.body), messageId: record.messageId, outcome };
  });
}

function numberField(parsed: ParsedLine | undefined, key: string): number | undefined {
  const value = parsed?.fields[key];
  return typeof value === 'number' ? value : undefined;
}

function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as { Records?: unknown } | null)?.Records;
  return Array.isArray(records) && records.every((record) => typeof (record as { body?: unknown }).body === 'string' && typeof (record as { messageId?: unknown }).messageId === 'string');
}

function outcomeText(outcome: Outcome, style: Style): string {
  switch (outcome.kind) {
    case 'ok':
      return style('green', 'ok');
    case 'skipped':
      return style('cyan', 'skipped');
    case 'error':
      return style(['red', 'bold'], 'error');
    case 'dead-lettered':
      return style('red', outcome.inSeconds === undefined ? 'dead-lettered' : `dead-lettered in ${outcome.inSeconds} s (no receives left)`);
    case 'retry': {
      const when = outcome.inSeconds === undefined ? 'retry' : `retry in ${outcome.inSeconds} s`;
      return style('yellow', outcome.attemptsLeft === undefined ? when : `${when} (${outcome.attemptsLeft} left)`);
    }
  }
}

function statusText(statusCode: number, style: Style): string {
  return style(statusCode >= 500 ? 'red' : statusCode >= 400 ? 'yellow' : 'green', String(statusCode));
}

/** The request line of an API invocation: method, path, status, and the event it published if it logged one. */
function requestSubject(event: unknown, result: InvokeResult, lines: readonly LogLine[], style: Style): string {
  const request = event as { httpMethod?: unknown; path?: unknown } | null;
  const method = typeof request?.httpMethod === 'string' ? request.httpMethod : '?';
  const path = typeof request?.path === 'string' ? request.path : '?';
  const statusCode = result.ok ? (result.result as { statusCode?: unknown } | null)?.statusCode : undefined;
  const outcome = !result.ok ? outcomeText({ kind: 'error' }, style) : typeof statusCode === 'number' ? statusText(statusCode, style) : style('red', 'malformed response');
  // The producer logs the event it published (`Event published`, with eventType and eventId):
  // naming it here ties the request to the consumers' lines of the same event.
  const published = lines
    .map((line) => parseJsonLine(line.text)?.fields)
    .find((fields) => typeof fields?.eventType === 'string' && typeof fields.eventId === 'string' && fields.level !== 'ERROR');
  const emitted = published ? ` → ${published.eventType as string} ${style('dim', published.eventId as string)}` : '';
  return `${style('bold', method)} ${path} ${outcome}${emitted}`;
}

function duration(ms: number, style: Style): string {
  return style('dim', `${Math.round(ms)} ms`);
}

/**
 * The output lines of one invocation: one per record of an SQS batch (each record has its own
 * outcome and event id; the duration is the batch's, marked so), one for any other invocation;
 * then the function's lines, indented. Empty when `quiet` and nothing failed.
 */
export function formatInvocation(facts: InvocationFacts, options: FormatOptions = {}): string[] {
  const style = options.style ?? plain;
  const head = `${style('dim', clockTime(facts.endedAt))} ${style('cyan', facts.label.padEnd(options.labelWidth ?? 0))}`;
  const lines: string[] = [];
  let failed = !facts.result.ok;
  if (isSqsEvent(facts.event)) {
    const records = recordOutcomes(facts.event, facts.result, facts.lines);
    const batch = records.length > 1 ? style('dim', ` (batch of ${records.length})`) : '';
    for (const record of records) {
      failed ||= record.outcome.kind !== 'ok' && record.outcome.kind !== 'skipped';
      const subject = record.eventType === undefined && record.eventId === undefined ? `message ${style('dim', record.messageId)}` : `${record.eventType ?? '?'} ${style('dim', record.eventId ?? '?')}`;
      lines.push(`${head} ${subject}  ${outcomeText(record.outcome, style)}  ${duration(facts.result.durationMs, style)}${batch}`);
    }
  } else if (facts.source === 'api' || (facts.event as { httpMethod?: unknown } | null)?.httpMethod !== undefined) {
    lines.push(`${head} ${requestSubject(facts.event, facts.result, facts.lines, style)}  ${duration(facts.result.durationMs, style)}`);
  } else {
    lines.push(`${head} invoke  ${outcomeText({ kind: facts.result.ok ? 'ok' : 'error' }, style)}  ${duration(facts.result.durationMs, style)}`);
  }

  const batchSize = isSqsEvent(facts.event) ? facts.event.Records.length : 1;
  const shown = facts.lines.filter((line) => !isHostNoise(line, facts.result) && (options.verbose || isErrorLine(line.text, line.stream)));
  if (options.quiet && !failed && shown.length === 0) return [];
  for (const line of shown) lines.push(`${INDENT}${formatLogLine(line, { style, keepEventId: batchSize > 1 })}`);
  if (!facts.result.ok) lines.push(`${INDENT}${style('red', `${facts.result.errorType}: ${facts.result.errorMessage}`)}`);
  return lines;
}

/** The host's REPORT line, and its ERROR line for the result's error (printed from the result). */
function isHostNoise(line: LogLine, result: InvokeResult): boolean {
  return line.stream === 'host' && (line.text.startsWith('REPORT ') || line.text.startsWith(`ERROR RequestId: ${result.requestId} `));
}

/**
 * One function line, readable: a Powertools JSON line as level, message and its own fields
 * (`key=value`, without the keys every line repeats); any other line as it is.
 */
export function formatLogLine(line: LogLine, options: { readonly style?: Style; readonly keepEventId?: boolean } = {}): string {
  const style = options.style ?? plain;
  const parsed = parseJsonLine(line.text);
  if (!parsed || (parsed.level === undefined && parsed.message === undefined)) {
    return line.stream === 'stdout' ? line.text : style('red', line.text);
  }
  const level = parsed.level ?? 'LOG';
  const levelStyle: StyleFormat = level === 'ERROR' || level === 'CRITICAL' ? 'red' : level === 'WARN' ? 'yellow' : level === 'INFO' ? 'blue' : 'dim';
  const fields = Object.entries(parsed.fields)
    .filter(([key, value]) => !BOILERPLATE_KEYS.has(key) && value !== undefined && (options.keepEventId || key !== 'eventId'))
    .map(([key, value]) => `${style('dim', `${key}=`)}${fieldValue(value)}`);
  return [style(levelStyle, level.padEnd(5)), parsed.message ?? '', ...fields].filter((part) => part !== '').join(' ');
}

function fieldValue(value: unknown): string {
  let text: string;
  const error = value as { name?: unknown; message?: unknown; location?: unknown } | null;
  if (typeof error?.name === 'string' && typeof error.message === 'string') {
    text = `${error.name}: ${error.message}${typeof error.location === 'string' ? ` (${error.location})` : ''}`;
  } else if (typeof value === 'string') {
    text = /^[^\s"]*$/.test(value) && value !== '' ? value : JSON.stringify(value);
  } else {
    text = JSON.stringify(value) ?? String(value);
  }
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 1)}…` : text;
}

export interface InvocationPrinterOptions extends Omit<FormatOptions, 'labelWidth'> {
  readonly print: (line: string) => void;
  /** The label of a function by name, for lines written outside any invocation. */
  readonly labelOf: (functionName: string) => string;
  readonly labelWidth?: () => number;
  /**
   * How long to wait after an invocation ends for its last lines. A worker's stdout reaches the
   * host on its own channel, so a line written just before the handler returned can arrive after
   * the result. A line later than this is printed on its own line, not lost. @default 25
   */
  readonly graceMs?: number;
}

/** How many printed invocations are remembered, to tell a late line from one of a new invocation. */
const REMEMBERED = 1000;

/**
 * Collects each function line under the invocation it belongs to (the request id its Powertools
 * line names, else the one the host says was running in that environment) and prints the
 * invocation with its lines once it has ended. Lines outside any invocation (init phase, a late
 * line, an environment crashing while idle) are printed on their own, under the same rules.
 *
 * @example
 * ```ts
 * const printer = new InvocationPrinter({ print: console.log, labelOf: (name) => name });
 * const host = new LambdaHost({ ..., log: printer.line, onInvocation: printer.invocation });
 * ```
 */
export class InvocationPrinter {
  readonly #options: InvocationPrinterOptions;
  readonly #open = new Map<string, LogLine[]>();
  readonly #printed = new Set<string>();
  readonly #pending = new Map<string, { timer: NodeJS.Timeout; print: () => void }>();

  constructor(options: InvocationPrinterOptions) {
    this.#options = options;
  }

  /** A line from the host's `log` callback. */
  readonly line = (functionName: string, text: string, stream: LogStream, requestId?: string): void => {
    const id = requestIdOf(text) ?? requestId;
    if (id !== undefined && !this.#printed.has(id)) {
      let lines = this.#open.get(id);
      if (!lines) this.#open.set(id, (lines = []));
      lines.push({ text, stream });
      return;
    }
    if (stream === 'host' && text.startsWith('REPORT ')) return;
    const { verbose, quiet, style = plain } = this.#options;
    if (!isErrorLine(text, stream) && (quiet || !verbose)) return;
    const label = this.#options.labelOf(functionName).padEnd(this.#options.labelWidth?.() ?? 0);
    this.#options.print(`${style('dim', clockTime(new Date()))} ${style('cyan', label)} ${formatLogLine({ text, stream }, { style })}`);
  };

  /** An ended invocation from the host's `onInvocation` callback. */
  readonly invocation = (invocation: EndedInvocation): void => {
    const id = invocation.result.requestId;
    const print = () => {
      this.#pending.delete(id);
      const lines = this.#open.get(id) ?? [];
      this.#open.delete(id);
      this.#printed.add(id);
      if (this.#printed.size > REMEMBERED) this.#printed.delete(this.#printed.values().next().value!);
      const { verbose, quiet, style } = this.#options;
      const { startedAt, ...rest } = invocation;
      const endedAt = new Date(startedAt.getTime() + invocation.result.durationMs);
      const facts: InvocationFacts = { ...rest, endedAt, label: this.#options.labelOf(invocation.fn.name), lines };
      const output = formatInvocation(facts, { ...(verbose ? { verbose } : {}), ...(quiet ? { quiet } : {}), ...(style ? { style } : {}), labelWidth: this.#options.labelWidth?.() ?? 0 });
      for (const line of output) this.#options.print(line);
    };
    const timer = setTimeout(print, this.#options.graceMs ?? 25);
    timer.unref();
    this.#pending.set(id, { timer, print });
  };

  /** Prints the invocations still waiting for late lines (on stop). */
  flush(): void {
    for (const { timer, print } of [...this.#pending.values()]) {
      clearTimeout(timer);
      print();
    }
  }
}
