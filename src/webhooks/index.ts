// runstate/webhooks: the webhook area whole, for those who verify, dedupe or route deliveries themselves. The hub
// and its options are also exported by `runstate`, since receiving webhooks needs nothing more.

// ── the webhook source ─────────────────────────────────────────────────────────────────────────────────────
export type { WebhookFetchPolicy, WebhookSource } from '../sources/webhook.js';
// ── verification ───────────────────────────────────────────────────────────────────────────────────────────
export type { WebhookEvent } from './event.js';
// ── the hub ────────────────────────────────────────────────────────────────────────────────────────────────
export {
  createWebhookHub,
  type WebhookHub,
  type WebhookHubOptions,
  type WebhookRoutes,
} from './hub.js';
// ── idempotency ────────────────────────────────────────────────────────────────────────────────────────────
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
