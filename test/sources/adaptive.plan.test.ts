import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors/index.js';
import {
  allowedDelay,
  DEFAULT_DELAY_TARGET,
  type DurationSample,
  nextPollAt,
  type PollPlan,
  planPolls,
  resolveDelayTarget,
} from '../../src/sources/poll-plan.js';

/** Replays a plan on exact durations: retrieves per job, and the share of jobs seen off target. */
function replay(plan: PollPlan, durations: readonly number[]) {
  let calls = 0;
  let off = 0;
  for (const d of durations) {
    let age = 0;
    for (;;) {
      age = nextPollAt(plan, age);
      calls++;
      if (age >= d) break;
    }
    if (age - d > allowedDelay(plan.target, d)) off++;
  }
  return { calls: calls / durations.length, off: off / durations.length };
}

/** n durations evenly spread over [from, to] ms (deterministic quantiles of a uniform law). */
const spreadOver = (n: number, from: number, to: number) =>
  Array.from({ length: n }, (_, i) => Math.round(from + ((to - from) * (i + 0.5)) / n));

describe('resolveDelayTarget', () => {
  it('fills in the defaults: p95 within max(2 s, 10%)', () => {
    expect(resolveDelayTarget()).toEqual(DEFAULT_DELAY_TARGET);
    expect(resolveDelayTarget({ targetDelay: 0.2 })).toEqual({ ...DEFAULT_DELAY_TARGET, targetDelay: 0.2 });
    expect(allowedDelay(DEFAULT_DELAY_TARGET, 5000)).toBe(2000);
    expect(allowedDelay(DEFAULT_DELAY_TARGET, 60_000)).toBe(6000);
  });

  it.each([
    { targetDelayMs: -1 },
    { targetDelayMs: Number.NaN },
    { targetDelay: -0.1 },
    { targetDelay: Number.POSITIVE_INFINITY },
    { targetDelayMs: 0, targetDelay: 0 },
    { coverage: 0 },
    { coverage: 1.5 },
  ])('refuses %j', (bad) => {
    expect(() => resolveDelayTarget(bad)).toThrow(ConfigurationError);
    expect(() => planPolls([1000], bad)).toThrow(ConfigurationError);
  });

  it('refuses bad planner options and empty samples', () => {
    expect(() => planPolls([1000], { webhookLoss: 2 })).toThrow(/webhookLoss/);
    expect(() => planPolls([1000], { minGapMs: 0 })).toThrow(/minGapMs/);
    expect(() => planPolls([1000], { caution: -1 })).toThrow(/caution/);
    expect(() => planPolls([1000], { spread: 1.1 })).toThrow(/spread/);
    expect(() => planPolls([])).toThrow(/at least one/);
    expect(() => planPolls([Number.NaN, -5])).toThrow(/at least one/);
  });
});

