import { request as httpRequest } from 'node:http';
import { config } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WebhookVerificationError } from '../../src/errors/webhook-verification-error.js';
import type { WebhookEvent } from '../../src/webhooks/event.js';
import { createWebhookHub, type WebhookHub, type WebhookHubOptions } from '../../src/webhooks/hub.js';
import type { IdempotencyStore } from '../../src/webhooks/idempotency.js';
import { openai7WebhookEvents } from '../helpers/openai7-webhook-events.js';
import { makeWebhookSecret, signWebhook, webhookEventBody } from '../helpers/sign-webhook.js';
import { listenHub, settle } from '../helpers/webhook-server.js';

const secret = makeWebhookSecret();
let hub: WebhookHub;
let url: string;
let close: () => Promise<void>;
let rejected: WebhookVerificationError[];

async function start(options: Partial<WebhookHubOptions> = {}): Promise<void> {
  if (close) await close();
  rejected = [];
  hub = createWebhookHub({ secret, onRejected: (e) => rejected.push(e), ...options } as WebhookHubOptions);
  ({ url, close } = await listenHub(hub));
}

function post(body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers });
}

function postEvent(type: string, jobId: string, sign: { id?: string; timestamp?: number } = {}) {
  const body = webhookEventBody(type, jobId);
  return post(body, signWebhook({ secret, body, ...sign }));
}

function collect<T>(observable: { subscribe(next: (v: T) => void): { unsubscribe(): void } }) {
  const values: T[] = [];
  const subscription = observable.subscribe((v) => values.push(v));
  return { values, stop: () => subscription.unsubscribe() };
}

beforeEach(() => start());
afterEach(async () => {
  await close();
  close = undefined as never;
  config.onUnhandledError = null;
});

