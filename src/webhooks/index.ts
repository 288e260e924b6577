// The public names of the webhooks area, for `src/index.ts` to re-export.
export type { WebhookEvent } from './event.js';
export {
  createWebhookHub,
  type WebhookHub,
  type WebhookHubOptions,
  type WebhookRoutes,
} from './hub.js';
export {
  DEFAULT_IDEMPOTENCY_TTL_MS,
  type IdempotencyStore,
  type MemoryIdempotencyStoreOptions,
  memoryIdempotencyStore,
} from './idempotency.js';
export {
  type RedisIdempotencyStoreOptions,
  type RedisSetClient,
  redisIdempotencyStore,
} from './redis-idempotency.js';
export type { WebhookHubStats, WebhookRefusal } from './stats.js';
export {
  createWebhookVerifier,
  type WebhookClient,
  type WebhookVerifier,
  type WebhookVerifierOptions,
} from './verify.js';