describe('planPolls (the oracle)', () => {
  it('never polls before the shortest job ends, and keeps the coverage on its own samples', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 200, max: 120_000 }), { minLength: 1, maxLength: 60 }),
        fc.constantFrom(500, 2000, 5000),
        fc.constantFrom(0, 0.1, 0.5),
        fc.constantFrom(0.8, 0.95, 1),
        (durations, targetDelayMs, targetDelay, coverage) => {
          const plan = planPolls(durations, { targetDelayMs, targetDelay, coverage });
          const first = plan.times[0];
          if (first !== undefined) expect(first).toBeGreaterThanOrEqual(Math.min(...durations));
          for (let i = 1; i < plan.times.length; i++) {
            expect(plan.times[i]! - plan.times[i - 1]!).toBeGreaterThanOrEqual(100);
          }
          const { calls, off } = replay(plan, durations);
          expect(off).toBeLessThanOrEqual(1 - coverage + 1e-9);
          expect(calls).toBeCloseTo(plan.expectedCalls, 6);
        },
      ),
      { numRuns: 60, seed: 7 },
    );
  });

  it('polls every allowance where jobs end, after skipping what the budget allows', () => {
    // 1000 jobs spread over 10–30 s; 2 s allowance, no relative part: the first poll waits for 10 s, then a
    // poll every 2 s covers all but 5% of the jobs.
    const durations = spreadOver(1000, 10_000, 30_000);
    const plan = planPolls(durations, { targetDelayMs: 2000, targetDelay: 0 });
    const { calls, off } = replay(plan, durations);
    expect(plan.times[0]).toBeGreaterThanOrEqual(10_000);
    expect(off).toBeLessThanOrEqual(0.05);
    // A poll every 2 s from 12 s on, with no misses, would cost 1 + (D − 10 s) / 2 s on average: 6 retrieves.
    expect(calls).toBeLessThan(6);
    expect(calls).toBeGreaterThan(5);
  });

  it('grows the gaps with a relative target: log-many polls for long jobs', () => {
    // Batches of 1 min to 2 h (log-uniform), 20% relative target.
    const durations = Array.from({ length: 500 }, (_, i) => Math.round(60_000 * 120 ** ((i + 0.5) / 500)));
    const plan = planPolls(durations, { targetDelayMs: 1000, targetDelay: 0.2 });
    const { calls, off } = replay(plan, durations);
    expect(off).toBeLessThanOrEqual(0.05);
    // ln(120) / ln(1.2) ≈ 26 polls cover the whole range; the average job needs about half.
    expect(plan.times.length).toBeLessThanOrEqual(30);
    expect(calls).toBeLessThan(16);
    const gaps = plan.times.slice(1).map((t, i) => t - plan.times[i]!);
    expect(gaps.at(-1)!).toBeGreaterThan(10 * gaps[0]!);
  });

  it('poll less as a fallback beside webhooks: only lost webhooks pay for late polls', () => {
    const durations = spreadOver(500, 3000, 60_000);
    const alone = planPolls(durations, { targetDelayMs: 30_000, targetDelay: 1 });
    const fallback = planPolls(durations, { targetDelayMs: 30_000, targetDelay: 1, webhookLoss: 0.05 });
    expect(fallback.expectedCalls).toBeLessThan(alone.expectedCalls / 2);
  });

  it('reads intervals where other jobs say jobs end, except for the spread share', () => {
    // 90 jobs seen ending in (3 s, 4 s], 10 only known to end by 5 s (a late first poll).
    const samples: DurationSample[] = [
      ...Array.from({ length: 90 }, (): DurationSample => [3000, 4000]),
      ...Array.from({ length: 10 }, (): DurationSample => [0, 5000]),
    ];
    const trusting = planPolls(samples, { targetDelayMs: 200, targetDelay: 0, spread: 0 });
    const even = planPolls(samples, { targetDelayMs: 200, targetDelay: 0, spread: 1 });
    expect(trusting.times[0]).toBeGreaterThanOrEqual(3000);
    // Spread evenly, 6% of the jobs may end before 3 s: a first poll at 3 s would see 5.6% too late, more than
    // the 5% budget, so the plan looks earlier.
    expect(even.times[0]).toBeLessThan(3000);
    expect(even.expectedCalls).toBeGreaterThan(trusting.expectedCalls);
  });

  it('with caution, does not skip a stretch that few samples leave empty', () => {
    // Ten jobs at 10 s and ten at 60 s: without caution the plan skips everything in between; with it, 20 samples
    // cannot show that less than 1/40 of the jobs end there, more than the 1% budget.
    const durations = [...Array(10).fill(10_000), ...Array(10).fill(60_000)];
    const bold = planPolls(durations, { targetDelayMs: 2000, targetDelay: 0, coverage: 0.99 });
    const careful = planPolls(durations, { targetDelayMs: 2000, targetDelay: 0, coverage: 0.99, caution: 1 });
    expect(bold.times).toEqual([10_000, 60_000]);
    expect(careful.times.length).toBeGreaterThan(2);
  });

  it('plans 2000 samples quickly', () => {
    const durations = Array.from({ length: 2000 }, (_, i) => Math.round(1000 * 1.002 ** i));
    const started = performance.now();
    planPolls(durations);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('nextPollAt', () => {
  const plan: PollPlan = {
    times: [4000, 6000, 9000],
    target: resolveDelayTarget({ targetDelayMs: 2000, targetDelay: 0.1 }),
    minGapMs: 100,
    expectedCalls: 0,
    offTarget: 0,
  };

  it('returns the next planned time, then keeps any job ending now on target', () => {
    expect(nextPollAt(plan, 0)).toBe(4000);
    expect(nextPollAt(plan, 4000)).toBe(6000);
    // A poll a hair late does not repeat its slot.
    expect(nextPollAt(plan, 3999.5)).toBe(6000);
    expect(nextPollAt(plan, 6500)).toBe(9000);
    expect(nextPollAt(plan, 9000)).toBe(11_000);
    expect(nextPollAt(plan, 100_000)).toBe(110_000);
  });
});
