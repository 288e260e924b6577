import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookHub } from '../../src/webhooks/hub.js';
import { redisIdempotencyStore } from '../../src/webhooks/redis-idempotency.js';
import { makeWebhookSecret, signWebhook, webhookEventBody } from '../helpers/sign-webhook.js';
import { listenHub, settle } from '../helpers/webhook-server.js';

const prefix = `runstate-test:${randomUUID()}:`;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('redisIdempotencyStore (real Redis)', () => {
  it('claims a key once, with the time to live set in Redis', async () => {
    const store = redisIdempotencyStore(redis, { prefix, ttlMs: 60_000 });
    expect(await store.claim('wh_1')).toBe(true);
    expect(await store.claim('wh_1')).toBe(false);
    const ttl = await redis.pttl(`${prefix}wh_1`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('forgets a key after its time to live', async () => {
    const store = redisIdempotencyStore(redis, { prefix, ttlMs: 50 });
    expect(await store.claim('wh_short')).toBe(true);
    await settle(120);
    expect(await store.claim('wh_short')).toBe(true);
  });

  it('dedupes across two hubs (two instances behind a load balancer)', async () => {
    const secret = makeWebhookSecret();
    const hubs = [0, 1].map(() =>
      createWebhookHub({ secret, store: redisIdempotencyStore(redis, { prefix }) }),
    );
    const servers = await Promise.all(hubs.map(listenHub));
    const delivered: string[] = [];
    for (const [i, hub] of hubs.entries()) hub.events$.subscribe(() => delivered.push(`hub${i}`));
    const body = webhookEventBody('response.completed', 'resp_1');
    const responses = await Promise.all(
      [0, 1, 0, 1].map((i) =>
        fetch(servers[i]!.url, {
          method: 'POST',
          body,
          headers: signWebhook({ secret, body, id: 'wh_shared' }),
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await settle();
    expect(delivered).toHaveLength(1);
    expect(hubs[0]!.stats().duplicates + hubs[1]!.stats().duplicates).toBe(3);
    await Promise.all(servers.map((s) => s.close()));
  });
});

describe('redisIdempotencyStore: replay window and latest event per job (real Redis)', () => {
  it('keeps an id through its replay window, whatever ttlMs says', async () => {
    const store = redisIdempotencyStore(redis, { prefix, ttlMs: 50 });
    const now = Date.now();
    expect(
      await store.claim('wh_window', { signedAt: now, replayableUntil: now + 10_000, receivedAt: now }),
    ).toBe(true);
    const ttl = await redis.pttl(`${prefix}wh_window`);
    expect(ttl).toBeGreaterThan(9_000);
    expect(await store.claim('wh_window')).toBe(false);
  });

  it('keeps the event of highest precedence per job, with a TTL', async () => {
    const store = redisIdempotencyStore(redis, { prefix, eventTtlMs: 60_000 });
    const event = (type: string, webhookId: string) => ({
      id: `evt_${webhookId}`,
      type,
      created_at: 100,
      data: { id: 'resp_r' },
      webhookId,
    });
    expect(await store.recallEvent!('resp_r')).toBeUndefined();
    await store.rememberEvent!('resp_r', event('response.completed', 'wh_a'), 1e11 + 100);
    await store.rememberEvent!('resp_r', event('response.in_progress', 'wh_b'), 101);
    await store.rememberEvent!('resp_r', event('response.failed', 'wh_c'), 1e11 + 100);
    expect(await store.recallEvent!('resp_r')).toEqual(event('response.completed', 'wh_a'));
    const ttl = await redis.pttl(`${prefix}job:resp_r`);
    expect(ttl).toBeGreaterThan(50_000);
  });

  it('keeps no events with a client that only has set', async () => {
    const store = redisIdempotencyStore({ set: (...args) => redis.set(...args) }, { prefix });
    expect(store.rememberEvent).toBeUndefined();
    expect(store.recallEvent).toBeUndefined();
  });
});
