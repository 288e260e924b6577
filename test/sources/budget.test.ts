import { getEventListeners } from 'node:events';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, NotFoundError, RetriesExhaustedError } from '../../src/errors/index.js';
import type { SourceContext } from '../../src/model/types.js';
import { backoffSchedule } from '../../src/sources/backoff.js';
import { createPollBudget, type PollBudget } from '../../src/sources/budget.js';
import { type PollOptions, poll } from '../../src/sources/poll.js';
import { apiError, type Reply, record, seededRandom, testSourceContext } from '../helpers/source-context.js';

// Virtual time: vitest's fake timers drive asyncScheduler (the budget adopts the watches' scheduler) and the fake
// adapters' latencies; advanceTimersByTimeAsync lets their promises settle between timers.
beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A fixed interval, no jitter: polls at `ms`, 2·ms, 3·ms... when the budget allows. */
const every = (ms: number, more: PollOptions = {}): PollOptions => ({
  initialDelayMs: ms,
  factor: 1,
  maxDelayMs: ms,
  jitter: 'none',
  retryBackoff: { jitter: 'none' },
  ...more,
});

function watchWith(
  budget: PollBudget,
  script: readonly Reply[] | ((call: number) => Reply),
  options: PollOptions = {},
  overrides: Partial<SourceContext> = {},
) {
  const t = testSourceContext(script, overrides);
  const rec = record(budget.poll(options), t.ctx);
  return { ...t, rec, times: () => t.calls.map((c) => c.at) };
}

describe('createPollBudget()', () => {
  it('validates its options, and its sources validate theirs as poll() does', () => {
    for (const rpm of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '600' as unknown as number]) {
      expect(() => createPollBudget({ rpm })).toThrow(ConfigurationError);
    }
    expect(() => createPollBudget({ rpm: 600, burst: 0.5 })).toThrow(/burst/);
    expect(() => createPollBudget({ rpm: 600, priority: 'fifo' as 'lag' })).toThrow(/priority/);
    const budget = createPollBudget({ rpm: 600 });
    expect(() => budget.poll({ maxRetries: -1 })).toThrow(ConfigurationError);
    expect(() => budget.poll({ initialDelayMs: 0 })).toThrow(ConfigurationError);
  });

  it('gives poll sources with the settings of poll(), tied to the budget', () => {
    const budget = createPollBudget({ rpm: 600 });
    const source = budget.poll({ initialDelayMs: 1000, maxRetries: 3 });
    const plain = poll({ initialDelayMs: 1000, maxRetries: 3 });
    expect(source.name).toBe('poll');
    expect(source.budget).toBe(budget);
    expect(source.policy).toEqual(plain.policy);
    expect(source.retryPolicy).toEqual(plain.retryPolicy);
    expect(source.maxRetries).toBe(3);
    expect(budget.stats()).toMatchObject({ watches: 0, requests: 0, rpm: 600, tokens: 10 });
  });

  it('is cold: nothing is requested before subscription', async () => {
    const t = testSourceContext(['in_progress']);
    createPollBudget({ rpm: 600 }).poll().watch(t.ctx);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.calls).toHaveLength(0);
  });
});

