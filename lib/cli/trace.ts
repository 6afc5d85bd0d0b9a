/**
 * `queueflow trace <event-id> --local`: one event's journey through the local runtime, as its
 * console shows it (lib/local/trace-timeline.ts): accepted → published → delivered to each
 * subscribed queue, or filtered out → every attempt → processed, dead-lettered, redriven. Read
 * from the runtime's console API, with the console link to the same trace.
 */
import type { ParseArgsConfig } from 'node:util';
import type { Trace, TraceStep } from '../local/trace-timeline.ts';
import { parseCommandLine, UsageError } from '../shared/usage.ts';
import { CliError, ExitCode, LocalRuntimeNotRunningError } from './errors.ts';
import type { CliIo } from './io.ts';
import { printable } from './table.ts';
import { DEFAULT_STATE_FILE, readLocalState } from './target.ts';

export const TRACE_USAGE = `Usage: queueflow trace <event-id> --local [options]

One event's journey through the local runtime: the request that published it, the queues it was
delivered to (and the subscriptions that filtered it out), every attempt with its outcome, error
and backoff, dead letters and redrives; then the console link to the same trace.

Options:
  --local                   the local runtime (npm start), via its state file (required: traces are kept locally)
  --state-file <path>       the local runtime's state file (default ${DEFAULT_STATE_FILE}; implies --local)
  --json                    the trace as JSON
  -h, --help                this help
`;

const OPTIONS = {
  local: { type: 'boolean' },
  'state-file': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** A trace as the console API answers it. */
export type LinkedTrace = Trace & { readonly link: string };

/** Runs `queueflow trace` with `argv` (after `trace`) and returns the exit code. */
export const runTrace = async (argv: readonly string[], io: CliIo): Promise<ExitCode> => {
  try {
    const { values, positionals } = parseCommandLine({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    if (values.help === true) {
      io.stdout.write(TRACE_USAGE);
      return ExitCode.ok;
    }
    const [eventId, ...extra] = positionals;
    if (eventId === undefined || eventId.trim() === '') throw new UsageError('trace needs an event id: queueflow trace <event-id> --local');
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    if (values.local !== true && values['state-file'] === undefined) {
      throw new UsageError('traces are recorded by the local runtime only: pass --local (or --state-file <path>)');
    }
    const trace = await fetchTrace(values['state-file'] ?? DEFAULT_STATE_FILE, eventId);
    io.stdout.write(values.json === true ? `${JSON.stringify(trace, null, 2)}\n` : `${formatTrace(trace).join('\n')}\n`);
    return ExitCode.ok;
  } catch (error) {
    if (!(error instanceof CliError || error instanceof UsageError)) throw error;
    io.stderr.write(`queueflow: ${error.message}\n${error instanceof UsageError ? 'Run queueflow trace --help for usage.\n' : ''}`);
    return error.exitCode;
  }
};

/** The trace of `eventId` from the console of the runtime named by `stateFile`. */
export const fetchTrace = async (stateFile: string, eventId: string): Promise<LinkedTrace> => {
  const state = await readLocalState(stateFile);
  if (state.consoleUrl === undefined) throw new CliError(`the local runtime's state file ${stateFile} names no console; restart the runtime with this version of queueflow`);
  let response: Response;
  try {
    response = await fetch(new URL(`api/traces/${encodeURIComponent(eventId)}`, state.consoleUrl), { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new LocalRuntimeNotRunningError(`nothing answers at ${state.consoleUrl}`, { cause: error });
  }
  const body = (await response.json().catch(() => ({}))) as Partial<LinkedTrace> & { detail?: string };
  if (response.status === 404) throw new CliError(body.detail ?? `no trace of event ${eventId}`);
  if (!response.ok) throw new CliError(`the console answered ${response.status}: ${body.detail ?? response.statusText}`);
  return body as LinkedTrace;
};

/** The trace as terminal lines: a header, the consumers' status, the timeline, the console link. */
export const formatTrace = (trace: LinkedTrace): string[] => {
  const start = trace.steps[0]?.at ?? 0;
  const consumers = trace.consumers.map((c) => `${c.consumer} ${c.status}${c.attempts > 1 ? ` (${c.attempts} attempts)` : ''}`);
  return [
    printable(`event ${trace.eventId}  ${trace.eventType ?? ''}  correlation ${trace.correlationId ?? '-'}`),
    ...(consumers.length === 0 ? [] : [printable(`consumers: ${consumers.join(' · ')}`)]),
    '',
    ...trace.steps.map((step) => `  ${`+${formatMs(step.at - start)}`.padStart(10)}  ${printable(describeStep(step))}`),
    '',
    `console: ${trace.link}`,
  ];
};

const formatMs = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`);

/** One step of the timeline, in words. */
export const describeStep = (step: TraceStep): string => {
  switch (step.kind) {
    case 'accepted':
      return `accepted       ${step.method} ${step.path} → ${step.status} in ${formatMs(step.latencyMs)} (request ${step.requestId})`;
    case 'published':
      return `published      by ${step.by} (invocation ${step.lambdaRequestId})`;
    case 'delivered':
      return `delivered      to ${step.consumer} (${step.queue})`;
    case 'filtered-out':
      return `filtered out   for ${step.consumer} by ${step.filterPolicy}`;
    case 'attempt': {
      const outcome =
        step.outcome === 'ok'
          ? 'processed'
          : step.outcome === 'retry'
            ? `failed, retry in ${step.backoffSeconds ?? '?'} s${step.attemptsLeft === undefined ? '' : ` (${step.attemptsLeft} left)`}`
            : step.outcome;
      const error = step.error === undefined ? '' : ` — ${step.error}`;
      return `attempt ${String(step.attempt).padEnd(6)} ${step.consumer}: ${outcome} in ${formatMs(step.durationMs)}${error} (invocation ${step.lambdaRequestId})`;
    }
    case 'dead-lettered':
      return `dead-lettered  ${step.consumer} → ${step.queue}`;
    case 'redrive':
      return `redriven       from the ${step.consumer} DLQ`;
  }
};
