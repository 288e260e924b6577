import { describe, expect, it } from 'vitest';
import { memoryIdempotencyStore } from '../../src/webhooks/idempotency.js';

describe('memoryIdempotencyStore', () => {
  it('claims a key once within its time to live', async () => {
    let now = 0;
    const store = memoryIdempotencyStore({ ttlMs: 1000, now: () => now });
    expect(await store.claim('a')).toBe(true);
    expect(await store.claim('a')).toBe(false);
    now = 999;
    expect(await store.claim('a')).toBe(false);
    now = 1000;
    expect(await store.claim('a')).toBe(true);
  });

  it('lets exactly one of concurrent claims win', async () => {
    const store = memoryIdempotencyStore();
    const results = await Promise.all(Array.from({ length: 10 }, () => store.claim('k')));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('keeps at most maxEntries keys, forgetting the oldest', async () => {
    const store = memoryIdempotencyStore({ maxEntries: 3 });
    for (const key of ['a', 'b', 'c', 'd']) await store.claim(key);
    expect(store.size).toBe(3);
    expect(await store.claim('d')).toBe(false);
    expect(await store.claim('a')).toBe(true);
  });
});
