import { getEventListeners } from 'node:events';
import { APIConnectionError } from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AuthenticationError,
  BadRequestError,
  ConfigurationError,
  NotFoundError,
  RetriesExhaustedError,
} from '../../src/errors/index.js';
import { JOB_KINDS } from '../../src/kinds/registry.js';
import type { SourceContext } from '../../src/model/types.js';
import { backoffSchedule, resolveBackoff } from '../../src/sources/backoff.js';
import { isOrderedSource } from '../../src/sources/ordered-source.js';
import { DEFAULT_MAX_RETRIES, DEFAULT_RETRY_BACKOFF, isPlainPoll, poll } from '../../src/sources/poll.js';
import {
  apiError,
  type Reply,
  record,
  seededRandom,
  stopRecordings,
  testSourceContext,
} from '../helpers/source-context.js';

// Virtual time: vitest's fake timers drive asyncScheduler's timers and clock (Date.now), and
// advanceTimersByTimeAsync lets the fake adapter's promises settle between timers.
beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  stopRecordings();
  vi.useRealTimers();
});

/** Deterministic: no jitter on either schedule. Polls at 500, 1250, 2375, 4063...; retries wait 1 s, 2 s, 4 s. */
const steady = { jitter: 'none', retryBackoff: { jitter: 'none' } } as const;

function watch(script: readonly Reply[], options = {}, overrides: Partial<SourceContext> = {}) {
  const t = testSourceContext(script, overrides);
  const rec = record(poll({ ...steady, ...options }), t.ctx);
  return { ...t, rec, times: () => t.calls.map((c) => c.at) };
}

describe('poll()', () => {
  it("has the seed's schedule without jitter by default, and validates its options", () => {
    const source = poll();
    expect(source.name).toBe('poll');
    expect(source.policy).toEqual(
      resolveBackoff({ initialDelayMs: 500, factor: 1.5, maxDelayMs: 5000, jitter: 'none' }),
    );
    expect(source.retryPolicy).toEqual(DEFAULT_RETRY_BACKOFF);
    expect(source.maxRetries).toBe(DEFAULT_MAX_RETRIES);
    expect(source.immediate).toBe(false);
    expect(() => poll({ maxRetries: -1 })).toThrow(ConfigurationError);
    expect(() => poll({ maxRetries: 1.5 })).toThrow(ConfigurationError);
    expect(() => poll({ initialDelayMs: -1 })).toThrow(ConfigurationError);
    expect(() => poll({ retryBackoff: { factor: 0 } })).toThrow(/retryBackoff/);
    expect(poll({ maxRetries: Number.POSITIVE_INFINITY }).maxRetries).toBe(Number.POSITIVE_INFINITY);
  });

  it('shares one resolved schedule between calls with the same values, never between different ones', () => {
    const options: { initialDelayMs: number; growth?: { share: number; maxDelayMs: number } } = {
      initialDelayMs: 1000,
    };
    const first = poll(options);
    // Equal values in another object: the same record (a fleet of poll(options), one per watch, keeps one).
    expect(poll({ initialDelayMs: 1000 }).schedules).toBe(first.schedules);
    // The values are compared, not the object: changed in place, they give their own schedule.
    options.initialDelayMs = 2000;
    const second = poll(options);
    expect(second.schedules).not.toBe(first.schedules);
    expect(second.policy.initialDelayMs).toBe(2000);
    expect(first.policy.initialDelayMs).toBe(1000);
    options.growth = { share: 0.1, maxDelayMs: 60_000 };
    expect(poll(options).schedules.batch.growth).toEqual({ share: 0.1, maxDelayMs: 60_000 });
    options.growth = { share: 0.2, maxDelayMs: 60_000 };
    expect(poll(options).schedules.batch.growth).toEqual({ share: 0.2, maxDelayMs: 60_000 });
    delete options.growth;
    expect(poll(options).schedules.batch.growth).toBeUndefined();
    // The default retry policy and the kinds' defaults are shared as they are.
    expect(poll().retryPolicy).toBe(DEFAULT_RETRY_BACKOFF);
    expect(poll().kindDefaults).toBe(poll().kindDefaults);
    expect(poll().kindDefaults).toEqual(Object.fromEntries(JOB_KINDS.map((kind) => [kind, 'poll'])));
    expect(poll({ initialDelayMs: 1000 }).kindDefaults).toEqual({});
  });

  it('marks a poll as made, and not a copy of it (which is a source of its own)', () => {
    const source = poll();
    expect(isPlainPoll(source)).toBe(true);
    expect(isOrderedSource(source)).toBe(true);
    const copy = { ...source };
    expect(isPlainPoll(copy)).toBe(false);
    expect(isOrderedSource(copy)).toBe(false);
    expect(Object.keys(copy).sort()).toEqual(Object.keys(source).sort());
  });

  it('is cold: nothing is requested before subscription', async () => {
    const t = testSourceContext(['in_progress']);
    poll().watch(t.ctx);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.calls).toHaveLength(0);
  });
});

