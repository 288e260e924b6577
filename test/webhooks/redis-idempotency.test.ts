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
