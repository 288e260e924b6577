import type { WebhookEvent } from './event.js';
import { DEFAULT_IDEMPOTENCY_TTL_MS, type IdempotencyStore } from './idempotency.js';

/**
 * The one command the Redis store needs for ids, satisfied structurally by an `ioredis` client (`new Redis()`), so
 * runstate never imports ioredis itself.
 */
export interface RedisSetClient {
  set(key: string, value: string, px: 'PX', ttlMs: number, nx: 'NX'): Promise<'OK' | null>;
}

/**
 * The commands the Redis store also uses to keep each job's latest event (an `ioredis` client has them). A client
 * with only `set` dedupes, but keeps no events: watches then read their job once when they start.
 */
export interface RedisEventClient {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  hget(key: string, field: string): Promise<string | null>;
}

/** Options of {@link redisIdempotencyStore}. */
export interface RedisIdempotencyStoreOptions {
  /**
   * Prepended to each webhook id; job events go under `<prefix>job:`.
   *
   * @defaultValue `'runstate:webhook:'`
   */
  prefix?: string;
  /**
   * How long a key is remembered, in ms. A key is kept at least through the replay window of its delivery (the
   * hub's tolerance) whatever this says.
   *
   * @defaultValue 72 h (OpenAI's retry window)
   */
  ttlMs?: number;
  /**
   * How long a job's latest event is kept, in ms.
   *
   * @defaultValue 72 h
   */
  eventTtlMs?: number;
}

// Keeps the event with the highest precedence; a tie keeps the first. One round trip, atomic in Redis.
const REMEMBER = `local p = redis.call('HGET', KEYS[1], 'p')
if p and tonumber(p) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'p', ARGV[1], 'e', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

const hasEvents = (client: object): client is RedisEventClient =>
  typeof (client as Partial<RedisEventClient>).eval === 'function' &&
  typeof (client as Partial<RedisEventClient>).hget === 'function';

/**
 * An {@link IdempotencyStore} shared by every instance behind a load balancer: one `SET key 1 PX ttl NX` per
 * delivery, atomic in Redis, and each job's latest event in a hash with a TTL, so a watch on any instance finds an
 * event delivered to another (even one that has since died). Redis bounds the memory by TTL, not by count.
 * @example createWebhookHub({ secret, store: redisIdempotencyStore(new Redis(process.env.REDIS_URL)) })
 */
export function redisIdempotencyStore(
  client: RedisSetClient | (RedisSetClient & RedisEventClient),
  options: RedisIdempotencyStoreOptions = {},
): IdempotencyStore {
  const prefix = options.prefix ?? 'runstate:webhook:';
  const ttlMs = Math.max(1, Math.round(options.ttlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS));
  const eventTtlMs = Math.max(1, Math.round(options.eventTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS));
  const store: IdempotencyStore = {
    async claim(key, context) {
      // The replay window is measured on the hub's clock, which also checked the timestamp.
      const window = context ? Math.ceil(context.replayableUntil - context.receivedAt) : 0;
      return (await client.set(`${prefix}${key}`, '1', 'PX', Math.max(ttlMs, window), 'NX')) === 'OK';
    },
  };
  if (!hasEvents(client)) return store;
  return {
    ...store,
    async rememberEvent(jobId, event, precedence) {
      await client.eval(REMEMBER, 1, `${prefix}job:${jobId}`, precedence, JSON.stringify(event), eventTtlMs);
    },
    async recallEvent(jobId) {
      const json = await client.hget(`${prefix}job:${jobId}`, 'e');
      return json === null ? undefined : (JSON.parse(json) as WebhookEvent);
    },
  };
}
