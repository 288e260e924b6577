import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../../src/errors/index.js';
import type { JobRef, Source, SourceContext } from '../../src/model/types.js';
import { backoffSchedule, DEFAULT_POLL_BACKOFF } from '../../src/sources/backoff.js';
import { createPollBudget } from '../../src/sources/budget.js';
import { poll } from '../../src/sources/poll.js';
import { DEFAULT_POLL_SCHEDULES, scheduleDelay } from '../../src/sources/poll-schedule.js';
import { record, seededRandom, testSourceContext } from '../helpers/source-context.js';

// Virtual time: vitest's fake timers drive asyncScheduler's timers and clock (Date.now).
beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

const batch: JobRef = { kind: 'batch', id: 'batch_1' };
const noRandom = () => {
  throw new Error('a schedule without jitter draws nothing');
};

/** A watch of a job that stays in progress, created `ageAtStartMs` before the watch began (its `created_at`). */
function watch(source: Source, job: JobRef, ageAtStartMs = 0) {
  const t = testSourceContext(['in_progress'], { job });
  const createdAt = Math.floor((Date.now() - ageAtStartMs) / 1000);
  const retrieve = t.ctx.adapter.retrieve;
  t.ctx.adapter = {
    ...t.ctx.adapter,
    retrieve: async (...args: Parameters<typeof retrieve>) => {
      const answer = await retrieve(...args);
      return { ...answer, job: { ...answer.job, created_at: createdAt } };
    },
  } as SourceContext['adapter'];
  const start = Date.now();
  const rec = record(source, t.ctx);
  return { ...t, rec, ages: () => t.calls.map((c) => c.at - start + ageAtStartMs) };
}

/** The poll times the batch default should give from a job's creation: 10 s steps, then 15% of the age. */
function expectedBatchTimes(until: number): number[] {
  const times: number[] = [];
  for (let t = 0; ; ) {
    t += Math.max(10_000, Math.min(30 * 60_000, Math.ceil(0.15 * t)));
    if (t > until) return times;
    times.push(t);
  }
}

describe('scheduleDelay()', () => {
  it("grows a batch's delay with its age: a floor of 10 s, 15% of the age, a cap of 30 min", () => {
    const schedule = DEFAULT_POLL_SCHEDULES.batch;
    expect(scheduleDelay(schedule, 0, 0, noRandom)).toBe(10_000);
    expect(scheduleDelay(schedule, 3, 40_000, noRandom)).toBe(10_000);
    expect(scheduleDelay(schedule, 9, 600_000, noRandom)).toBe(90_000);
    expect(scheduleDelay(schedule, 40, 4 * 3600_000, noRandom)).toBe(30 * 60_000);
  });

  it("keeps a response's backoff for its first 167 s, then 3% of its age up to 1 min", () => {
    const schedule = DEFAULT_POLL_SCHEDULES.response;
    expect(schedule.backoff).toEqual(DEFAULT_POLL_BACKOFF);
    for (const [attempt, age] of [
      [0, 0],
      [3, 3000],
      [25, 160_000],
    ] as const) {
      expect(scheduleDelay(schedule, attempt, age, noRandom)).toBe(
        Math.ceil(Math.min(5000, 500 * 1.5 ** attempt)),
      );
    }
    expect(scheduleDelay(schedule, 60, 300_000, noRandom)).toBe(9000);
    expect(scheduleDelay(schedule, 99, 3600_000, noRandom)).toBe(60_000);
  });

  it('uses the backoff alone right after a nudge, and draws jitter once as the backoff does', () => {
    expect(scheduleDelay(DEFAULT_POLL_SCHEDULES.response, 0, 600_000, noRandom, true)).toBe(500);
    expect(scheduleDelay(DEFAULT_POLL_SCHEDULES.response, 1, 600_000, noRandom, true)).toBe(18_000);
    const draws: number[] = [];
    const random = () => {
      draws.push(0.5);
      return 0.5;
    };
    const { schedules } = poll({ jitter: 'full', growth: { share: 0.1, maxDelayMs: 60_000 } });
    expect(scheduleDelay(schedules.batch, 0, 0, random)).toBe(300); // 100 + 0.5 · (500 − 100)
    expect(scheduleDelay(schedules.batch, 0, 100_000, random)).toBe(10_000);
    expect(draws).toHaveLength(2);
  });
});