describe('poll source: schedule', () => {
  it('retrieves first after the initial delay, and emits a status event stamped with the response time', async () => {
    const { rec, times, meter } = watch([{ status: 'queued', latencyMs: 40 }]);
    await vi.advanceTimersByTimeAsync(499);
    expect(times()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(times()).toEqual([500]);
    expect(meter.count).toBe(1);
    await vi.advanceTimersByTimeAsync(40);
    expect(rec.events).toEqual([
      {
        type: 'status',
        state: 'queued',
        status: 'queued',
        job: { id: 'resp_1', status: 'queued' },
        at: 540,
        source: 'poll',
        expiresAt: null,
        toolCalls: [],
      },
    ]);
  });

  it('measures each delay from the previous response', async () => {
    const { times } = watch([{ status: 'in_progress', latencyMs: 100 }]);
    await vi.advanceTimersByTimeAsync(3000);
    expect(times()).toEqual([500, 1350, 2575]);
  });

  it('polls exactly when backoffSchedule says, for the same random source (full jitter)', async () => {
    const t = testSourceContext(['in_progress'], { random: seededRandom(42), deadline: 60_000 });
    const source = poll();
    const rec = record(source, t.ctx);
    await vi.advanceTimersByTimeAsync(61_000);
    const expected = backoffSchedule(source.policy, { random: seededRandom(42), start: 0, until: 60_000 });
    expect(t.calls.map((c) => c.at)).toEqual(expected);
    expect(t.meter.count).toBe(expected.length);
    expect(rec.events).toHaveLength(expected.length);
    expect(rec.completedAt).toBe(60_000);
    // Full jitter keeps each gap between the floor and the capped base.
    for (const [i, at] of expected.entries()) {
      const gap = at - (expected[i - 1] ?? 0);
      expect(gap).toBeGreaterThanOrEqual(100);
      expect(gap).toBeLessThanOrEqual(5000);
    }
  });

  it('with `immediate`, also retrieves at subscription, like the seed', async () => {
    const t = testSourceContext(['in_progress'], { random: seededRandom(3), deadline: 20_000 });
    const source = poll({ immediate: true, jitter: 'equal' });
    record(source, t.ctx);
    expect(t.calls.map((c) => c.at)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(20_000);
    const expected = backoffSchedule(source.policy, {
      random: seededRandom(3),
      until: 20_000,
      immediate: true,
    });
    expect(t.calls.map((c) => c.at)).toEqual(expected);
  });

  it('emits every observation, repeats included (the machine dedupes)', async () => {
    const { rec } = watch(['queued', 'queued', 'in_progress', 'in_progress']);
    await vi.advanceTimersByTimeAsync(4063);
    expect(rec.events.map((e) => e.status)).toEqual(['queued', 'queued', 'in_progress', 'in_progress']);
  });

  it('treats openai-poll-after-ms as a lower bound for the next delay only', async () => {
    const { times } = watch([
      { status: 'in_progress', headers: { 'openai-poll-after-ms': '3000' } },
      { status: 'in_progress', headers: { 'openai-poll-after-ms': '10' } },
      'in_progress',
    ]);
    await vi.advanceTimersByTimeAsync(7000);
    // 500, then max(750, 3000), then max(1125, 10), then 1688.
    expect(times()).toEqual([500, 3500, 4625, 6313]);
  });

  it('keeps polling an unknown status with the normal backoff, never in a tight loop', async () => {
    const { rec, times } = watch(['brand_new_status']);
    await vi.advanceTimersByTimeAsync(5000);
    expect(times()).toEqual([500, 1250, 2375, 4063]);
    expect(rec.events.every((e) => e.state === undefined && e.status === 'brand_new_status')).toBe(true);
    expect(rec.completedAt).toBeUndefined();
  });

  it('keeps polling through requires_action', async () => {
    const { rec, times } = watch(['requires_action']);
    await vi.advanceTimersByTimeAsync(2500);
    expect(times()).toEqual([500, 1250, 2375]);
    expect(rec.events.map((e) => e.state)).toEqual(['requires_action', 'requires_action', 'requires_action']);
  });

  it.each(['completed', 'failed', 'cancelled', 'expired', 'incomplete'])(
    'completes after a %s event and stops polling',
    async (terminal) => {
      const { rec, times } = watch(['queued', 'in_progress', terminal]);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(times()).toEqual([500, 1250, 2375]);
      expect(rec.events.map((e) => e.status)).toEqual(['queued', 'in_progress', terminal]);
      expect(rec.completedAt).toBe(2375);
      expect(rec.error).toBeUndefined();
    },
  );
});

describe('poll source: failures', () => {
  it('retries 429 ×3 with the retry backoff, then goes on; every attempt is counted', async () => {
    const limited = { error: apiError(429) };
    const { rec, times, meter } = watch([limited, limited, limited, 'in_progress', 'completed']);
    await vi.advanceTimersByTimeAsync(60_000);
    // Retries wait 1 s, 2 s, 4 s; after the success the poll schedule goes on from attempt 1 (750 ms).
    expect(times()).toEqual([500, 1500, 3500, 7500, 8250]);
    expect(meter.count).toBe(5);
    expect(rec.events.map((e) => e.status)).toEqual(['in_progress', 'completed']);
    expect(rec.error).toBeUndefined();
  });

  it('honours retry-after and retry-after-ms on a failure as lower bounds', async () => {
    const { times } = watch([
      { error: apiError(429, { 'retry-after': '5' }) },
      { error: apiError(503, { 'retry-after-ms': '1500' }) },
      { error: apiError(429, { 'retry-after-ms': '10' }) },
      'completed',
    ]);
    await vi.advanceTimersByTimeAsync(60_000);
    // max(1000, 5000), max(2000, 1500), max(4000, 10).
    expect(times()).toEqual([500, 5500, 7500, 11_500]);
  });

  it('retries 5xx, 408, 409 and network errors', async () => {
    const { rec, times } = watch([
      { error: apiError(500) },
      { error: apiError(502) },
      { error: apiError(408) },
      { error: apiError(409) },
      { error: new APIConnectionError({ message: 'socket hang up' }) },
      'completed',
    ]);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(times()).toEqual([500, 1500, 3500, 7500, 15_500, 31_500]);
    expect(rec.events.map((e) => e.status)).toEqual(['completed']);
    expect(rec.error).toBeUndefined();
  });

  it('errors with RetriesExhaustedError after maxRetries retries in a row fail', async () => {
    const { rec, times, meter } = watch([{ error: apiError(503) }], { maxRetries: 2 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(times()).toEqual([500, 1500, 3500]);
    expect(meter.count).toBe(3);
    expect(rec.error).toBeInstanceOf(RetriesExhaustedError);
    const error = rec.error as RetriesExhaustedError;
    expect(error.code).toBe('retries_exhausted');
    expect(error.attempts).toBe(3);
    expect(error.status).toBe(503);
    expect(error.job).toEqual({ kind: 'response', id: 'resp_1' });
    expect(error.message).toMatch(/response resp_1: 3 requests in a row failed \(last: HTTP 503\)/);
  });

  it('with maxRetries: 0, gives up on the first transient failure', async () => {
    const { rec, times } = watch([{ error: apiError(429) }], { maxRetries: 0 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(times()).toEqual([500]);
    expect(rec.error).toBeInstanceOf(RetriesExhaustedError);
  });

  it('resets the count of consecutive failures after a success', async () => {
    const e = { error: apiError(503) };
    const { rec, meter } = watch([e, e, 'in_progress', e, e, 'in_progress', e, e, 'completed'], {
      maxRetries: 2,
    });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(rec.error).toBeUndefined();
    expect(meter.count).toBe(9);
    expect(rec.events.map((ev) => ev.status)).toEqual(['in_progress', 'in_progress', 'completed']);
  });

  it('treats an adapter that throws synchronously like a failed request', async () => {
    const t = testSourceContext(() => {
      throw new TypeError('adapter bug');
    });
    const rec = record(poll({ ...steady, maxRetries: 0 }), t.ctx);
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.meter.count).toBe(1);
    expect(rec.error).toBeInstanceOf(RetriesExhaustedError);
    expect((rec.error as Error).cause).toBeInstanceOf(TypeError);
    expect(getEventListeners(t.stop.signal, 'abort')).toHaveLength(0);
  });

  it.each([
    [404, NotFoundError, 'not_found'],
    [401, AuthenticationError, 'authentication'],
    [403, AuthenticationError, 'permission_denied'],
    [400, BadRequestError, 'bad_request'],
    [422, BadRequestError, 'bad_request'],
  ] as const)('fails fast on %i with %O', async (status, ErrorClass, code) => {
    const { rec, times } = watch([{ error: apiError(status) }, 'completed']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(times()).toEqual([500]);
    expect(rec.error).toBeInstanceOf(ErrorClass);
    expect(rec.error).toMatchObject({ code, status, job: { kind: 'response', id: 'resp_1' } });
    expect(rec.events).toEqual([]);
  });
});

describe('poll source: deadline', () => {
  it('never polls at or past the deadline, and completes when it comes', async () => {
    const { rec, times } = watch(['in_progress'], {}, { deadline: 3000 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(times()).toEqual([500, 1250, 2375]);
    expect(rec.completedAt).toBe(3000);
    expect(rec.error).toBeUndefined();
  });

  it('completes at once when the deadline has already passed', async () => {
    vi.setSystemTime(10_000);
    const { rec, times } = watch(['in_progress'], {}, { deadline: 5000 });
    expect(rec.completedAt).toBe(10_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(times()).toEqual([]);
  });

  it('clips a server hint and a retry wait to the deadline, without an error', async () => {
    const { rec, times } = watch(
      [{ error: apiError(429, { 'retry-after': '3600' }) }],
      {},
      { deadline: 10_000 },
    );
    await vi.advanceTimersByTimeAsync(60_000);
    expect(times()).toEqual([500]);
    expect(rec.completedAt).toBe(10_000);
    expect(rec.error).toBeUndefined();
  });
});

describe('poll source: nudges', () => {
  it('restarts the schedule from the initial delay', async () => {
    const { nudge, times } = watch(['in_progress']);
    await vi.advanceTimersByTimeAsync(1300);
    expect(times()).toEqual([500, 1250]);
    nudge.next();
    await vi.advanceTimersByTimeAsync(1250); // to t = 2550
    // Not 2375: the pending timer was dropped; 1300 + 500, then + 750.
    expect(times()).toEqual([500, 1250, 1800, 2550]);
  });

  it('drops a request in flight (its late answer reaches no one) and polls again after the initial delay', async () => {
    const { nudge, calls, rec } = watch([{ status: 'in_progress', latencyMs: 300 }, 'completed']);
    await vi.advanceTimersByTimeAsync(600);
    expect(calls).toHaveLength(1);
    nudge.next();
    // Sent without a signal (src/sources/poll-request.ts says why): it is answered at 800, after the nudge.
    expect(calls[0]?.signal).toBeUndefined();
    await vi.advanceTimersByTimeAsync(500);
    expect(calls.map((c) => c.at)).toEqual([500, 1100]);
    expect(rec.events.map((e) => e.status)).toEqual(['completed']);
    expect(rec.error).toBeUndefined();
  });
});

describe('poll source: stopping', () => {
  it('unsubscribing drops the request in flight and stops the timers', async () => {
    const { rec, calls, meter } = watch(['hang']);
    await vi.advanceTimersByTimeAsync(600);
    expect(calls).toHaveLength(1);
    rec.subscription.unsubscribe();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(1);
    expect(meter.count).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an answer that comes after unsubscribing reaches no one', async () => {
    const { rec, calls } = watch([{ status: 'completed', latencyMs: 300 }]);
    await vi.advanceTimersByTimeAsync(600);
    expect(calls).toHaveLength(1);
    rec.subscription.unsubscribe();
    await vi.advanceTimersByTimeAsync(1000);
    expect(rec.events).toEqual([]);
    expect(rec.error).toBeUndefined();
    expect(rec.completedAt).toBeUndefined();
  });

  it('unsubscribing between polls leaves no timer behind', async () => {
    const { rec, calls } = watch(['in_progress']);
    await vi.advanceTimersByTimeAsync(700);
    rec.subscription.unsubscribe();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(1);
  });

  it('when ctx.signal aborts, completes quietly and drops the request in flight', async () => {
    const { rec, calls, stop } = watch(['hang']);
    await vi.advanceTimersByTimeAsync(600);
    stop.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(rec.error).toBeUndefined();
    expect(rec.completedAt).toBe(600);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(1);
  });

  it("leaves no listener on the watch's signal, request after request", async () => {
    const { rec, stop, calls } = watch(['in_progress']);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls.length).toBeGreaterThan(5);
    // Only the source's own "stop on abort" listener remains.
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
    rec.subscription.unsubscribe();
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('does nothing when ctx.signal is already aborted', async () => {
    const t = testSourceContext(['in_progress']);
    t.stop.abort();
    const rec = record(poll(), t.ctx);
    expect(rec.completedAt).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.calls).toHaveLength(0);
  });
});
