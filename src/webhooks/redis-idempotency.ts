import { DEFAULT_IDEMPOTENCY_TTL_MS, type IdempotencyStore } from './idempotency.js';

/**
 * The one command the Redis store needs, satisfied structurally by an `ioredis` client (`new Redis()`), so runstate
 * never imports ioredis itself.
 */
export interface RedisSetClient {
  set(key: string, value: string, px: 'PX', ttlMs: number, nx: 'NX'): Promise<'OK' | null>;
}

/** Options of {@link redisIdempotencyStore}. */
export interface RedisIdempotencyStoreOptions {
  /** Prepended to each webhook id. Default `runstate:webhook:`. */
  prefix?: string;
  /** How long a key is remembered, in ms. Default 72 h (OpenAI's retry window). */
  ttlMs?: number;
}

/**
 * An {@link IdempotencyStore} shared by every instance behind a load balancer: one `SET key 1 PX ttl NX` per
 * delivery, atomic in Redis.
 * @example createWebhookHub({ secret, store: redisIdempotencyStore(new Redis(process.env.REDIS_URL)) })
 */
export function redisIdempotencyStore(
  client: RedisSetClient,
  options: RedisIdempotencyStoreOptions = {},
): IdempotencyStore {
  const prefix = options.prefix ?? 'runstate:webhook:';
  const ttlMs = Math.max(1, Math.round(options.ttlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS));
  return {
    async claim(key) {
      return (await client.set(`${prefix}${key}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
    },
  };
}