describe('poll() defaults by kind', () => {
  it('chooses the schedule by kind without options, and one schedule for all kinds with any', () => {
    expect(poll().schedules).toBe(DEFAULT_POLL_SCHEDULES);
    expect(poll({ maxRetries: 3 }).schedules).toBe(DEFAULT_POLL_SCHEDULES);
    const one = poll({ initialDelayMs: 1000 }).schedules;
    expect(one.batch).toEqual(one.response);
    expect(one.batch.growth).toBeUndefined();
    expect(one.batch.backoff.initialDelayMs).toBe(1000);
    const custom = poll({ schedules: { batch: { initialDelayMs: 60_000, maxDelayMs: 60_000 } } }).schedules;
    expect(custom.batch.backoff.initialDelayMs).toBe(60_000);
    expect(custom.response).toBe(DEFAULT_POLL_SCHEDULES.response);
    expect(() => poll({ initialDelayMs: 1000, schedules: {} })).toThrow(ConfigurationError);
    expect(() => poll({ growth: { share: 0, maxDelayMs: 1000 } })).toThrow(/growth.share/);
    expect(() => poll({ growth: { share: 0.1, maxDelayMs: -1 } })).toThrow(/growth.maxDelayMs/);
    expect(() => poll({ schedules: { batch: { factor: 0.5 } } })).toThrow(/batch/);
  });

  it('polls a new batch every 10 s, then at 15% of its age: 27 retrieves for a 20-minute batch', async () => {
    const w = watch(poll(), batch);
    await vi.advanceTimersByTimeAsync(20 * 60_000);
    const ages = w.ages();
    expect(ages).toEqual(expectedBatchTimes(20 * 60_000));
    expect(ages.slice(0, 7)).toEqual([10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000]);
    expect(ages).toHaveLength(27);
    // Seen within 15% of its age at every poll after the first minute.
    for (let i = 7; i < ages.length; i++) {
      expect(ages[i]! - ages[i - 1]!).toBeLessThanOrEqual(Math.ceil(0.15 * ages[i - 1]!));
    }
  });

  it("times a batch's growth from its created_at, not from the start of the watch", async () => {
    const w = watch(poll(), batch, 2 * 3600_000);
    await vi.advanceTimersByTimeAsync(40 * 60_000);
    // First look after the floor (the age is unknown until then), then 15% of about 2 h (the created_at second's
    // middle is the estimate: 500 ms younger).
    const first = 2 * 3600_000 + 10_000;
    const second = first + Math.ceil(0.15 * (first - 500));
    expect(w.ages()).toEqual([first, second, second + Math.ceil(0.15 * (second - 500))]);
  });

  it('polls a response exactly as before for 167 s, then slows down with its age', async () => {
    const w = watch(poll(), { kind: 'response', id: 'resp_1' });
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    const ages = w.ages();
    const before = backoffSchedule(DEFAULT_POLL_BACKOFF, { random: seededRandom(1), until: 167_000 });
    expect(ages.slice(0, before.length)).toEqual(before);
    const gaps = ages.slice(before.length).map((t, i) => t - (ages[before.length + i - 1] as number));
    expect(gaps.every((gap, i) => gap >= 5000 && (i === 0 || gap >= (gaps[i - 1] as number)))).toBe(true);
    expect(gaps.at(-1)).toBeGreaterThan(15_000); // 3% of about 10 minutes
    expect(ages.length - before.length).toBe(43); // ln(600 / 167) / ln(1.03); 5 s polls would take 87
  });

  it('restarts at the backoff after a nudge, then goes back to the growth', async () => {
    const w = watch(poll(), batch);
    await vi.advanceTimersByTimeAsync(600_000);
    const seen = w.calls.length;
    w.nudge.next();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(w.calls).toHaveLength(seen + 1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(w.calls).toHaveLength(seen + 1); // 15% of 10 min: 91.5 s
  });

  it('gives a budgeted watch the same schedule (budget.poll())', async () => {
    const budget = createPollBudget({ rpm: 6000 });
    const w = watch(budget.poll(), batch);
    await vi.advanceTimersByTimeAsync(20 * 60_000);
    expect(w.ages()).toEqual(expectedBatchTimes(20 * 60_000));
  });
});
