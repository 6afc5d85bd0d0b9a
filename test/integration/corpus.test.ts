/**
 * The bad-input corpus (test/corpus) against the local runtime: every hostile or broken request
 * gets the right 4xx as a problem document (or a 202 where it is in fact valid), and nothing that
 * was rejected is ever published.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonOf, sendRaw } from '../../bench/lib/http.ts';
import { readStats, requestCount, resetStats } from '../../bench/lib/stats.ts';
import { bodyOf, loadCorpus, type CorpusCase } from '../corpus/cases.ts';
import { startRuntime } from '../../bench/lib/runtime.ts';

type Runtime = Awaited<ReturnType<typeof startRuntime>>;

const cases = loadCorpus();
const PROBLEM_TYPE = /^urn:queueflow:problem:[a-z-]+$/;

const headersFor = (c: CorpusCase, apiKey: string): Record<string, string> => {
  if (c.apiKey === 'missing') return c.headers;
  return { ...c.headers, 'x-api-key': c.apiKey === 'wrong' ? `${apiKey}-wrong` : apiKey };
};

describe('bad-input corpus against the local runtime', () => {
  let runtime: Runtime;
  /** eventId of every 202 by case name, for replays and the publish count. */
  const acceptedEventIds = new Map<string, string>();

  beforeAll(async () => {
    runtime = await startRuntime();
    await resetStats(runtime.endpoint);
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  it(`holds at least 50 cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
  });

  for (const c of cases) {
    it(`${c.expectStatus} ${c.name}`, async () => {
      // Act
      const response = await sendRaw({
        baseUrl: runtime.apiUrl,
        method: c.method,
        path: c.path,
        headers: headersFor(c, runtime.state.apiKey),
        body: c.method === 'GET' || c.method === 'DELETE' ? undefined : bodyOf(c),
      });

      // Assess
      const body = jsonOf(response) as Record<string, unknown> | undefined;
      expect({ status: response.status, body }).toMatchObject({ status: c.expectStatus });
      if (c.expectAccepted) {
        expect(response.headers['content-type']).toMatch(/^application\/json/);
        expect(body).toEqual({ eventId: expect.any(String), correlationId: expect.any(String) });
        expect(response.headers['x-correlation-id']).toBe(body!.correlationId);
        if (c.expectCorrelationId !== undefined) expect(body!.correlationId).toBe(c.expectCorrelationId);
        if (c.expectCorrelationIdNot !== undefined) expect(body!.correlationId).not.toBe(c.expectCorrelationIdNot);
        if (c.replayOf !== undefined) expect(body!.eventId).toBe(acceptedEventIds.get(c.replayOf));
        acceptedEventIds.set(c.name, body!.eventId as string);
        return;
      }
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(body).toMatchObject({ type: expect.stringMatching(PROBLEM_TYPE), title: expect.any(String), status: c.expectStatus });
      if (c.expectType !== undefined) expect(body!.type).toBe(`urn:queueflow:problem:${c.expectType}`);
      if (c.expectFields !== undefined) {
        // The producer names the first failing field in `errors` (its validator stops there); the
        // gateway's request validator, which rejects most schema violations first, names every
        // failing field in `detail` as "<pointer>: <message>".
        const named = ((body!.errors ?? []) as { field: string }[]).map((error) => error.field);
        for (const field of c.expectFields) {
          expect(named.includes(field) || String(body!.detail).includes(`${field}:`), `${field} named in ${JSON.stringify(body)}`).toBe(true);
        }
      }
    });
  }

  it('published exactly one event per distinct accepted request, and nothing rejected', async () => {
    const stats = await readStats(runtime.endpoint);

    const distinctEvents = new Set(acceptedEventIds.values()).size;
    const expected = new Set(cases.filter((c) => c.expectAccepted && c.replayOf === undefined).map((c) => c.name)).size;
    expect(distinctEvents).toBe(expected);
    expect(requestCount(stats, 'sns', 'Publish')).toBe(distinctEvents);
  });
});
