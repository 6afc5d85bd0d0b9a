/**
 * An open-loop load generator: requests leave on a fixed schedule whatever the server does, and
 * each latency is counted from the request's scheduled time, not from when it was actually sent.
 * A closed loop (send, wait, send) slows down with the server and so hides its stalls — the
 * "coordinated omission" that makes p99s look better than users experience them.
 *
 * Bounded: at most `maxInFlight` requests are outstanding; a request due while the bound is
 * reached is not sent and counts as an error (`client-bound`), so an overloaded server shows as
 * errors instead of as an ever-growing client queue.
 */
import { Agent, request } from 'node:http';

export interface LoadOptions {
  /** Base URL; requests go to `<base path><path>`. Loopback only. */
  readonly baseUrl: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The body of the i-th request. */
  readonly body: (index: number) => string;
  readonly ratePerSecond: number;
  readonly durationSeconds: number;
  /** @default 2_000 */
  readonly maxInFlight?: number;
  /** @default 30_000 (API Gateway's integration timeout is 29 s) */
  readonly timeoutMs?: number;
  /** The status that counts as success. @default 202 */
  readonly okStatus?: number;
}

export interface AcceptedRequest {
  readonly index: number;
  /** From the 2xx body's `eventId`. */
  readonly eventId: string;
  /** Wall-clock time (epoch ms, sub-ms precision) when the answer arrived. */
  readonly ackAtMs: number;
}

export interface LoadResult {
  readonly ratePerSecond: number;
  readonly durationSeconds: number;
  readonly scheduled: number;
  /**
   * Latency of every request answered with the success status, in ms from its scheduled send
   * time. Other answers (429 throttled, 5xx) count as errors instead: mixed in, a flood of fast
   * rejections would make an overloaded API look fast.
   */
  readonly latenciesMs: number[];
  /** Failures by kind: `http-<status>`, `timeout`, `network`, `client-bound`. */
  readonly errors: Record<string, number>;
  readonly accepted: AcceptedRequest[];
  /** Successful answers per second of schedule. */
  readonly achievedPerSecond: number;
}

const wallClock = (): number => performance.timeOrigin + performance.now();

/** Runs one constant-rate phase and resolves when every request has been answered or failed. */
export async function runOpenLoop(options: LoadOptions): Promise<LoadResult> {
  const base = new URL(options.baseUrl);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(base.hostname)) throw new RangeError(`Load goes to loopback only, not ${base.hostname}`);
  const maxInFlight = options.maxInFlight ?? 2_000;
  const agent = new Agent({ keepAlive: true, maxSockets: maxInFlight, maxFreeSockets: maxInFlight });
  const total = Math.round(options.ratePerSecond * options.durationSeconds);
  const intervalMs = 1_000 / options.ratePerSecond;
  const path = `${base.pathname.replace(/\/$/, '')}${options.path}`;
  const okStatus = options.okStatus ?? 202;
  const latenciesMs: number[] = [];
  const accepted: AcceptedRequest[] = [];
  const errors: Record<string, number> = {};
  const fail = (kind: string) => (errors[kind] = (errors[kind] ?? 0) + 1);
  let inFlight = 0;
  let settled = 0;

  return new Promise((resolve) => {
    const finishIfDone = () => {
      if (settled < total) return;
      agent.destroy();
      resolve({
        ratePerSecond: options.ratePerSecond,
        durationSeconds: options.durationSeconds,
        scheduled: total,
        latenciesMs,
        errors,
        accepted,
        achievedPerSecond: latenciesMs.length / options.durationSeconds,
      });
    };
    const settle = () => {
      settled += 1;
      inFlight -= 1;
      finishIfDone();
    };

    const fire = (index: number, scheduledAt: number) => {
      if (inFlight >= maxInFlight) {
        fail('client-bound');
        settled += 1;
        return finishIfDone();
      }
      inFlight += 1;
      const body = options.body(index);
      let done = false;
      const once = (outcome: () => void) => {
        if (done) return;
        done = true;
        outcome();
        settle();
      };
      const req = request(
        {
          host: base.hostname,
          port: base.port,
          method: 'POST',
          path,
          agent,
          timeout: options.timeoutMs ?? 30_000,
          headers: { ...options.headers, 'Content-Length': String(Buffer.byteLength(body)) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            once(() => {
              if (response.statusCode !== okStatus) return fail(`http-${response.statusCode}`);
              latenciesMs.push(performance.now() - scheduledAt);
              const eventId = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { eventId?: string }).eventId ?? '';
              accepted.push({ index, eventId, ackAtMs: wallClock() });
            }),
          );
        },
      );
      let timedOut = false;
      req.on('timeout', () => {
        timedOut = true;
        req.destroy();
      });
      req.on('error', () => once(() => fail(timedOut ? 'timeout' : 'network')));
      req.end(body);
    };

    // Start a little in the future so the first requests are not already late.
    const startAt = performance.now() + 20;
    let next = 0;
    const pump = () => {
      const now = performance.now();
      // Catch up on everything due: a late timer must not thin out the schedule.
      while (next < total && startAt + next * intervalMs <= now) {
        fire(next, startAt + next * intervalMs);
        next += 1;
      }
      if (next < total) setTimeout(pump, Math.max(0, startAt + next * intervalMs - performance.now()));
    };
    if (total === 0) finishIfDone();
    else setTimeout(pump, Math.max(0, startAt - performance.now()));
  });
}
