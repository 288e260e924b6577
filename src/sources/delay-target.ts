import { ConfigurationError } from '../errors/configuration-error.js';
import { isFiniteNumber } from '../internal/is-finite-number.js';

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

/** The earliest end a poll at `t` sees on target: t − D ≤ max(d, r·D) ⇔ D ≥ min(t − d, t / (1 + r)). */
export function earliestOnTarget(target: ResolvedDelayTarget, t: number): number {
  return Math.min(t - target.targetDelayMs, t / (1 + target.targetDelay));
}
