import { describe, expect, it } from 'vitest';
import { allowedDelay, type ResolvedDelayTarget } from '../../src/sources/delay-target.js';
import { empiricalCdf } from '../../src/sources/duration-distribution.js';
import { solvePlan } from '../../src/sources/poll-plan-solver.js';

const ABSOLUTE_2S: ResolvedDelayTarget = { targetDelayMs: 2000, targetDelay: 0, coverage: 1 };
const OPTIONS = { webhookLoss: 1, minGapMs: 100, caution: 0, samples: 0 };

/** Replays poll times on exact durations: retrieves per job and jobs seen off target (no polls past the plan). */
function replay(times: readonly number[], target: ResolvedDelayTarget, durations: readonly number[]) {
  let calls = 0;
  let off = 0;
  for (const d of durations) {
    const seen = times.find((t) => t >= d);
    calls += seen === undefined ? times.length : times.indexOf(seen) + 1;
    if (seen === undefined || seen - d > allowedDelay(target, d)) off++;
  }
  return { calls: calls / durations.length, off: off / durations.length };
}

describe('solvePlan', () => {
  it('polls once for jobs that all take the same time, within the allowance after it', () => {
    const durations = Array.from({ length: 20 }, () => 10_000);
    const plan = solvePlan(empiricalCdf(durations), ABSOLUTE_2S, { ...OPTIONS, samples: durations.length });
    expect(plan.times).toHaveLength(1);
    expect(plan.times[0]).toBeGreaterThanOrEqual(10_000);
    expect(plan.times[0]).toBeLessThanOrEqual(12_000);
    expect(plan.expectedCalls).toBeCloseTo(1, 9);
    expect(plan.offTarget).toBe(0);
  });

  it('reports the calls and the share off target that replaying its times gives', () => {
    const durations = Array.from({ length: 200 }, (_, i) => 1000 + i * 150);
    const target: ResolvedDelayTarget = { targetDelayMs: 2000, targetDelay: 0.1, coverage: 0.9 };
    const plan = solvePlan(empiricalCdf(durations), target, { ...OPTIONS, samples: durations.length });
    const replayed = replay(plan.times, target, durations);
    expect(plan.expectedCalls).toBeCloseTo(replayed.calls, 6);
    expect(plan.offTarget).toBeCloseTo(replayed.off, 6);
    expect(plan.offTarget).toBeLessThanOrEqual(0.1 + 1e-9);
  });

  it('keeps polls ascending and at least the minimum gap apart', () => {
    const durations = Array.from({ length: 100 }, (_, i) => 200 + i * 37);
    const target: ResolvedDelayTarget = { targetDelayMs: 100, targetDelay: 0, coverage: 1 };
    const plan = solvePlan(empiricalCdf(durations), target, {
      ...OPTIONS,
      minGapMs: 250,
      samples: durations.length,
    });
    for (let i = 1; i < plan.times.length; i++) {
      expect(plan.times[i]! - plan.times[i - 1]!).toBeGreaterThanOrEqual(249);
    }
  });

  it('polls less as a fallback beside webhooks: only jobs whose webhook was lost pay for late polls', () => {
    const durations = Array.from({ length: 200 }, (_, i) => 1000 + i * 300);
    const target: ResolvedDelayTarget = { targetDelayMs: 2000, targetDelay: 0.1, coverage: 0.95 };
    const plain = solvePlan(empiricalCdf(durations), target, { ...OPTIONS, samples: durations.length });
    const fallback = solvePlan(empiricalCdf(durations), target, {
      ...OPTIONS,
      webhookLoss: 0.05,
      samples: durations.length,
    });
    expect(fallback.expectedCalls).toBeLessThan(plain.expectedCalls);
  });
});