describe('createWebhookHub over node:http', () => {
  it('delivers a verified event on events$ and to the watch of its job', async () => {
    const all = collect<WebhookEvent>(hub.events$);
    const job = collect<WebhookEvent>(hub.jobEvents('resp_1'));
    const other = collect<WebhookEvent>(hub.jobEvents('resp_2'));
    const res = await postEvent('response.completed', 'resp_1', { id: 'wh_one' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    await settle();
    expect(all.values).toHaveLength(1);
    expect(all.values[0]).toMatchObject({
      type: 'response.completed',
      data: { id: 'resp_1' },
      webhookId: 'wh_one',
    });
    expect(job.values).toEqual(all.values);
    expect(other.values).toEqual([]);
    expect(hub.stats()).toMatchObject({ requests: 1, accepted: 1, duplicates: 0, watching: 2, buffered: 1 });
  });

  it('delivers a webhook-id once and answers 2xx to each duplicate, concurrent or not', async () => {
    const all = collect<WebhookEvent>(hub.events$);
    const body = webhookEventBody('batch.completed', 'batch_1');
    // OpenAI re-signs each attempt with a new timestamp; the webhook-id stays.
    const attempts = await Promise.all(
      [0, 1, 2].map((i) =>
        post(body, signWebhook({ secret, body, id: 'wh_dup', timestamp: Math.floor(Date.now() / 1000) - i })),
      ),
    );
    const again = await post(body, signWebhook({ secret, body, id: 'wh_dup' }));
    expect([...attempts, again].map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await settle();
    expect(all.values).toHaveLength(1);
    expect(hub.stats()).toMatchObject({ accepted: 1, duplicates: 3 });
  });

  it('refuses a bad signature with 401, and never echoes the secret', async () => {
    const all = collect<WebhookEvent>(hub.events$);
    const body = webhookEventBody('response.completed', 'resp_1');
    const res = await post(body, signWebhook({ secret: makeWebhookSecret(), body }));
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: 'bad_signature' });
    expect(text).not.toContain(secret.slice(6, 20));
    expect(rejected.map((e) => [e.code, e.reason, e.status])).toEqual([
      ['webhook_verification_failed', 'bad_signature', 401],
    ]);
    expect(rejected[0]!.message).not.toContain(secret.slice(6, 20));
    await settle();
    expect(all.values).toEqual([]);
    expect(hub.stats()).toMatchObject({
      verificationFailures: 1,
      refused: { bad_signature: 1 },
      accepted: 0,
    });
  });

  it('refuses a tampered body with 401', async () => {
    const body = webhookEventBody('response.completed', 'resp_1');
    const res = await post(body.replace('resp_1', 'resp_9'), signWebhook({ secret, body }));
    expect(res.status).toBe(401);
  });

  it('refuses a request without Standard Webhooks headers with 400', async () => {
    const body = webhookEventBody('response.completed', 'resp_1');
    const { 'webhook-signature': _, ...headers } = signWebhook({ secret, body });
    const res = await post(body, headers);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'missing_headers' });
    expect((await post(body, { 'content-type': 'application/json' })).status).toBe(400);
    expect(hub.stats()).toMatchObject({ verificationFailures: 2, refused: { missing_headers: 2 } });
  });

  it('refuses a timestamp outside the tolerance with 401, old or new', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await postEvent('response.completed', 'resp_1', { timestamp: now - 301 })).status).toBe(401);
    expect((await postEvent('response.completed', 'resp_1', { timestamp: now + 400 })).status).toBe(401);
    expect(rejected.map((e) => e.reason)).toEqual(['stale_timestamp', 'stale_timestamp']);
    await start({ tolerance: 10 });
    expect((await postEvent('response.completed', 'resp_1', { timestamp: now - 60 })).status).toBe(401);
    expect((await postEvent('response.completed', 'resp_1', { timestamp: now - 2 })).status).toBe(200);
  });

  it('refuses a body over maxBodyBytes with 413, by content-length and while streaming', async () => {
    await start({ maxBodyBytes: 1024 });
    const big = JSON.stringify({
      id: 'evt',
      type: 'response.completed',
      created_at: 1,
      data: { id: 'x' },
      pad: 'x'.repeat(4096),
    });
    const res = await post(big, signWebhook({ secret, body: big }));
    expect(res.status).toBe(413);
    // Chunked, no content-length: refused as soon as the limit is crossed, the rest is never read.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(url, { method: 'POST', headers: signWebhook({ secret, body: big }) }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(big.slice(0, 2000));
      // Keep the request open: the answer must not wait for the end of the body.
    });
    expect(status).toBe(413);
    expect(hub.stats().refused.too_large).toBe(2);
    expect((await postEvent('response.completed', 'resp_1')).status).toBe(200);
  });

  it('answers 405 with Allow: POST to other methods', async () => {
    const res = await fetch(url);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect((await fetch(url, { method: 'PUT', body: '{}' })).status).toBe(405);
  });

  it('refuses a correctly signed body that is not JSON, or not an event, with 400', async () => {
    const all = collect<WebhookEvent>(hub.events$);
    // unwrap checks the signature before JSON.parse: this one passes verification and fails parsing.
    const notJson = 'not json {';
    const res = await post(notJson, signWebhook({ secret, body: notJson }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_payload' });
    const notEvent = JSON.stringify({ hello: 'world' });
    expect((await post(notEvent, signWebhook({ secret, body: notEvent }))).status).toBe(400);
    // An unsigned non-JSON body is a signature failure first.
    expect((await post(notJson, signWebhook({ secret: makeWebhookSecret(), body: notJson }))).status).toBe(
      401,
    );
    await settle();
    expect(all.values).toEqual([]);
    expect(hub.stats()).toMatchObject({
      refused: { invalid_payload: 2, bad_signature: 1 },
      verificationFailures: 1,
    });
  });

  it('accepts every configured secret while rotating', async () => {
    const oldSecret = makeWebhookSecret();
    await start({ secret: undefined, secrets: [secret, oldSecret] });
    const all = collect<WebhookEvent>(hub.events$);
    for (const signing of [oldSecret, secret, [oldSecret, secret]]) {
      const body = webhookEventBody('response.completed', 'resp_1');
      expect((await post(body, signWebhook({ secret: signing, body }))).status).toBe(200);
    }
    const body = webhookEventBody('response.completed', 'resp_1');
    expect((await post(body, signWebhook({ secret: makeWebhookSecret(), body }))).status).toBe(401);
    await settle();
    expect(all.values).toHaveLength(3);
  });

  it('isolates a subscriber that throws: the others still receive, the answer stays 2xx', async () => {
    const reported: unknown[] = [];
    config.onUnhandledError = (e) => reported.push(e);
    const before = collect<WebhookEvent>(hub.events$);
    hub.events$.subscribe(() => {
      throw new Error('subscriber bug');
    });
    const after = collect<WebhookEvent>(hub.events$);
    const job = collect<WebhookEvent>(hub.jobEvents('resp_1'));
    expect((await postEvent('response.completed', 'resp_1')).status).toBe(200);
    expect((await postEvent('response.failed', 'resp_2')).status).toBe(200);
    await settle();
    expect(before.values).toHaveLength(2);
    expect(after.values).toHaveLength(2);
    expect(job.values).toHaveLength(1);
    expect(reported).toHaveLength(2);
  });

  it('holds an event that arrives before its watch, and delivers it on subscribe', async () => {
    expect((await postEvent('response.completed', 'resp_fast')).status).toBe(200);
    await settle();
    expect(hub.stats()).toMatchObject({ buffered: 1, watching: 0 });
    const late = collect<WebhookEvent>(hub.jobEvents('resp_fast'));
    expect(late.values.map((e) => e.type)).toEqual(['response.completed']);
    // A second watch of the same job gets it too.
    expect(collect<WebhookEvent>(hub.jobEvents('resp_fast')).values).toHaveLength(1);
  });

  it('forgets held events after bufferMs and beyond bufferMax', async () => {
    let now = Date.now();
    await start({ bufferMs: 1000, bufferMax: 2, now: () => now });
    for (const id of ['a', 'b', 'c'])
      expect((await postEvent('batch.completed', `batch_${id}`)).status).toBe(200);
    await settle();
    expect(hub.stats().buffered).toBe(2);
    expect(collect<WebhookEvent>(hub.jobEvents('batch_a')).values).toEqual([]);
    expect(collect<WebhookEvent>(hub.jobEvents('batch_c')).values).toHaveLength(1);
    now += 1000;
    expect(collect<WebhookEvent>(hub.jobEvents('batch_c')).values).toEqual([]);
    expect(hub.stats().buffered).toBe(0);
  });

  it('counts and does not route event types no job kind recognises', async () => {
    const all = collect<WebhookEvent>(hub.events$);
    const job = collect<WebhookEvent>(hub.jobEvents('alert_1'));
    // A type OpenAI sends (openai 7.60's union) that no kind of job is announced by.
    expect((await postEvent('safety.alert.created', 'alert_1')).status).toBe(200);
    expect((await postEvent('something.new', 'alert_1')).status).toBe(200);
    await settle();
    expect(all.values.map((e) => e.type)).toEqual(['safety.alert.created', 'something.new']);
    expect(job.values).toEqual([]);
    expect(hub.stats()).toMatchObject({ accepted: 2, ignored: 2, buffered: 0 });
  });

  it('answers 2xx to every verified event type openai 7 added, passes them to events$ and counts them', async () => {
    const all = collect<WebhookEvent>(hub.events$);
    const created_at = Math.floor(Date.now() / 1000);
    // Shaped as openai 7 types them (test/types/webhook-events.openai7.test-d.ts checks it): data.id names a safety
    // alert or case, an environment, or nothing (a Live transport names a session_id), never a job.
    const events = openai7WebhookEvents(created_at);
    const env = collect<WebhookEvent>(hub.jobEvents('env_1'));
    const statuses: number[] = [];
    for (const event of events) {
      const body = JSON.stringify(event);
      statuses.push((await post(body, signWebhook({ secret, body }))).status);
    }
    expect(statuses).toEqual(events.map(() => 200));
    await settle();
    expect(all.values.map((e) => e.type)).toEqual(events.map((e) => e.type));
    expect(all.values[5]).toMatchObject({ data: { session_id: 'live_2', type: 'webrtc' } });
    expect(env.values).toEqual([]);
    expect(hub.stats()).toMatchObject({
      accepted: events.length,
      ignored: events.length,
      verificationFailures: 0,
      buffered: 0,
    });
    expect(Object.values(hub.stats().refused).every((n) => n === 0)).toBe(true);
  });

  it('keeps serving valid events after invalid ones', async () => {
    const all = collect<WebhookEvent>(hub.events$);
    const body = webhookEventBody('response.completed', 'resp_1');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await post(body, signWebhook({ secret: makeWebhookSecret(), body }))).status);
      statuses.push((await fetch(url, { method: 'POST', body: 'x', headers: {} })).status);
      statuses.push((await postEvent('response.completed', `resp_${i}`)).status);
    }
    expect(statuses).toEqual([401, 400, 200, 401, 400, 200, 401, 400, 200]);
    await settle();
    expect(all.values).toHaveLength(3);
  });

  it('claims a webhook-id only after verification: a forged copy cannot suppress the real delivery', async () => {
    const all = collect<WebhookEvent>(hub.events$);
    const body = webhookEventBody('response.completed', 'resp_1');
    expect((await post(body, signWebhook({ secret: makeWebhookSecret(), body, id: 'wh_real' }))).status).toBe(
      401,
    );
    expect((await post(body, signWebhook({ secret, body, id: 'wh_real' }))).status).toBe(200);
    await settle();
    expect(all.values).toHaveLength(1);
  });

  it('delivers when the idempotency store fails (fail open), and counts it', async () => {
    const broken: IdempotencyStore = { claim: () => Promise.reject(new Error('store down')) };
    await start({ store: broken });
    const all = collect<WebhookEvent>(hub.events$);
    expect((await postEvent('response.completed', 'resp_1')).status).toBe(200);
    await settle();
    expect(all.values).toHaveLength(1);
    expect(hub.stats().storeErrors).toBe(1);
  });

  it("answers lastEvent with the store's kept event, or none when the store fails either way, and counts the failures", async () => {
    const kept = JSON.parse(webhookEventBody('response.completed', 'resp_kept')) as WebhookEvent;
    const store: IdempotencyStore = {
      claim: async () => true,
      recallEvent: (jobId) => {
        if (jobId === 'resp_throws') throw new Error('store down');
        if (jobId === 'resp_rejects') return Promise.reject(new Error('store down'));
        return Promise.resolve(jobId === 'resp_kept' ? kept : undefined);
      },
    };
    await start({ store });
    expect(await hub.lastEvent!('resp_kept')).toBe(kept);
    expect(await hub.lastEvent!('resp_none')).toBeUndefined();
    expect(hub.stats().storeErrors).toBe(0);
    expect(await hub.lastEvent!('resp_throws')).toBeUndefined();
    expect(await hub.lastEvent!('resp_rejects')).toBeUndefined();
    expect(hub.stats().storeErrors).toBe(2);
  });
});
