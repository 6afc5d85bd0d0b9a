/**
 * Webhook deliveries against the local runtime, driven from outside as a provider would: signed
 * with Stripe's own test helper (and GitHub's `@octokit/webhooks-methods`) with the signing secret
 * `.queueflow/local.json` lists, posted to the source's local URL. A delivery is accepted and
 * processed once; its retry is answered 200 and processed no more; a tampered one gets 401; a
 * secret rotated in the data folder is picked up without a restart.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sign as signGitHub } from '@octokit/webhooks-methods';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_REFRESH_INTERVAL_MS } from '../../lambdas/shared/webhook-receiver.ts';
import { SECRETS_FILE, type LocalWebhookSource } from '../../lib/local/secrets.ts';
import { startRuntime, type RuntimeProcess } from '../../bench/lib/runtime.ts';
import { ledgerOf } from './helpers/ledger.ts';

const stripe = new Stripe('sk_test_not_a_real_key');

describe('webhook sources on the local runtime', () => {
  let runtime: RuntimeProcess;
  const sourceOf = (name: string): LocalWebhookSource => {
    const source = runtime.state.webhookSources?.find((candidate) => candidate.name === name);
    if (!source) throw new Error(`no webhook source ${name} in the state file`);
    return source;
  };

  beforeAll(async () => {
    runtime = await startRuntime();
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  const stripeEvent = (id: string) =>
    JSON.stringify({ id, object: 'event', type: 'payment_intent.succeeded', created: 1_796_000_000, data: { object: { id: `pi_${id}`, amount: 2000, currency: 'eur' } } }, null, 2);
  const deliverStripe = (body: string, secret = sourceOf('stripe').signingSecret) =>
    fetch(sourceOf('stripe').url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret }) },
      body,
    });

  it('lists each webhook source with its local URL and signing secret in the state file', () => {
    // Assess
    expect(runtime.state.webhookSources?.map(({ name, scheme, url }) => ({ name, scheme, url }))).toEqual([
      { name: 'stripe', scheme: 'stripe', url: `${runtime.apiUrl}webhooks/stripe` },
      { name: 'github', scheme: 'github', url: `${runtime.apiUrl}webhooks/github` },
    ]);
    for (const source of runtime.state.webhookSources ?? []) expect(source.signingSecret).toMatch(/^[A-Za-z0-9]{48}$/);
  });

  it('accepts a Stripe delivery and processes it once; its retry is answered 200 and not processed again', async () => {
    // Prepare
    const id = `evt_${Date.now()}`;
    const body = stripeEvent(id);

    // Act
    const first = await deliverStripe(body);
    const accepted = (await first.json()) as { eventId: string; eventType: string };
    const retry = await deliverStripe(body);
    const retried = (await retry.json()) as { eventId: string; duplicate?: boolean };
    const effects = await ledgerOf(runtime).settledEffectsOf(accepted.eventId, 1);

    // Assess
    expect(first.status).toBe(202);
    expect(accepted.eventType).toBe('stripe.payment_intent.succeeded');
    expect(retry.status).toBe(200);
    expect(retried).toEqual({ eventId: accepted.eventId, eventType: 'stripe.payment_intent.succeeded', duplicate: true });
    expect(effects).toEqual([expect.objectContaining({ consumer: 'payments', effect: 'payment.recorded', providerEventId: id, deliveries: 1 })]);
  });

  it('answers a tampered Stripe delivery 401 problem+json and processes nothing', async () => {
    // Prepare
    const id = `evt_tampered_${Date.now()}`;
    const body = stripeEvent(id);
    const signature = stripe.webhooks.generateTestHeaderString({ payload: body, secret: sourceOf('stripe').signingSecret });

    // Act
    const response = await fetch(sourceOf('stripe').url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: body.replace('2000', '1'),
    });

    // Assess
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ type: 'urn:queueflow:problem:invalid-signature', status: 401 });
  });

  it('accepts a GitHub delivery signed by @octokit/webhooks-methods and records it with its delivery id', async () => {
    // Prepare
    const source = sourceOf('github');
    const body = JSON.stringify({ ref: 'refs/heads/main', commits: [] });
    const delivery = `d-${Date.now()}`;

    // Act
    const response = await fetch(source.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': await signGitHub(source.signingSecret, body), 'x-github-event': 'push', 'x-github-delivery': delivery },
      body,
    });
    const { eventId } = (await response.json()) as { eventId: string };

    // Assess
    expect(response.status).toBe(202);
    expect(await ledgerOf(runtime).settledEffectsOf(eventId, 1)).toEqual([
      expect.objectContaining({ consumer: 'repository', effect: 'repository_event.recorded', providerEventId: delivery, deliveries: 1 }),
    ]);
  });

  it('picks up a secret rotated in the data folder without a restart, accepting the previous one meanwhile', async () => {
    // Prepare: a rotation as the developer would do it, in <data-dir>/secrets.json.
    const source = sourceOf('stripe');
    const file = join(runtime.dataDir, SECRETS_FILE);
    const values = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    const rotated = 'whsec_rotated_locally_0123456789';
    values[source.secretName] = JSON.stringify({ current: rotated, previous: source.signingSecret });
    writeFileSync(file, JSON.stringify(values));
    // The tampered delivery above spent the receiver's fresh read: a miss re-reads at most this often.
    await sleep(SECRET_REFRESH_INTERVAL_MS);

    // Act
    const withNew = await deliverStripe(stripeEvent(`evt_new_${Date.now()}`), rotated);
    const withPrevious = await deliverStripe(stripeEvent(`evt_prev_${Date.now()}`), source.signingSecret);

    // Assess
    expect(withNew.status).toBe(202);
    expect(withPrevious.status).toBe(202);
  });
});
