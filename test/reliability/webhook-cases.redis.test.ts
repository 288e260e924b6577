// Issue 9, items 7 and 8, each reproduced against the simulator (official SDK, real sockets, real Redis):
// 7. a webhook-fed watch started after its job ended must not wait for an event that has already gone by;
// 8. a replay inside the signature tolerance is never delivered twice, whatever the delivery rate.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type OpenAI from 'openai';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createWebhookHub,
  hybrid,
  type RunSnapshot,
  type Source,
  type WebhookHub,
  type WebhookVerificationError,
  watchRun,
  webhookSource,
} from '../../src/index.js';
import { type ManualClock, type SimFaults, type Simulator, simScheduler } from '../../src/sim/index.js';
import {
  type IdempotencyStore,
  memoryIdempotencyStore,
  redisIdempotencyStore,
} from '../../src/webhooks/index.js';
import { makeWebhookSecret, signWebhook, webhookEventBody } from '../helpers/sign-webhook.js';
import { manualSim } from '../helpers/sim.js';
import { listenHub, settle } from '../helpers/webhook-server.js';

const FAST = { phases: { queued: 100, in_progress: 500 } };
const prefix = `runstate-test:${randomUUID()}:`;

let redis: Redis;
let sim: Simulator<ManualClock>;
let client: OpenAI;
const closing: (() => Promise<void>)[] = [];

