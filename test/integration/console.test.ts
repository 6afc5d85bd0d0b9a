/**
 * The local console in a real browser: Debian's Chromium (`/usr/bin/chromium`, installed by
 * .ci/run) driven by playwright-core, against the runtime started as a user starts it. An order's
 * trace shows its three consumers processing it; a poison order's failure reason shows in the
 * dead-letter view, and a redrive from the page (by keyboard) sends it back to its queue. The
 * run saves the screenshots the README shows (docs/images/console-*.png).
 *
 * Also from outside: the console's Host and Origin rules and its action token, and
 * `queueflow trace` printing the same trace.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_TOKEN_HEADER } from '../../lib/local/console-server.ts';
import { startRuntime } from '../../bench/lib/runtime.ts';

type Runtime = Awaited<ReturnType<typeof startRuntime>>;

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'bin/queueflow.mjs');
const SCREENSHOTS = join(ROOT, 'docs/images');
const CHROMIUM = process.env.QUEUEFLOW_CHROMIUM ?? '/usr/bin/chromium';
/** The sample's consumers of order.placed. */
const CONSUMERS = ['email', 'sms', 'inventory'];
const WAIT_MS = 20_000;

describe('the local console in Chromium', () => {
  let runtime: Runtime;
  let browser: Browser;
  let page: Page;
  let consoleUrl: string;

  beforeAll(async () => {
    runtime = await startRuntime();
    consoleUrl = (runtime.state as { consoleUrl?: string }).consoleUrl!;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
  });

  const order = (sku: string) => ({
    orderId: `o-${randomUUID().slice(0, 8)}`,
    customer: { id: 'c-console', email: 'console.test.person@example.com', phone: '+15550100' },
    items: [{ sku, quantity: 1 }],
  });

  const placeOrder = async (sku: string) => {
    const body = order(sku);
    const response = await runtime.post('orders', body);
    expect(response.status).toBe(202);
    return { orderId: body.orderId, eventId: ((await response.json()) as { eventId: string }).eventId };
  };

  it('draws the workflow map from the template with live depths', async () => {
    await page.goto(`${consoleUrl}#/map`);
    await expect.poll(() => page.locator('#live').textContent(), { timeout: WAIT_MS }).toBe('live');
    for (const consumer of CONSUMERS) await page.getByRole('cell', { name: consumer, exact: false }).first().waitFor();
    await page.getByText('POST /orders').waitFor();
    await expect.poll(() => page.locator('[data-queue]').first().textContent(), { timeout: WAIT_MS }).toMatch(/\d+ waiting · \d+ in flight/);
  });

  it('finds an order by its order id and shows its trace, live, until its three consumers have processed it', async () => {
    const placed = await placeOrder('BOOK-1');
    await page.getByLabel('Find an event').fill(placed.orderId);
    await page.getByLabel('Find an event').press('Enter');
    await expect.poll(() => page.url(), { timeout: WAIT_MS }).toBe(`${consoleUrl}#/trace/${placed.eventId}`);
    for (const consumer of CONSUMERS) {
      await expect.poll(() => page.locator(`tr[data-consumer="${consumer}"] .badge`).textContent(), { timeout: WAIT_MS }).toBe('processed');
    }
    const steps = page.locator('.timeline li');
    // Subscriptions of the topic whose filter policy does not take order.placed show as filtered out.
    const kinds = () => steps.evaluateAll((items) => items.map((item) => item.getAttribute('data-step')).filter((kind) => kind !== 'filtered-out'));
    await expect.poll(kinds, { timeout: WAIT_MS }).toEqual([
      'accepted',
      'published',
      'delivered',
      'delivered',
      'delivered',
      'attempt',
      'attempt',
      'attempt',
    ]);
    expect(await page.locator('.timeline li[data-step="accepted"]').textContent()).toContain('POST /orders → 202');
    const filteredOut = await page.locator('tr[data-consumer]', { hasText: 'filtered out' }).count();
    expect(await page.locator('.timeline li[data-step="filtered-out"]').count()).toBe(filteredOut);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-trace.png'), fullPage: true });

    // Each attempt links its invocation's function logs.
    await page.locator('.timeline li[data-step="attempt"] a', { hasText: 'function logs' }).first().click();
    await expect.poll(() => page.locator('pre.logs').textContent(), { timeout: WAIT_MS }).toContain(placed.eventId);
  });

  it('shows a poison order in the dead-letter view with its reason, and redrives it from the page back into its queue', async () => {
    const poison = await placeOrder('NOPE-1');
    await page.goto(`${consoleUrl}#/trace/${poison.eventId}`);
    await expect.poll(() => page.locator('tr[data-consumer="inventory"] .badge').textContent(), { timeout: WAIT_MS }).toBe('dead-lettered');

    // By keyboard: the nav link, then the consumer's DLQ.
    await page.getByRole('link', { name: 'Dead letters', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: 'inventory', exact: true }).focus();
    await page.keyboard.press('Enter');
    const row = page.locator(`tr[data-event-id="${poison.eventId}"]`);
    await row.waitFor({ timeout: WAIT_MS });
    expect(await row.locator('.reason').textContent()).toContain('UnknownSkuError: SKU not in the inventory catalog at /items/0/sku');
    await page.screenshot({ path: join(SCREENSHOTS, 'console-dead-letters.png'), fullPage: true });

    await row.getByRole('checkbox').focus();
    await page.keyboard.press('Space');
    await page.getByRole('button', { name: 'Redrive selected' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('Move 1 selected event from the inventory DLQ back to its queue');
    // Cancel has the focus: a stray Enter does not redrive. Tab to Redrive.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByText('Moved 1 message back to the inventory queue.').waitFor({ timeout: WAIT_MS });

    // Back in the queue: the trace shows the redrive and a second delivery to inventory.
    await page.goto(`${consoleUrl}#/trace/${poison.eventId}`);
    await page.locator('.timeline li[data-step="redrive"]').waitFor({ timeout: WAIT_MS });
    await expect
      .poll(() => page.locator('.timeline li[data-step="delivered"]', { hasText: 'inventory' }).count(), { timeout: WAIT_MS })
      .toBe(2);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-redrive.png'), fullPage: true });
  });

  it('prints the same trace with queueflow trace, and its console link', async () => {
    const placed = await placeOrder('BOOK-1');
    const stateFile = join(runtime.dataDir, 'local.json');
    const cli = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [CLI, 'trace', ...args, '--state-file', stateFile], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) =>
          resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
        );
      });
    let json: { consumers: { consumer: string; status: string }[]; link: string } | undefined;
    await expect
      .poll(
        async () => {
          const run = await cli(placed.eventId, '--json');
          json = run.code === 0 ? JSON.parse(run.stdout) : undefined;
          return json?.consumers.filter((c) => c.status === 'processed').length ?? 0;
        },
        { timeout: WAIT_MS, interval: 500 },
      )
      .toBe(3);
    expect(json!.link).toBe(`${consoleUrl}#/trace/${placed.eventId}`);
    const text = await cli(placed.eventId);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/accepted\s+POST \/orders → 202/);
    for (const consumer of CONSUMERS) expect(text.stdout).toMatch(new RegExp(`delivered\\s+to ${consumer}`));
    expect(text.stdout).toContain(`console: ${consoleUrl}#/trace/${placed.eventId}`);

    const missing = await cli('no-such-event');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No trace of event no-such-event');
  });

  it('counts the invocations on the map live, without a reload', async () => {
    await page.goto(`${consoleUrl}#/map`);
    const inventory = page.locator('td.fn', { hasText: 'inventory' }).locator('[data-function]');
    const before = Number((await inventory.textContent())!.match(/(\d+) invocations/)![1]);
    await placeOrder('BOOK-1');
    await expect.poll(async () => Number((await inventory.textContent())!.match(/(\d+) invocations/)?.[1]), { timeout: WAIT_MS }).toBeGreaterThan(before);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-map.png'), fullPage: true });
  });

  it('keeps the traces in the data folder across a restart', async () => {
    const placed = await placeOrder('BOOK-1');
    const search = async (url: string) => ((await (await fetch(`${url}api/traces?q=${placed.orderId}`)).json()) as { traces: { eventId: string }[] }).traces;
    await expect.poll(() => search(consoleUrl), { timeout: WAIT_MS }).toEqual([expect.objectContaining({ eventId: placed.eventId })]);

    runtime = await runtime.restart();
    consoleUrl = (runtime.state as { consoleUrl?: string }).consoleUrl!;

    expect(await search(consoleUrl)).toEqual([expect.objectContaining({ eventId: placed.eventId })]);
  });

  describe('safety', () => {
    const raw = (path: string, headers: Record<string, string>, method = 'GET', body?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const url = new URL(path, consoleUrl);
        const req = httpRequest({ host: '127.0.0.1', port: url.port, path: url.pathname, method, headers }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const token = () => (runtime.state as { consoleToken?: string }).consoleToken!;

    it('answers only loopback Host names (DNS rebinding)', async () => {
      expect((await raw('/api/map', { host: 'evil.example' })).status).toBe(403);
      expect((await raw('/api/map', { host: new URL(consoleUrl).host })).status).toBe(200);
    });

    it('refuses requests a browser sends from another site', async () => {
      const host = new URL(consoleUrl).host;
      expect((await raw('/api/traces', { host, origin: 'http://evil.example' })).status).toBe(403);
      expect((await raw('/api/traces', { host, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    });

    it('answers bad paths and unknown consumers with problem details', async () => {
      const host = new URL(consoleUrl).host;
      const malformed = await raw('/api/traces/%E0%A4%A', { host });
      expect(malformed.status).toBe(400);
      expect(JSON.parse(malformed.body)).toMatchObject({ status: 400, detail: expect.stringContaining('percent-encoded') });
      const unknown = await raw('/api/dead-letters/nobody', { host });
      expect(unknown.status).toBe(404);
      expect(JSON.parse(unknown.body).detail).toContain('unknown consumer "nobody"');
    });

    it('runs an action only with the console token and a JSON body', async () => {
      const host = new URL(consoleUrl).host;
      const path = '/api/dead-letters/inventory/purge';
      const json = { host, 'content-type': 'application/json' };
      const withoutToken = await raw(path, json, 'POST', '{}');
      expect(withoutToken.status).toBe(403);
      expect(JSON.parse(withoutToken.body).detail).toContain('console token');
      expect((await raw(path, { ...json, [CONSOLE_TOKEN_HEADER]: 'x'.repeat(token().length) }, 'POST', '{}')).status).toBe(403);
      expect((await raw(path, { host, 'content-type': 'text/plain', [CONSOLE_TOKEN_HEADER]: token() }, 'POST', '{}')).status).toBe(415);
      const purged = await raw(path, { ...json, [CONSOLE_TOKEN_HEADER]: token() }, 'POST', '{}');
      expect(purged.status).toBe(200);
    });
  });
});
