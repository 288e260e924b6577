/**
 * Remembers which deliveries were already accepted, so an event is delivered once per `webhook-id`. Implement it
 * over any shared store (see {@link redisIdempotencyStore}) when several instances receive webhooks.
 */
export interface IdempotencyStore {
  /**
   * Records `key` as seen. Resolves `true` when this call is the first within the store's time to live, `false`
   * for a repeat. Must be atomic: of two concurrent claims of one key, exactly one wins.
   */
  claim(key: string): Promise<boolean>;
}

/** Options of {@link memoryIdempotencyStore}. */
export interface MemoryIdempotencyStoreOptions {
  /** How long a key is remembered, in ms. Default 72 h: OpenAI retries an unacknowledged delivery for up to 72 h. */
  ttlMs?: number;
  /** At most this many keys are kept; the oldest are forgotten first. Default 10 000. */
  maxEntries?: number;
  /** Clock, epoch ms (injected in tests). */
  now?: () => number;
}

/** Default time to live of a webhook id, in ms: OpenAI's retry window. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 72 * 60 * 60 * 1000;

/** An in-process {@link IdempotencyStore} with a time to live and a bounded size: the hub's default. */
export function memoryIdempotencyStore(
  options: MemoryIdempotencyStoreOptions = {},
): IdempotencyStore & { readonly size: number } {
  const ttlMs = options.ttlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  // Insertion order is expiry order (one ttl for all), so the oldest keys are always at the front.
  const expiries = new Map<string, number>();

  function prune(at: number): void {
    for (const [key, expiresAt] of expiries) {
      if (expiresAt > at && expiries.size <= maxEntries) return;
      expiries.delete(key);
    }
  }

  return {
    get size() {
      prune(now());
      return expiries.size;
    },
    async claim(key) {
      const at = now();
      prune(at);
      if (expiries.has(key)) return false;
      expiries.set(key, at + ttlMs);
      prune(at);
      return true;
    },
  };
}
