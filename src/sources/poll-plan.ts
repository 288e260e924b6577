import { ConfigurationError } from '../errors/configuration-error.js';

/**
 * How late a poll may see a job's end. A job of duration `D` is seen on target when the detection delay (first
 * poll at or after its end, minus `D`) is at most `max(targetDelayMs, targetDelay · D)`; a plan keeps at least
 * `coverage` of jobs on target. With the defaults: the p95 delay is at most 2 s, or 10% of the job's duration
 * when that is longer.
 */
export interface DelayTarget {
  /**
   * Absolute allowance in ms (≥ 0).
   *
   * @defaultValue `2000`
   */
  targetDelayMs?: number;
  /**
   * Relative allowance: a fraction of the job's duration (≥ 0).
   *
   * @defaultValue `0.1`
   */
  targetDelay?: number;
  /**
   * Share of jobs that must be seen on target, in (0, 1]: 0.95 makes the targets p95 delays.
   *
   * @defaultValue `0.95`
   */
  coverage?: number;
}

/** A validated target: every field resolved. */
export type ResolvedDelayTarget = Readonly<Required<DelayTarget>>;

/** The target by default: p95 detection delay ≤ max(2 s, 10% of the job's duration) (see docs/benchmarks.md). */
export const DEFAULT_DELAY_TARGET: ResolvedDelayTarget = {
  targetDelayMs: 2000,
  targetDelay: 0.1,
  coverage: 0.95,
};

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
 * Validates a delay target and fills in defaults.
 * @throws ConfigurationError for a negative or non-finite allowance, two zero allowances, or a coverage outside
 *   (0, 1].
 */
export function resolveDelayTarget(target: DelayTarget = {}, label = 'delay target'): ResolvedDelayTarget {
  const {
    targetDelayMs = DEFAULT_DELAY_TARGET.targetDelayMs,
    targetDelay = DEFAULT_DELAY_TARGET.targetDelay,
    coverage = DEFAULT_DELAY_TARGET.coverage,
  } = target;
  const fail = (what: string, got: unknown): never => {
    throw new ConfigurationError(`${label}: ${what}, got ${JSON.stringify(got) ?? String(got)}`);
  };
  if (!isFiniteNumber(targetDelayMs) || targetDelayMs < 0)
    fail('targetDelayMs must be ms ≥ 0', targetDelayMs);
  if (!isFiniteNumber(targetDelay) || targetDelay < 0)
    fail('targetDelay must be a fraction ≥ 0 of the duration', targetDelay);
  if (targetDelayMs === 0 && targetDelay === 0)
    fail('targetDelayMs and targetDelay cannot both be 0 (that asks for a poll at every instant)', target);
  if (!isFiniteNumber(coverage) || coverage <= 0 || coverage > 1)
    fail('coverage must be in (0, 1]', coverage);
  return { targetDelayMs, targetDelay, coverage };
}

/** The detection delay on target for a job of `durationMs`: `max(targetDelayMs, targetDelay · durationMs)`. */
export function allowedDelay(target: ResolvedDelayTarget, durationMs: number): number {
  return Math.max(target.targetDelayMs, target.targetDelay * durationMs);
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
  const grid = buildGrid(dist.end, target, minGapMs);
  const m = grid.length;
  // F at each grid time (done by then), and F just below the earliest end a poll at that time still sees on target.
  const done = new Float64Array(m);
  const covered = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const t = grid[i] as number;
    done[i] = dist.atOrBelow(t);
    covered[i] = dist.below(earliestOnTarget(target, t));
  }
  done[0] = 0;
  const budget = 1 - target.coverage + 1e-9;

  const n = points.length + intervals.length;
  const earliest = grid.map((t) => earliestOnTarget(target, t));
  // With caution, a stretch left unwatched costs its observed share plus one standard error, and at least
  // caution²/2n even when no sample fell in it (n samples cannot show a share much below 1/n).
  const late = (j: number, k: number): number => {
    if (!((earliest[k] as number) > (grid[j] as number))) return 0;
    const miss = Math.max(0, (covered[k] as number) - (done[j] as number));
    if (caution === 0) return miss;
    return miss + caution * Math.sqrt((miss * (1 - miss)) / n) + (caution * caution) / (2 * n);
  };
  const solve = (mu: number) => solveLagrangian(done, covered, webhookLoss, mu, late);
  // Bisection on μ (log scale): the share off target falls as μ grows; take the cheapest plan within budget.
  let best = solve(1e7);
  if (best.offTarget <= budget) {
    let lo = 1e-4;
    let hi = 1e7;
    const cheapest = solve(lo);
    if (cheapest.offTarget <= budget) best = cheapest;
    else {
      for (let i = 0; i < 48 && hi / lo > 1.0001; i++) {
        const mid = Math.sqrt(lo * hi);
        const plan = solve(mid);
        if (plan.offTarget <= budget) {
          hi = mid;
          best = plan;
        } else lo = mid;
      }
    }
  }
  return {
    times: best.path.map((i) => Math.round(grid[i] as number)),
    target,
    minGapMs,
    expectedCalls: best.calls,
    offTarget: best.observedOffTarget,
  };
}

