import { describe, expect, it } from 'vitest';
import { DueHeap } from '../../src/internal/due-heap.js';
import { formatResetDuration } from '../../src/sim/server/rate-limiter.js';
import { parseGoDuration, readRequestLimitHeaders } from '../../src/sources/rate-limit-headers.js';
import { TokenBucket } from '../../src/sources/token-bucket.js';

describe('parseGoDuration (x-ratelimit-reset-requests)', () => {
  it.each([
    ['12ms', 12],
    ['1s', 1000],
    ['1.5s', 1500],
    ['6m0s', 360_000],
    ['1h2m3.5s', 3_723_500],
    ['250us', 0.25],
    ['500ns', 0.0005],
    ['0', 0],
    ['0s', 0],
    [' 2s ', 2000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '-1s', '1', 's', '1x', '1s2', 'abc', '1.2.3s', 'NaNs'])('refuses %j', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });

  it('reads what the simulator writes', () => {
    for (const ms of [0, 12, 999, 1000, 1500, 59_999, 60_000, 360_000, 3_723_500]) {
      expect(parseGoDuration(formatResetDuration(ms))).toBe(ms);
    }
  });
});

describe('readRequestLimitHeaders', () => {
  it('reads the three request headers, leaving out absent and garbage values', () => {
    expect(
      readRequestLimitHeaders(
        new Headers({
          'x-ratelimit-limit-requests': '600',
          'x-ratelimit-remaining-requests': '599',
          'x-ratelimit-reset-requests': '100ms',
        }),
      ),
    ).toEqual({ limit: 600, remaining: 599, resetMs: 100 });
    expect(readRequestLimitHeaders(new Headers({ 'x-ratelimit-remaining-requests': '0' }))).toEqual({
      remaining: 0,
    });
    expect(
      readRequestLimitHeaders(
        new Headers({
          'x-ratelimit-limit-requests': '0',
          'x-ratelimit-remaining-requests': '-3',
          'x-ratelimit-reset-requests': 'soon',
        }),
      ),
    ).toEqual({});
    expect(readRequestLimitHeaders(undefined)).toEqual({});
  });
});

describe('TokenBucket', () => {
  it('starts with the burst, refills at rpm / 60 s, and never holds more than the burst', () => {
    const b = new TokenBucket(60, 3, 0);
    expect([b.tryTake(0), b.tryTake(0), b.tryTake(0), b.tryTake(0)]).toEqual([true, true, true, false]);
    expect(b.nextAt(0)).toBe(1000);
    expect(b.tryTake(999)).toBe(false);
    expect(b.tryTake(1000)).toBe(true);
    expect(b.available(100_000)).toBe(3);
  });

  it('caps the tokens at remaining less the requests in flight, and can go into debt', () => {
    const b = new TokenBucket(60, 10, 0);
    b.observe({ remaining: 2 }, 5, 0);
    expect(b.available(0)).toBe(-3);
    expect(b.nextAt(0)).toBe(4000);
    // A later, higher remaining never raises the tokens.
    b.observe({ remaining: 100 }, 0, 0);
    expect(b.available(0)).toBe(-3);
  });

  it('takes a lower limit as its rate and burst, and the refill rate implied by remaining and reset', () => {
    const b = new TokenBucket(600, 10, 0);
    b.observe({ limit: 120 }, 0, 0);
    expect(b.rpm).toBe(120);
    b.observe({ limit: 120, remaining: 60, resetMs: 60_000 }, 0, 0);
    expect(b.rpm).toBe(60);
    // A limit above the configured rpm is no licence to go faster.
    const c = new TokenBucket(60, 1, 0);
    c.observe({ limit: 10_000, remaining: 9_999, resetMs: 6 }, 0, 0);
    expect(c.rpm).toBe(60);
  });

  it('blocks everything until a 429 retry-after ends, with the bucket emptied', () => {
    const b = new TokenBucket(6000, 100, 0);
    b.block(2000, 3, 0);
    expect(b.blockedAt(0)).toBe(2000);
    expect(b.tryTake(1999)).toBe(false);
    expect(b.nextAt(0)).toBe(2000);
    expect(b.tryTake(2000)).toBe(true);
    expect(b.blockedAt(2000)).toBeUndefined();
    // A shorter block never shortens a longer one.
    b.block(5000, 0, 2000);
    b.block(3000, 0, 2000);
    expect(b.nextAt(2000)).toBe(5000);
  });
});

describe('DueHeap', () => {
  it('pops items in due order, keeps insertion order for ties, and skips cancelled ones', () => {
    const heap = new DueHeap<string>();
    heap.push(30, 'c');
    const cancelB = heap.push(20, 'b');
    heap.push(10, 'a1');
    heap.push(10, 'a2');
    cancelB();
    cancelB();
    expect(heap.size).toBe(3);
    expect(heap.peek()).toBe(10);
    expect(heap.popDue(9)).toBeUndefined();
    expect([heap.popDue(100), heap.popDue(100), heap.popDue(100), heap.popDue(100)]).toEqual([
      'a1',
      'a2',
      'c',
      undefined,
    ]);
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
  });

  it('stays small under churn: cancelled slots do not pile up', () => {
    const heap = new DueHeap<number>();
    let cancel = heap.push(1_000_000, 0);
    for (let i = 1; i < 10_000; i++) {
      cancel();
      cancel = heap.push(1_000_000 + i, i);
    }
    expect(heap.size).toBe(1);
    expect((heap as unknown as { heap: unknown[] }).heap.length).toBeLessThan(200);
    expect(heap.popDue(Number.POSITIVE_INFINITY)).toBe(9999);
  });
});

describe('TokenBucket.spend', () => {
  it('takes tokens for requests already sent, into debt, and the next take waits until the refill paid it', () => {
    // 60 rpm: one token a second; a burst of 2.
    const bucket = new TokenBucket(60, 2, 0);
    expect(bucket.tryTake(0)).toBe(true);
    bucket.spend(1, 0); // the events read that went with that retrieve
    expect(bucket.available(0)).toBe(0);
    bucket.spend(1, 0);
    expect(bucket.available(0)).toBe(-1);
    expect(bucket.tryTake(0)).toBe(false);
    // From -1 to 1 token at one a second: two seconds.
    expect(bucket.nextAt(0)).toBe(2000);
    expect(bucket.tryTake(1999)).toBe(false);
    expect(bucket.tryTake(2000)).toBe(true);
  });
});
