/**
 * Virtual-time replay of poll strategies: for a job of known duration, the retrieves a strategy makes until it
 * sees the job's end, computed with the same pure schedule functions the sources use. Responses are instant and
 * always succeed; a poll at age t sees the end iff duration ≤ t.
 */

/** One watched job, replayed. */
export interface Replay {
  /** Retrieves made, the one that saw the end included. */
  calls: number;
  /** Age (ms since creation) at which the end was seen: by a poll, or by a webhook's arrival. */
  detectedAt: number;
  /** Age of the last poll that saw the job running, if any (what the adaptive source learns from). */
  lastRunningAt: number | undefined;
  /** Its terminal webhook was lost (hybrid runs): only a poll can see the end. */
  lost?: boolean;
}

/** A strategy under test. `random` is this run's own stream (jitter, webhook latency, loss); `run` its index. */
export interface Strategy {
  id: string;
  label: string;
  replay(durationMs: number, random: () => number, run: number): Replay;
}

/** The delay before scheduled retrieve `attempt`, given the age of the job now. */
export type DelayFn = (attempt: number, ageMs: number, random: () => number) => number;

/**
 * Polls at `delay` intervals (after one poll at creation when `immediate`) until one sees the end, or the age
 * passes `webhookAt` first (a webhook arrived: the watch ends without that poll).
 */
export function replayPolling(
  durationMs: number,
  delay: DelayFn,
  random: () => number,
  options: { immediate?: boolean; webhookAt?: number } = {},
): Replay {
  const webhookAt = options.webhookAt ?? Number.POSITIVE_INFINITY;
  let age = 0;
  let calls = 0;
  let lastRunningAt: number | undefined;
  if (options.immediate) {
    calls++;
    if (durationMs <= 0) return { calls, detectedAt: 0, lastRunningAt };
    lastRunningAt = 0;
  }
  for (let attempt = 0; ; attempt++) {
    age += delay(attempt, age, random);
    if (age >= webhookAt) return { calls, detectedAt: webhookAt, lastRunningAt };
    calls++;
    if (age >= durationMs) return { calls, detectedAt: age, lastRunningAt };
    lastRunningAt = age;
  }
}

/** A fixed interval, in closed form (the 100 ms loop would take 20 000 steps per batch). */
export function replayFixed(durationMs: number, intervalMs: number, immediate: boolean): Replay {
  const first = immediate ? 0 : intervalMs;
  const k = durationMs <= first ? 0 : Math.ceil((durationMs - first) / intervalMs);
  const detectedAt = first + k * intervalMs;
  return {
    calls: k + 1,
    detectedAt,
    lastRunningAt: k > 0 ? detectedAt - intervalMs : undefined,
  };
}

/** Delay statistics of many replays. */
export interface Summary {
  runs: number;
  /** Mean retrieves per run. */
  calls: number;
  /** Detection delay percentiles, ms. */
  delay: { p50: number; p95: number; p99: number };
  /** Detection delay / duration percentiles. */
  relative: { p50: number; p95: number; p99: number };
  /** Runs whose end was seen (every one, unless a strategy can lose a job). */
  ended: number;
  /** Runs whose webhook was lost: how many, how many were seen within their own duration, the worst delay / duration. */
  lost: { runs: number; withinDuration: number; worstRelative: number };
}

/** Replays `strategy` on every duration, each run with its own random stream `randomFor(i)`. */
export function measure(
  strategy: Strategy,
  durations: readonly number[],
  randomFor: (run: number) => () => number,
): Summary {
  const delays = new Float64Array(durations.length);
  const relative = new Float64Array(durations.length);
  let calls = 0;
  let ended = 0;
  const lost = { runs: 0, withinDuration: 0, worstRelative: 0 };
  durations.forEach((d, i) => {
    const r = strategy.replay(d, randomFor(i), i);
    calls += r.calls;
    if (Number.isFinite(r.detectedAt)) ended++;
    if (r.lost) {
      lost.runs++;
      if (r.detectedAt - d <= d) lost.withinDuration++;
      lost.worstRelative = Math.max(lost.worstRelative, (r.detectedAt - d) / Math.max(1, d));
    }
    delays[i] = r.detectedAt - d;
    relative[i] = (r.detectedAt - d) / Math.max(1, d);
  });
  delays.sort();
  relative.sort();
  return {
    runs: durations.length,
    calls: calls / durations.length,
    delay: { p50: quantile(delays, 0.5), p95: quantile(delays, 0.95), p99: quantile(delays, 0.99) },
    relative: { p50: quantile(relative, 0.5), p95: quantile(relative, 0.95), p99: quantile(relative, 0.99) },
    ended,
    lost,
  };
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}