/** A plan's path (grid indices of its polls), its expected calls, its share off target (counted with caution). */
interface Solution {
  path: number[];
  calls: number;
  offTarget: number;
  /** The share off target as the samples say, without caution. */
  observedOffTarget: number;
}

/**
 * Backward DP over grid indices: V(j) = min over k > j of [cost(j→k) + μ·miss(j→k) + V(k)], where j is the last
 * poll (0: the job's creation, not a poll). cost: the poll at k happens while the job runs (for plain polling:
 * it was not done at j), or after a lost webhook; miss: jobs ending in (t_j, t_k) that the poll at t_k sees too
 * late. A plan may stop once every job is done.
 */
function solveLagrangian(
  done: Float64Array,
  covered: Float64Array,
  loss: number,
  mu: number,
  late: (j: number, k: number) => number,
): Solution {
  const m = done.length;
  const value = new Float64Array(m);
  const next = new Int32Array(m).fill(-1);
  for (let j = m - 2; j >= 0; j--) {
    const runningJ = 1 - (done[j] as number);
    if (j > 0 && runningJ <= 1e-12) continue; // every job is done: no more polls
    let bestValue = Number.POSITIVE_INFINITY;
    let bestK = m - 1;
    for (let k = j + 1; k < m; k++) {
      const runningK = 1 - (done[k] as number);
      const v = loss * runningJ + (1 - loss) * runningK + mu * late(j, k) + (value[k] as number);
      if (v < bestValue) {
        bestValue = v;
        bestK = k;
      }
    }
    value[j] = bestValue;
    next[j] = bestK;
  }
  const path: number[] = [];
  let calls = 0;
  let offTarget = 0;
  let observedOffTarget = 0;
  for (let j = 0; next[j] !== -1; ) {
    const k = next[j] as number;
    const miss = (covered[k] as number) - (done[j] as number);
    calls += loss * (1 - (done[j] as number)) + (1 - loss) * (1 - (done[k] as number));
    offTarget += late(j, k);
    if (miss > 0) observedOffTarget += miss;
    path.push(k);
    j = k;
  }
  return { path, calls, offTarget, observedOffTarget };
}

/** The earliest end a poll at `t` sees on target: t − D ≤ max(d, r·D) ⇔ D ≥ min(t − d, t / (1 + r)). */
function earliestOnTarget(target: ResolvedDelayTarget, t: number): number {
  return Math.min(t - target.targetDelayMs, t / (1 + target.targetDelay));
}

/** Grid times from 0 to past `end`, in steps of 1/8 of the allowed delay (at least the min gap), ≤ ~1000 points. */
function buildGrid(end: number, target: ResolvedDelayTarget, minGapMs: number): number[] {
  const stepsPerAllowance = 8;
  const maxPoints = 1000;
  for (let coarsen = 1; ; coarsen *= 1.5) {
    const grid = [0];
    let t = 0;
    while (t < end && grid.length <= maxPoints) {
      t += Math.max(minGapMs, (coarsen * allowedDelay(target, t)) / stepsPerAllowance);
      grid.push(t);
    }
    if (t >= end) return grid;
  }
}

