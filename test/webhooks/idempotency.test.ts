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

describe('memoryIdempotencyStore: replay protection by time', () => {
  const TOLERANCE = 300_000;
  /** A delivery signed at `signedAt`, received at `now`. */
  const at = (signedAt: number, now: number) => ({
    signedAt,
    replayableUntil: signedAt + TOLERANCE,
    receivedAt: now,
  });

  it('keeps an id through its replay window even when the time to live is shorter', async () => {
    let now = 1_000_000;
    const store = memoryIdempotencyStore({ ttlMs: 1000, now: () => now });
    expect(await store.claim('a', at(now, now))).toBe(true);
    now += 299_999;
    expect(await store.claim('a', at(now - 299_999, now))).toBe(false);
    now += 1;
    // Past the window a replay fails verification anyway: the id may go.
    expect(store.size).toBe(0);
  });

  it('refuses, as unprovable, a delivery signed no later than an id it had to forget inside the window', async () => {
    let now = 1_000_000;
    const store = memoryIdempotencyStore({ maxEntries: 3, now: () => now });
    for (const key of ['a', 'b', 'c']) {
      expect(await store.claim(key, at(now, now))).toBe(true);
      now += 1000;
    }
    expect(store.forgottenUpTo).toBe(Number.NEGATIVE_INFINITY);
    // The 4th id pushes 'a' out while a replay of 'a' would still verify.
    expect(await store.claim('d', at(now, now))).toBe(true);
    expect(store.forgottenUpTo).toBe(1_000_000);
    // A replay of 'a' (same id, same signed timestamp): not delivered twice.
    expect(await store.claim('a', at(1_000_000, now))).toBe('unprovable');
    // Still remembered: a plain duplicate.
    expect(await store.claim('d', at(now, now))).toBe(false);
    // A new delivery signed after what was forgotten passes; so does a genuine retry of 'a', signed anew.
    now += 1000;
    expect(await store.claim('e', at(now, now))).toBe(true);
    expect(await store.claim('a', at(now, now))).toBe(true);
  });

  it('forgets ids past their replay window without refusing anything', async () => {
    let now = 1_000_000;
    const store = memoryIdempotencyStore({ maxEntries: 2, now: () => now });
    await store.claim('old', at(now - TOLERANCE, now));
    await store.claim('b', at(now, now));
    await store.claim('c', at(now, now));
    expect(store.forgottenUpTo).toBe(Number.NEGATIVE_INFINITY);
    now += 1;
    expect(await store.claim('d', at(now, now))).toBe(true);
  });
});

describe('memoryIdempotencyStore: latest event per job', () => {
  const event = (type: string, createdAt: number, webhookId: string) => ({
    id: `evt_${webhookId}`,
    type,
    created_at: createdAt,
    data: { id: 'resp_1' },
    webhookId,
  });

  it('keeps the event of highest precedence, the first on a tie, for its time to live', async () => {
    let now = 0;
    const store = memoryIdempotencyStore({ eventTtlMs: 1000, now: () => now });
    expect(await store.recallEvent('resp_1')).toBeUndefined();
    await store.rememberEvent('resp_1', event('response.in_progress', 10, 'wh_1'), 10);
    await store.rememberEvent('resp_1', event('response.completed', 11, 'wh_2'), 1e11 + 11);
    await store.rememberEvent('resp_1', event('response.in_progress', 12, 'wh_3'), 12);
    await store.rememberEvent('resp_1', event('response.failed', 11, 'wh_4'), 1e11 + 11);
    expect((await store.recallEvent('resp_1'))?.webhookId).toBe('wh_2');
    now = 1000;
    expect(await store.recallEvent('resp_1')).toBeUndefined();
  });

  it('keeps at most maxJobs jobs, forgetting the least recently updated', async () => {
    const store = memoryIdempotencyStore({ maxJobs: 2 });
    for (const [i, jobId] of ['a', 'b', 'c'].entries()) {
      await store.rememberEvent(
        jobId,
        { ...event('response.completed', i, `wh_${i}`), data: { id: jobId } },
        i,
      );
    }
    expect(store.jobs).toBe(2);
    expect(await store.recallEvent('a')).toBeUndefined();
    expect((await store.recallEvent('c'))?.webhookId).toBe('wh_2');
  });

  it('counts a job updated again as recent: the one updated longest ago goes first', async () => {
    const store = memoryIdempotencyStore({ maxJobs: 2 });
    const remember = (jobId: string, webhookId: string, precedence: number) =>
      store.rememberEvent(
        jobId,
        { ...event('response.in_progress', precedence, webhookId), data: { id: jobId } },
        precedence,
      );
    await remember('a', 'wh_a1', 1);
    await remember('b', 'wh_b1', 2);
    // a's newer event makes b the least recently updated, though a was set first.
    await remember('a', 'wh_a2', 3);
    await remember('c', 'wh_c1', 4);
    expect(store.jobs).toBe(2);
    expect(await store.recallEvent('b')).toBeUndefined();
    expect((await store.recallEvent('a'))?.webhookId).toBe('wh_a2');
    expect((await store.recallEvent('c'))?.webhookId).toBe('wh_c1');
  });
});