beforeAll(async () => {
  redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

afterEach(async () => {
  await sim?.close();
  for (const close of closing.splice(0)) await close();
});

/** A hub on a real socket; `store` defaults to the hub's own memory store. */
async function hubOn(secret: string, options: { store?: IdempotencyStore; bufferMs?: number } = {}) {
  const hub = createWebhookHub({ secret, ...options });
  const server = await listenHub(hub);
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= server.close();
    return closed;
  };
  closing.push(close);
  return { hub, url: server.url, close };
}

/** A simulator on a manual clock delivering to `url`. */
async function simTo(url: string, secret: string, faults: SimFaults = {}): Promise<void> {
  ({ sim, client } = await manualSim({
    scenario: FAST,
    faults,
    webhooks: { url, secret },
    runWebhooks: true,
    webhookDelivery: { retryDelaysMs: [1000] },
  }));
}

/** Moves the clock past the job's end and lets every delivery due reach the hub. */
async function runToEnd(): Promise<void> {
  await sim.clock.advance(2000);
  await sim.flushWebhooks();
  await settle();
}

const response = async () =>
  (await client.responses.create({ model: 'gpt-4o-mini', input: 'hi', background: true })).id;

/** Watches a response until it ends, on the simulator's clock; moves the clock if the watch waits. */
async function watchToEnd(id: string, source: Source): Promise<RunSnapshot[]> {
  const done = lastValueFrom(
    watchRun({
      client,
      job: { kind: 'response', id },
      source,
      scheduler: simScheduler(sim.clock),
      maxWaitMs: 120_000,
    }).pipe(toArray()),
  );
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  // A watch that waits for an event gone by would end timed_out, 120 s of clock later.
  for (let i = 0; i < 130 && !finished; i++) {
    await settle(2);
    if (!finished) await sim.clock.advance(1000);
  }
  return done;
}

describe('item 7: a webhook-fed watch started after its job ended', () => {
  it('reads the job once when the hub never got its event (the delivery was lost)', async () => {
    const secret = makeWebhookSecret();
    const { hub, url } = await hubOn(secret);
    await simTo(url, secret, { webhooks: { drop: { probability: 1 } } });
    const id = await response();
    await runToEnd();
    expect(sim.job(id)!.status).toBe('completed');

    const snapshots = await watchToEnd(id, webhookSource(hub, { fetch: 'when-needed' }));
    const last = snapshots.at(-1)!;
    expect(last).toMatchObject({ state: 'completed', source: 'poll', calls: 1, done: true });
    expect(sim.job(id)!.retrieves).toBe(1);
  });

  it('with hybrid, ends at the read at start, not at the fallback poll 30 s later', async () => {
    const secret = makeWebhookSecret();
    const { hub, url } = await hubOn(secret);
    await simTo(url, secret, { webhooks: { drop: { probability: 1 } } });
    const id = await response();
    await runToEnd();
    const startedAt = sim.clock.now();
    const snapshots = await watchToEnd(id, hybrid(hub));
    expect(snapshots.at(-1)).toMatchObject({ state: 'completed', calls: 1 });
    expect(sim.clock.now() - startedAt).toBeLessThan(30_000);
  });

  it("finds the event in the hub's store after it left the hub's buffer: 0 retrieves", async () => {
    const secret = makeWebhookSecret();
    // bufferMs 0: the hub holds nothing for later watches, only its store keeps the event.
    const { hub, url } = await hubOn(secret, { bufferMs: 0 });
    await simTo(url, secret);
    const id = await response();
    await runToEnd();
    expect(hub.stats()).toMatchObject({ accepted: 1, buffered: 0 });

    const snapshots = await watchToEnd(id, webhookSource(hub, { fetch: 'when-needed' }));
    expect(snapshots.at(-1)).toMatchObject({ state: 'completed', source: 'webhook', calls: 0 });
    expect(sim.job(id)!.retrieves).toBe(0);
  });

  it('finds an event delivered to another instance that has since died (Redis store)', async () => {
    const secret = makeWebhookSecret();
    const store = () => redisIdempotencyStore(redis, { prefix });
    const a = await hubOn(secret, { store: store() });
    await simTo(a.url, secret);
    const id = await response();
    await runToEnd();
    expect(a.hub.stats().accepted).toBe(1);
    await a.close();

    // A second instance, started after the first one died: its memory holds nothing about the job.
    const b = await hubOn(secret, { store: store() });
    const snapshots = await watchToEnd(id, webhookSource(b.hub, { fetch: 'when-needed' }));
    expect(snapshots.at(-1)).toMatchObject({ state: 'completed', source: 'webhook', calls: 0 });
    expect(sim.job(id)!.retrieves).toBe(0);
  });

  it('createdJustNow keeps the 0-retrieve path; without it, a fresh job costs one read', async () => {
    const secret = makeWebhookSecret();
    const { hub, url } = await hubOn(secret);
    await simTo(url, secret);
    const fresh = await response();
    const plain = await response();
    const [freshSnapshots, plainSnapshots] = await Promise.all([
      watchToEnd(fresh, webhookSource(hub, { fetch: 'when-needed', createdJustNow: true })),
      watchToEnd(plain, webhookSource(hub, { fetch: 'when-needed' })),
    ]);
    expect(freshSnapshots.at(-1)).toMatchObject({ state: 'completed', source: 'webhook', calls: 0 });
    expect(sim.job(fresh)!.retrieves).toBe(0);
    expect(plainSnapshots.at(-1)).toMatchObject({ state: 'completed', source: 'webhook', calls: 1 });
    expect(sim.job(plain)!.retrieves).toBe(1);
  });
});

describe('item 8: replay protection by time, under a memory bound', () => {
  /**
   * `n` signed deliveries of distinct events, two a second over the last few minutes (all still inside the 300 s
   * tolerance), as a sender would have made them.
   */
  const deliveries = (secret: string, n: number) => {
    const start = Math.floor(Date.now() / 1000) - 280;
    return Array.from({ length: n }, (_, i) => {
      const body = webhookEventBody('response.completed', `resp_${i}`);
      return {
        body,
        headers: signWebhook({ secret, body, id: `wh_${i}`, timestamp: start + Math.floor(i / 2) }),
      };
    });
  };
  const post = (hub: WebhookHub, d: { body: string; headers: Record<string, string> }) =>
    hub.handler(new Request('http://hub.test/', { method: 'POST', body: d.body, headers: d.headers }));

  it('refuses (409, typed) a replay of an id it had to forget, rather than deliver it twice', async () => {
    const secret = makeWebhookSecret();
    const rejected: WebhookVerificationError[] = [];
    // 200 ids fit: far fewer than the 300 deliveries made inside one tolerance window.
    const hub = createWebhookHub({
      secret,
      store: memoryIdempotencyStore({ maxEntries: 200 }),
      onRejected: (e) => rejected.push(e),
    });
    const delivered = new Map<string, number>();
    hub.events$.subscribe((e) => delivered.set(e.webhookId, (delivered.get(e.webhookId) ?? 0) + 1));
    const sent = deliveries(secret, 300);
    for (const d of sent) expect((await post(hub, d)).status).toBe(200);
    // An attacker replays the exact bytes of every delivery, within the 300 s tolerance.
    const replays = await Promise.all(sent.map((d) => post(hub, d)));
    await settle();

    const statuses = replays.map((r) => r.status);
    // The 100 oldest were forgotten: their replays are refused; the 200 still remembered are plain duplicates.
    expect(statuses.filter((s) => s === 409)).toHaveLength(100);
    expect(statuses.filter((s) => s === 200)).toHaveLength(200);
    expect(await replays.find((r) => r.status === 409)!.json()).toMatchObject({ error: 'replay_unprovable' });
    expect([...delivered.values()].every((n) => n === 1)).toBe(true);
    expect(delivered.size).toBe(300);
    expect(hub.stats()).toMatchObject({
      accepted: 300,
      refused: { replay_unprovable: statuses.filter((s) => s === 409).length },
    });
    expect(rejected.every((e) => e.reason === 'replay_unprovable' && e.status === 409)).toBe(true);

    // A genuine delivery that arrives late (signed before what was forgotten) is refused too, and passes when the
    // sender retries it: each attempt is signed anew.
    const body = webhookEventBody('response.completed', 'resp_late');
    const late = {
      body,
      headers: signWebhook({ secret, body, id: 'wh_late', timestamp: Math.floor(Date.now() / 1000) - 250 }),
    };
    expect((await post(hub, late)).status).toBe(409);
    expect((await post(hub, { body, headers: signWebhook({ secret, body, id: 'wh_late' }) })).status).toBe(
      200,
    );
    await settle();
    expect(delivered.get('wh_late')).toBe(1);
  });

  it('with the Redis store, a replay inside the window is a duplicate however many came between', async () => {
    const secret = makeWebhookSecret();
    const hub = createWebhookHub({ secret, store: redisIdempotencyStore(redis, { prefix, ttlMs: 1 }) });
    let delivered = 0;
    hub.events$.subscribe(() => delivered++);
    const sent = deliveries(secret, 50).map((d, i) => ({
      body: d.body,
      headers: signWebhook({ secret, body: d.body, id: `wh_redis_${i}_${randomUUID()}` }),
    }));
    for (const d of sent) expect((await post(hub, d)).status).toBe(200);
    // ttlMs 1 ms: only the replay window keeps the ids.
    await settle(50);
    const replays = await Promise.all(sent.map((d) => post(hub, d)));
    await settle();
    expect(replays.map((r) => r.status).every((s) => s === 200)).toBe(true);
    expect(delivered).toBe(50);
    expect(hub.stats()).toMatchObject({ accepted: 50, duplicates: 50 });
  });
});