/** A duration distribution as the planner reads it: P(D ≤ x), P(D < x), and a time after which no job runs. */
interface Distribution {
  atOrBelow(x: number): number;
  below(x: number): number;
  end: number;
}

function empiricalCdf(sorted: readonly number[]): Distribution {
  const n = sorted.length;
  // Index of the first sample > x (upper) or ≥ x (lower).
  const search = (x: number, strict: boolean): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = sorted[mid] as number;
      if (strict ? s < x : s <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    atOrBelow: (x) => search(x, false) / n,
    below: (x) => search(x, true) / n,
    end: sorted[n - 1] as number,
  };
}

/** Exact samples as steps, intervals as estimated by {@link intervalCdf}, weighted by their counts. */
function mixedCdf(
  points: readonly number[],
  intervals: readonly (readonly [number, number])[],
  spread: number,
): Distribution {
  const n = points.length + intervals.length;
  const exact = points.length > 0 ? empiricalCdf(points) : undefined;
  const fromIntervals = intervalCdf(intervals, spread);
  const mix = (x: number, pointsUpTo: (x: number) => number) =>
    (intervals.length * fromIntervals(x) + points.length * pointsUpTo(x)) / n;
  return {
    atOrBelow: (x) => mix(x, (y) => exact?.atOrBelow(y) ?? 0),
    below: (x) => mix(x, (y) => exact?.below(y) ?? 0),
    end: intervals.reduce((end, [, b]) => Math.max(end, b), exact?.end ?? 0),
  };
}

/**
 * The distribution of jobs known only by intervals (Turnbull's self-consistency EM, on the cells between interval
 * ends): each interval's mass goes where the other jobs say jobs end, so overlapping intervals sharpen each other
 * (a mode that starts at 3 s is not smeared down to the 0–4.5 s of a late first poll). A share `spread` of each
 * interval stays spread evenly over it: where no finer interval ever looked (before the first poll), even mass is
 * what makes the next plan look there, instead of trusting a guess it can never correct.
 */
function intervalCdf(
  intervals: readonly (readonly [number, number])[],
  spread: number,
): (x: number) => number {
  const n = intervals.length;
  if (n === 0) return () => 0;
  const edges = [...new Set(intervals.flat())].sort((a, b) => a - b);
  const cells = edges.length - 1;
  const width = Float64Array.from(
    { length: cells },
    (_, c) => (edges[c + 1] as number) - (edges[c] as number),
  );
  const cellOf = (x: number) => {
    let lo = 0;
    let hi = edges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((edges[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const ranges = intervals.map(([a, b]) => [cellOf(a), cellOf(b), b - a] as const);
  let mass = new Float64Array(cells);
  for (let iteration = 0; iteration < 40; iteration++) {
    const next = new Float64Array(cells);
    for (const [first, end, length] of ranges) {
      let inside = 0;
      for (let c = first; c < end; c++) inside += mass[c] as number;
      // The first round spreads every interval evenly: the EM's starting point.
      const follow = iteration === 0 || inside <= 0 ? 0 : 1 - spread;
      for (let c = first; c < end; c++) {
        const even = (width[c] as number) / length;
        next[c] =
          (next[c] as number) +
          (follow > 0 ? (follow * (mass[c] as number)) / inside : 0) +
          (1 - follow) * even;
      }
    }
    let change = 0;
    for (let c = 0; c < cells; c++) {
      next[c] = (next[c] as number) / n;
      change = Math.max(change, Math.abs((next[c] as number) - (mass[c] as number)));
    }
    mass = next;
    if (change < 1e-7) break;
  }
  const below = new Float64Array(cells + 1);
  for (let c = 0; c < cells; c++) below[c + 1] = (below[c] as number) + (mass[c] as number);
  return (x) => {
    if (x <= (edges[0] as number)) return 0;
    if (x >= (edges[cells] as number)) return 1;
    const c = cellOf(x) - 1;
    return (below[c] as number) + ((mass[c] as number) * (x - (edges[c] as number))) / (width[c] as number);
  };
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}
