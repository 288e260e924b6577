/** A duration distribution as the planner reads it: P(D ≤ x), P(D < x), and a time after which no job runs. */
export interface Distribution {
  atOrBelow(x: number): number;
  below(x: number): number;
  end: number;
}

/** The step distribution of exact samples, sorted ascending. */
export function empiricalCdf(sorted: readonly number[]): Distribution {
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
export function mixedCdf(
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
export function intervalCdf(
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
