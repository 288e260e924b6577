import { ConfigurationError } from '../errors/configuration-error.js';
import { isFiniteNumber } from '../internal/is-finite-number.js';
import {
  allowedDelay,
  type DelayTarget,
  type ResolvedDelayTarget,
  resolveDelayTarget,
} from './delay-target.js';
import { empiricalCdf, mixedCdf } from './duration-distribution.js';
import { solvePlan } from './poll-plan-solver.js';

// The target is part of a plan's vocabulary: its users import it from here.
export {
  allowedDelay,
  DEFAULT_DELAY_TARGET,
  type DelayTarget,
  type ResolvedDelayTarget,
  resolveDelayTarget,
} from './delay-target.js';

/**
 * One finished job's duration in ms: exact, or known only to lie in `(afterMs, byMs]` (the last poll that saw the
 * job running, and the one that saw it end). See `PlanOptions.spread` for how the planner reads an interval.
 */
export type DurationSample = number | readonly [afterMs: number, byMs: number];

/** Options of {@link planPolls}: the target, plus how the samples are read and the grid polls are placed on. */
export interface PlanOptions extends DelayTarget {
  /**
   * Share of terminal webhooks that never arrive, for a fallback poll beside webhooks (`hybrid`): a poll then only
   * happens while the job runs, or after a lost webhook, and the target applies to the jobs whose webhook was
   * lost.
   *
   * @defaultValue `1`: plain polling, no webhooks
   */
  webhookLoss?: number;
  /**
   * No two polls closer than this, in ms (poll's `minDelayMs`).
   *
   * @defaultValue `100`
   */
  minGapMs?: number;
  /**
   * Caution about the samples being few, in standard errors: the share of jobs a gap between two polls sees late is
   * counted as `m + caution · √(m(1−m)/n) + caution²/2n` for `m` observed in `n` samples, so a plan does not bet
   * on a stretch of the tail that a few hundred samples happen to leave thin. The model uses 1.5.
   *
   * @defaultValue `0`, for the oracle
   */
  caution?: number;
  /**
   * For interval samples: the share of each interval's mass spread evenly over it; the rest goes where the other
   * samples say jobs end (Turnbull's self-consistency EM). 0 trusts the other samples entirely, and a plan that
   * polls late then never learns that jobs end early; 1 blurs every mode to the width of the polls that saw it.
   *
   * @defaultValue {@link DEFAULT_SPREAD}
   */
  spread?: number;
}

/** Share of an interval sample spread evenly over it by default (chosen by bench/strategies-tuning.ts). */
export const DEFAULT_SPREAD = 0.25;

/** Poll times, in ms of the job's age, that meet a target on a duration distribution with few retrieves. */
export interface PollPlan {
  /** Ascending poll times in ms since the job was created; after the last one, see {@link nextPollAt}. */
  readonly times: readonly number[];
  readonly target: ResolvedDelayTarget;
  readonly minGapMs: number;
  /** Expected retrieves per job on the distribution the plan was made for. */
  readonly expectedCalls: number;
  /** Share of jobs (of lost-webhook jobs, for a fallback) seen off target on that distribution. */
  readonly offTarget: number;
}

/**
 * The next poll time (job age in ms) after `ageMs`: the plan's next time, or past its end, the gap that keeps any
 * job ending now on target (`allowedDelay` of the age, at least `minGapMs`).
 * @example nextPollAt(plan, 0) // the plan's first poll
 */
export function nextPollAt(plan: PollPlan, ageMs: number): number {
  const { times } = plan;
  // First planned time strictly after the age (1 ms of slack: a poll a hair late must not repeat its own slot).
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] as number) <= ageMs + 1) lo = mid + 1;
    else hi = mid;
  }
  if (lo < times.length) return times[lo] as number;
  return ageMs + Math.max(plan.minGapMs, allowedDelay(plan.target, ageMs));
}

/**
 * The oracle: poll times minimizing the expected number of retrieves for jobs whose durations are distributed
 * like `samples` (ms), subject to `coverage` of them seen on target. Dynamic programming over a time grid (steps
 * of 1/8 of the allowed delay) on the Lagrangian `calls + μ · offTarget`, with μ found by bisection: optimal on
 * the grid up to the Lagrangian's duality gap. Tens of ms for a few hundred grid points.
 * @throws ConfigurationError for invalid options, or when there are no finite samples ≥ 0.
 * @example planPolls(durations, { targetDelay: 0.2 }).times // [ages in ms]
 */
export function planPolls(samples: readonly DurationSample[], options: PlanOptions = {}): PollPlan {
  const { webhookLoss = 1, minGapMs = 100, caution = 0, spread = DEFAULT_SPREAD, ...targetOptions } = options;
  const target = resolveDelayTarget(targetOptions, 'planPolls()');
  if (!isFiniteNumber(webhookLoss) || webhookLoss < 0 || webhookLoss > 1) {
    throw new ConfigurationError(`planPolls(): webhookLoss must be in [0, 1], got ${webhookLoss}`);
  }
  if (!isFiniteNumber(minGapMs) || minGapMs <= 0) {
    throw new ConfigurationError(`planPolls(): minGapMs must be ms > 0, got ${minGapMs}`);
  }
  if (!isFiniteNumber(spread) || spread < 0 || spread > 1) {
    throw new ConfigurationError(`planPolls(): spread must be in [0, 1], got ${spread}`);
  }
  if (!isFiniteNumber(caution) || caution < 0) {
    throw new ConfigurationError(`planPolls(): caution must be ≥ 0, got ${caution}`);
  }
  const points: number[] = [];
  const intervals: [number, number][] = [];
  for (const sample of samples) {
    if (typeof sample === 'number') {
      if (isFiniteNumber(sample) && sample >= 0) points.push(sample);
    } else if (Array.isArray(sample)) {
      const [after, by] = sample;
      if (!(isFiniteNumber(after) && isFiniteNumber(by) && by >= after && by >= 0)) continue;
      if (by - after < 1) points.push(by);
      else intervals.push([Math.max(0, after), by]);
    }
  }
  if (points.length + intervals.length === 0) {
    throw new ConfigurationError('planPolls(): needs at least one duration ≥ 0');
  }
  points.sort((a, b) => a - b);
  const dist = intervals.length === 0 ? empiricalCdf(points) : mixedCdf(points, intervals, spread);
  const best = solvePlan(dist, target, {
    webhookLoss,
    minGapMs,
    caution,
    samples: points.length + intervals.length,
  });
  return {
    times: best.times,
    target,
    minGapMs,
    expectedCalls: best.expectedCalls,
    offTarget: best.offTarget,
  };
}
