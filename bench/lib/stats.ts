/** The local runtime's request and invocation counters (`GET {endpoint}/_queueflow/stats`). */

export interface RuntimeStats {
  readonly requests: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly lambda: Readonly<Record<string, { readonly invocations: number; readonly errors: number; readonly durationMs?: number }>>;
}

/** The stats endpoint is missing or answered something else than counters. */
export class StatsUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StatsUnavailableError';
  }
}

const control = async (endpoint: string, method: 'GET' | 'POST', path: string): Promise<RuntimeStats> => {
  const response = await fetch(`${endpoint}/_queueflow/${path}`, { method });
  if (!response.ok) throw new StatsUnavailableError(`${method} /_queueflow/${path} answered ${response.status}`);
  const stats = (await response.json()) as Partial<RuntimeStats>;
  if (typeof stats.requests !== 'object' || typeof stats.lambda !== 'object') {
    throw new StatsUnavailableError(`/_queueflow/${path} did not return { requests, lambda }`);
  }
  return stats as RuntimeStats;
};

export const readStats = (endpoint: string): Promise<RuntimeStats> => control(endpoint, 'GET', 'stats');

/** Zeroes the counters, so the next read covers only what follows. */
export const resetStats = (endpoint: string): Promise<RuntimeStats> => control(endpoint, 'POST', 'stats/reset');

/** Requests of one service and action (e.g. `sns`, `Publish`); 0 when none were made. */
export const requestCount = (stats: RuntimeStats, service: string, action: string): number =>
  stats.requests[service]?.[action] ?? 0;

/** Every action of a service whose name passes `match`, summed. */
export const sumRequests = (stats: RuntimeStats, service: string, match: (action: string) => boolean): number =>
  Object.entries(stats.requests[service] ?? {}).reduce((sum, [action, n]) => sum + (match(action) ? n : 0), 0);