describe('budget source: when the budget is not short', () => {
  it('polls exactly when poll() would (backoffSchedule, full jitter), and stamps events like poll()', async () => {
    const budget = createPollBudget({ rpm: 600 });
    const w = watchWith(budget, ['in_progress'], {}, { random: seededRandom(42), deadline: 60_000 });
    await vi.advanceTimersByTimeAsync(61_000);
    const expected = backoffSchedule(poll().policy, { random: seededRandom(42), start: 0, until: 60_000 });
    expect(w.times()).toEqual(expected);
    expect(w.rec.events[0]).toMatchObject({
      type: 'status',
      state: 'in_progress',
      source: 'poll',
      at: expected[0],
    });
    expect(w.rec.completedAt).toBe(60_000);
    expect(w.meter.count).toBe(expected.length);
  });

  it('measures each delay from the previous response, and honours immediate and server hints', async () => {
    const budget = createPollBudget({ rpm: 600 });
    const w = watchWith(
      budget,
      [
        { status: 'queued', latencyMs: 100 },
        { status: 'in_progress', headers: { 'openai-poll-after-ms': '3000' } },
      ],
      every(500, { immediate: true }),
    );
    await vi.advanceTimersByTimeAsync(4000);
    // 0 (immediate), answered at 100; +500 → 600, answered at once with a 3 s hint; +3000 → 3600.
    expect(w.times()).toEqual([0, 600, 3600]);
  });

  it('calls custom delays with the attempt and the time since the watch started', async () => {
    const budget = createPollBudget({ rpm: 600 });
    const seen: [number, number][] = [];
    const w = watchWith(budget, ['in_progress'], {
      delays: (attempt, elapsed) => {
        seen.push([attempt, elapsed]);
        return 1000 * (attempt + 1);
      },
    });
    await vi.advanceTimersByTimeAsync(6500);
    expect(w.times()).toEqual([1000, 3000, 6000]);
    expect(seen).toEqual([
      [0, 0],
      [1, 1000],
      [2, 3000],
      [3, 6000],
    ]);
  });

  it('completes after a terminal status', async () => {
    const budget = createPollBudget({ rpm: 600 });
    const w = watchWith(budget, ['queued', 'completed'], every(500));
    await vi.advanceTimersByTimeAsync(5000);
    expect(w.rec.events.map((e) => e.status)).toEqual(['queued', 'completed']);
    expect(w.rec.completedAt).toBe(1000);
    expect(budget.stats().watches).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('budget source: one loop for every watch', () => {
  it('keeps one timer for a hundred waiting watches (as poll() does on one scheduler)', async () => {
    const budget = createPollBudget({ rpm: 6000 });
    const watches = Array.from({ length: 100 }, (_, i) =>
      watchWith(budget, ['in_progress'], every(1000 + i * 10)),
    );
    await vi.advanceTimersByTimeAsync(1);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(vi.getTimerCount()).toBe(1);
    expect(budget.stats().watches).toBe(100);
    for (const w of watches) w.rec.subscription.unsubscribe();
    expect(vi.getTimerCount()).toBe(0);

    // poll() keeps its waiting watches in one timer queue per scheduler too (poll-loop.ts).
    const shared = { now: () => Date.now(), schedule: asyncScheduler.schedule.bind(asyncScheduler) };
    const plain = Array.from({ length: 100 }, () =>
      testSourceContext(['in_progress'], { scheduler: shared as SchedulerLike }),
    );
    const subs = plain.map((t, i) => record(poll(every(1000 + i * 10)), t.ctx));
    await vi.advanceTimersByTimeAsync(1);
    expect(vi.getTimerCount()).toBe(1);
    for (const r of subs) r.subscription.unsubscribe();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never spends more than rpm: with 30 watches and rpm 60, one request a second at most', async () => {
    const budget = createPollBudget({ rpm: 60, burst: 1 });
    const watches = Array.from({ length: 30 }, (_, i) =>
      watchWith(budget, ['in_progress'], {}, { random: seededRandom(i + 1) }),
    );
    await vi.advanceTimersByTimeAsync(60_000);
    const all = watches.flatMap((w) => w.times()).sort((a, b) => a - b);
    // One token at start, then one per second: at most 61 in [0, 60 s].
    expect(all.length).toBeLessThanOrEqual(61);
    expect(all.length).toBeGreaterThanOrEqual(59);
    for (let i = 1; i < all.length; i++) expect(all[i]! - all[i - 1]!).toBeGreaterThanOrEqual(1000);
    // Every watch got polls (none starves), and the backlog is visible.
    for (const w of watches) expect(w.times().length).toBeGreaterThanOrEqual(1);
    expect(budget.stats().due).toBeGreaterThan(0);
    expect(budget.stats().requests).toBe(all.length);
  });

  it('in any 10 s window, spends at most burst + rate × 10 s', async () => {
    const budget = createPollBudget({ rpm: 120, burst: 5 });
    const watches = Array.from({ length: 50 }, (_, i) =>
      watchWith(budget, [{ status: 'in_progress', latencyMs: 30 }], {}, { random: seededRandom(100 + i) }),
    );
    await vi.advanceTimersByTimeAsync(120_000);
    const all = watches.flatMap((w) => w.times()).sort((a, b) => a - b);
    for (let i = 0; i < all.length; i++) {
      const inWindow = all.filter((t) => t >= all[i]! && t < all[i]! + 10_000).length;
      expect(inWindow).toBeLessThanOrEqual(5 + 20);
    }
  });

  it('spends only its burst once a loop that subscribed many watches lets go, however long the loop held on', async () => {
    const budget = createPollBudget({ rpm: 600, burst: 10 });
    // One synchronous loop subscribes 1,000 watches and holds the event loop for 100 s of the clock: requests issued
    // meanwhile could only leave together once it let go.
    const watches = Array.from({ length: 1000 }, () => {
      vi.setSystemTime(Date.now() + 100);
      return watchWith(budget, ['in_progress'], every(60_000, { immediate: true }));
    });
    const issuedDuringLoop = budget.stats().requests;
    await vi.advanceTimersByTimeAsync(0);
    expect(issuedDuringLoop).toBe(0);
    expect(watches.filter((w) => w.times().length > 0)).toHaveLength(10);
    // Then at the budget's pace: 10 a second.
    await vi.advanceTimersByTimeAsync(1000);
    expect(budget.stats().requests).toBe(20);
  });

  /** X takes the only token at 0 (then waits an hour); A polls every 8 s (due 8 s); B every 1 s, due 9.5 s. */
  async function contest(priority?: 'lag' | 'relative') {
    const budget = createPollBudget({ rpm: 6, burst: 1, ...(priority ? { priority } : {}) }); // a token every 10 s
    const x = watchWith(budget, ['in_progress'], every(3_600_000, { immediate: true }));
    await vi.advanceTimersByTimeAsync(0);
    expect(x.times()).toEqual([0]);
    const a = watchWith(budget, ['in_progress'], every(8000));
    await vi.advanceTimersByTimeAsync(8500);
    const b = watchWith(budget, ['in_progress'], every(1000));
    await vi.advanceTimersByTimeAsync(1500);
    return { budget, a, b };
  }

  it('when short, gives the token to the watch whose poll is most overdue (by default)', async () => {
    const { a, b } = await contest();
    // At 10 s, A is 2 s late and B 0.5 s: A goes first, B at the next token.
    expect(a.times()).toEqual([10_000]);
    expect(b.times()).toEqual([]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(b.times()).toEqual([20_000]);
    // Every schedule is stretched by the same lag: they take turns.
    await vi.advanceTimersByTimeAsync(380_000);
    expect(a.times().length + b.times().length).toBe(40);
    expect(Math.abs(a.times().length - b.times().length)).toBeLessThanOrEqual(1);
  });

  it("with priority 'relative', the most overdue relative to its own interval, none starving", async () => {
    const { a, b } = await contest('relative');
    // At 10 s, A is 2 s late on 8 s (0.25), B 0.5 s late on 1 s (0.5): B goes first.
    expect(b.times()).toEqual([10_000]);
    expect(a.times()).toEqual([]);
    // Both are slowed down in proportion to their own schedule: B is served about 8× as often, and A gets its
    // turn once it is as late, in its own intervals, as B is at each token (9 intervals).
    await vi.advanceTimersByTimeAsync(390_000);
    expect(a.times()[0]).toBe(80_000);
    const ratio = b.times().length / a.times().length;
    expect(ratio).toBeGreaterThan(6);
    expect(ratio).toBeLessThan(10);
    expect(a.times().length + b.times().length).toBe(40);
  });

  it('when short, serves a nudged watch before every other due watch', async () => {
    const budget = createPollBudget({ rpm: 6, burst: 1 });
    const x = watchWith(budget, ['in_progress'], every(3_600_000, { immediate: true }));
    const waiting = Array.from({ length: 5 }, () => watchWith(budget, ['in_progress'], every(1000)));
    const nudged = watchWith(budget, ['in_progress'], every(1000));
    await vi.advanceTimersByTimeAsync(5000);
    expect(x.times()).toEqual([0]);
    nudged.nudge.next(); // due again at 6 s, behind five watches due since 1 s
    await vi.advanceTimersByTimeAsync(5000);
    expect(nudged.times()).toEqual([10_000]);
    expect(waiting.flatMap((w) => w.times())).toEqual([]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(waiting[0]!.times()).toEqual([20_000]);
  });
});

describe('budget source: rate-limit signals from the server', () => {
  it('on a 429, holds every watch for its retry-after, then retries the one that failed', async () => {
    const budget = createPollBudget({ rpm: 6000 });
    const first = watchWith(
      budget,
      [{ error: apiError(429, { 'retry-after': '5' }) }, 'in_progress'],
      every(1000),
    );
    const others = [
      watchWith(budget, ['in_progress'], every(1000)),
      watchWith(budget, ['in_progress'], every(1000)),
    ];
    await vi.advanceTimersByTimeAsync(10_500);
    // All three went at 1 s; the 429 stopped everyone until 6 s.
    expect(first.times()).toEqual([1000, 6000, 7000, 8000, 9000, 10_000]);
    for (const w of others) expect(w.times()).toEqual([1000, 6000, 7000, 8000, 9000, 10_000]);
    expect(first.rec.error).toBeUndefined();
    expect(first.meter.count).toBe(6);
    expect(budget.stats().rateLimited).toBe(1);
  });

  it('a 429 without retry-after holds everyone for 1 s', async () => {
    const budget = createPollBudget({ rpm: 6000 });
    const w = watchWith(budget, [{ error: apiError(429) }, 'in_progress'], every(500));
    const other = watchWith(budget, ['in_progress'], every(500, { immediate: true }));
    await vi.advanceTimersByTimeAsync(1900);
    // The 429 at 500 ms blocks until 1.5 s.
    expect(w.times()).toEqual([500, 1500]);
    expect(other.times()).toEqual([0, 500, 1500]);
  });

  it('follows x-ratelimit-limit-requests below the configured rpm', async () => {
    const budget = createPollBudget({ rpm: 6000 });
    const headers = { 'x-ratelimit-limit-requests': '60', 'x-ratelimit-remaining-requests': '0' };
    const watches = Array.from({ length: 5 }, () =>
      watchWith(budget, [{ status: 'in_progress', headers }], every(100)),
    );
    await vi.advanceTimersByTimeAsync(10_050);
    expect(budget.stats().rpm).toBe(60);
    const all = watches.flatMap((w) => w.times()).sort((a, b) => a - b);
    // Five at 100 ms (the burst), then remaining 0 less four in flight: the bucket is 4 in debt, refilled at 1/s.
    expect(all.slice(0, 5)).toEqual([100, 100, 100, 100, 100]);
    const after = all.slice(5);
    expect(after[0]).toBeGreaterThanOrEqual(100 + 5000);
    for (let i = 1; i < after.length; i++) expect(after[i]! - after[i - 1]!).toBeGreaterThanOrEqual(1000);
  });

  it('caps its tokens at x-ratelimit-remaining-requests, and reads the refill rate from the reset duration', async () => {
    const budget = createPollBudget({ rpm: 6000, burst: 100 });
    // The server says: 590 of 600 left, full again in 10 s: it refills 10 requests in 10 s, one a second.
    const headers = {
      'x-ratelimit-limit-requests': '600',
      'x-ratelimit-remaining-requests': '590',
      'x-ratelimit-reset-requests': '10s',
    };
    const watches = Array.from({ length: 10 }, () =>
      watchWith(budget, [{ status: 'in_progress', headers }], every(1000)),
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(watches.every((w) => w.times().length === 1)).toBe(true);
    expect(budget.stats().rpm).toBeCloseTo(60, 6);
    // 100 − 10 taken at 1 s: 90 left, below the 590 the server allows.
    expect(budget.stats().tokens).toBe(90);

    const low = createPollBudget({ rpm: 6000, burst: 100 });
    const few = { ...headers, 'x-ratelimit-remaining-requests': '3', 'x-ratelimit-reset-requests': '1m0s' };
    watchWith(low, [{ status: 'in_progress', headers: few }], every(1000, { immediate: true }));
    // A new watch spends once its subscriber lets go of the event loop.
    expect(low.stats().tokens).toBe(100);
    await vi.advanceTimersByTimeAsync(0);
    expect(low.stats().tokens).toBe(3);
  });

  it('an answer without headers changes nothing', async () => {
    const budget = createPollBudget({ rpm: 600 });
    watchWith(budget, ['in_progress'], every(1000));
    await vi.advanceTimersByTimeAsync(1000);
    expect(budget.stats()).toMatchObject({ rpm: 600, requests: 1 });
  });
});

describe('budget source: errors, as poll() types them', () => {
  it('fails fast with NotFoundError on a 404 and forgets the watch', async () => {
    const budget = createPollBudget({ rpm: 600 });
    const w = watchWith(budget, [{ error: apiError(404) }], every(500));
    await vi.advanceTimersByTimeAsync(600);
    expect(w.rec.error).toBeInstanceOf(NotFoundError);
    expect(budget.stats().watches).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('retries 5xx with the retry backoff, and errors with RetriesExhaustedError after maxRetries', async () => {
    const budget = createPollBudget({ rpm: 600 });
    const w = watchWith(budget, [{ error: apiError(503) }], every(500, { maxRetries: 2 }));
    await vi.advanceTimersByTimeAsync(10_000);
    // 500, then retries after 1 s and 2 s.
    expect(w.times()).toEqual([500, 1500, 3500]);
    expect(w.rec.error).toBeInstanceOf(RetriesExhaustedError);
    expect(w.meter.count).toBe(3);
    expect(budget.stats().rateLimited).toBe(0);
  });

  it('treats an adapter that throws synchronously like a failed request', async () => {
    const budget = createPollBudget({ rpm: 600 });
    const t = testSourceContext(['in_progress']);
    t.ctx.adapter.retrieve = () => {
      throw new Error('boom');
    };
    const rec = record(budget.poll(every(500, { maxRetries: 1 })), t.ctx);
    await vi.advanceTimersByTimeAsync(5000);
    expect(rec.error).toBeInstanceOf(RetriesExhaustedError);
    expect(t.meter.count).toBe(2);
    expect(budget.stats()).toMatchObject({ watches: 0, inFlight: 0 });
  });
});

describe('budget source: nudges, deadlines, stopping', () => {
  it('a nudge restarts the schedule and drops the request in flight', async () => {
    const budget = createPollBudget({ rpm: 600 });
    const w = watchWith(budget, [{ status: 'in_progress', latencyMs: 300 }, 'completed'], every(500));
    await vi.advanceTimersByTimeAsync(600);
    expect(w.calls).toHaveLength(1);
    w.nudge.next();
    // Its answer (in_progress, at 800) reaches no one.
    expect(w.calls[0]?.signal).toBeUndefined();
    expect(budget.stats().inFlight).toBe(0);
    await vi.advanceTimersByTimeAsync(500);
    expect(w.times()).toEqual([500, 1100]);
    expect(w.rec.events.map((e) => e.status)).toEqual(['completed']);
  });

  it('never polls at or past the deadline, and completes when it comes', async () => {
    const budget = createPollBudget({ rpm: 600 });
    const w = watchWith(budget, ['in_progress'], every(1000), { deadline: 2500 });
    await vi.advanceTimersByTimeAsync(5000);
    expect(w.times()).toEqual([1000, 2000]);
    expect(w.rec.completedAt).toBe(2500);
  });

  it('a watch waiting for a token still completes at its deadline', async () => {
    const budget = createPollBudget({ rpm: 1, burst: 1 });
    const hog = watchWith(budget, ['in_progress'], every(3_600_000, { immediate: true }));
    const w = watchWith(budget, ['in_progress'], every(1000), { deadline: 5000 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(hog.times()).toEqual([0]);
    expect(w.times()).toEqual([]);
    expect(w.rec.completedAt).toBe(5000);
    expect(budget.stats()).toMatchObject({ watches: 1, due: 0 });
  });

  it('completes at once when the deadline has passed or the signal aborted', async () => {
    const budget = createPollBudget({ rpm: 600 });
    vi.setSystemTime(6000);
    const late = watchWith(budget, ['in_progress'], {}, { deadline: 5000 });
    expect(late.rec.completedAt).toBe(6000);
    const t = testSourceContext(['in_progress']);
    t.stop.abort();
    const rec = record(budget.poll(), t.ctx);
    expect(rec.completedAt).toBe(6000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(late.calls.length + t.calls.length).toBe(0);
  });

  it('unsubscribing drops the request in flight, frees its place and leaves no timer or listener', async () => {
    const budget = createPollBudget({ rpm: 600 });
    const w = watchWith(budget, ['hang'], every(500));
    await vi.advanceTimersByTimeAsync(600);
    expect(budget.stats()).toMatchObject({ inFlight: 1, watches: 1 });
    w.rec.subscription.unsubscribe();
    expect(budget.stats()).toMatchObject({ inFlight: 0, watches: 0 });
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(w.stop.signal, 'abort')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(w.calls).toHaveLength(1);
  });

  it('when the signal aborts, completes quietly and drops the request in flight', async () => {
    const budget = createPollBudget({ rpm: 600 });
    const w = watchWith(budget, ['hang'], every(500));
    await vi.advanceTimersByTimeAsync(600);
    w.stop.abort();
    expect(w.rec.error).toBeUndefined();
    expect(w.rec.completedAt).toBe(600);
    expect(budget.stats()).toMatchObject({ inFlight: 0, watches: 0 });
  });

  it('a watch leaving does not disturb the others', async () => {
    const budget = createPollBudget({ rpm: 600 });
    const a = watchWith(budget, ['in_progress'], every(1000));
    const b = watchWith(budget, ['in_progress'], every(700));
    await vi.advanceTimersByTimeAsync(1500);
    a.rec.subscription.unsubscribe();
    await vi.advanceTimersByTimeAsync(1500);
    expect(a.times()).toEqual([1000]);
    expect(b.times()).toEqual([700, 1400, 2100, 2800]);
  });
});
