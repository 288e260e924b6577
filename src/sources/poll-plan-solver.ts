import { allowedDelay, earliestOnTarget, type ResolvedDelayTarget } from './delay-target.js';
import type { Distribution } from './duration-distribution.js';

/** How {@link solvePlan} reads the distribution: the grid's spacing, the webhooks, the caution about few samples. */
export interface SolveOptions {
  /** Share of terminal webhooks lost (1: plain polling). */
  webhookLoss: number;
  /** No two polls closer than this, in ms. */
  minGapMs: number;
  /** Caution about few samples, in standard errors (0: trust them). */
  caution: number;
  /** How many samples the distribution was estimated from. */
  samples: number;
}

/** The cheapest poll times found on the grid, with their expected calls and share off target. */
export interface SolvedPlan {
  /** Ascending poll times in ms of the job's age. */
  times: number[];
  expectedCalls: number;
  /** Share of jobs seen off target as the samples say (without caution). */
  offTarget: number;
}

/**
 * Poll times minimizing the expected number of retrieves on `dist`, subject to `coverage` of jobs seen on target.
 * Dynamic programming over a time grid (steps of 1/8 of the allowed delay) on the Lagrangian
 * `calls + μ · offTarget`, with μ found by bisection: optimal on the grid up to the Lagrangian's duality gap.
 */
export function solvePlan(
  dist: Distribution,
  target: ResolvedDelayTarget,
  options: SolveOptions,
): SolvedPlan {
  const { webhookLoss, minGapMs, caution, samples: n } = options;
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
