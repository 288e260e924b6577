import { ConfigurationError } from '../errors/configuration-error.js';
import { byKind, JOB_KINDS } from '../kinds/registry.js';
import type { JobKind } from '../model/types.js';
import {
  type BackoffOptions,
  type BackoffPolicy,
  DEFAULT_POLL_BACKOFF,
  MAX_TIMER_MS,
  nextDelay,
  resolveBackoff,
} from './backoff.js';

/**
 * How a poll schedule slows down as the job ages: each delay is at least `share` of the job's age (time since its
 * `created_at`), at most `maxDelayMs`. Polls then land at ages growing by `1 + share` each, so a job is seen
 * ending within about `share` of its own duration, whatever that duration is, for a number of retrieves that
 * grows only with the logarithm of the duration.
 */
export interface AgeGrowth {
  /** Share of the job's age, in (0, 10]. */
  share: number;
  /** The growth stops here, in ms (> 0): the longest delay the growth asks for. */
  maxDelayMs: number;
}

/** Options of one kind's poll schedule: a backoff, and optionally a delay that grows with the job's age. */
export interface PollScheduleOptions extends BackoffOptions {
  /**
   * Each delay is at least this share of the job's age.
   *
   * @defaultValue none
   */
  growth?: AgeGrowth;
}

/** A validated poll schedule: the backoff, and the growth with age if any. */
export interface PollSchedule {
  readonly backoff: BackoffPolicy;
  readonly growth: Readonly<AgeGrowth> | undefined;
}

/** A schedule per job kind. */
export type PollSchedules = Readonly<Record<JobKind, PollSchedule>>;

/**
 * The schedules `poll()` uses when given no schedule option, by kind. Cold defaults: nothing is learned.
 * - Runs and responses: the seed's numbers (0.5 s, ×1.5, capped at 5 s, no jitter), then, past 167 s (where 3%
 *   of the age passes 5 s), 3% of the job's age, up to 1 minute. Shorter jobs are polled exactly as before.
 * - Batches: every 10 s, then 15% of the batch's age, up to 30 minutes: a small share of the retrieves the seed's
 *   loop makes, each batch seen within a fixed share of its duration (docs/benchmarks.md).
 */
// Each kind's spec holds its numbers as plain data (`defaults.poll`), chosen in bench/strategies.ts: 3% starts past
// the short distributions' jobs, which keep the seed's figures (a larger share reached them); 15% of the age keeps
// batches under the relative-delay goal; the 10 s floor spares the retrieves of the first minute, when a batch is
// still validating; the 30 min cap keeps a day-long batch's delay bounded. Figures: docs/benchmarks.md, "Why the
// defaults are what they are". The spec's plain data goes through the same validation as a caller's options (a typo
// fails at load).
export const DEFAULT_POLL_SCHEDULES: PollSchedules = byKind((spec, kind) =>
  resolvePollSchedule(spec.defaults.poll, DEFAULT_POLL_BACKOFF, `${kind} defaults.poll`),
);

/**
 * Validates one schedule's options over `defaults` (fields left out come from it; the growth only when given).
 * @throws ConfigurationError for invalid backoff options, or a growth whose share is not in (0, 10] or whose
 *   `maxDelayMs` is not a positive number of ms up to {@link MAX_TIMER_MS}.
 */
export function resolvePollSchedule(
  options: PollScheduleOptions,
  defaults: Omit<BackoffPolicy, 'minDelayMs'> = DEFAULT_POLL_BACKOFF,
  label = 'poll()',
): PollSchedule {
  const { growth, ...backoff } = options;
  return { backoff: resolveBackoff(backoff, defaults, label), growth: resolveGrowth(growth, label) };
}

/** Validates a schedule per kind; kinds left out keep {@link DEFAULT_POLL_SCHEDULES}'. */
export function resolvePollSchedules(
  options: Partial<Record<JobKind, PollScheduleOptions | PollSchedule>>,
  label = 'poll({ schedules })',
): PollSchedules {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError(`${label}: must be an object keyed by job kind`);
  }
  const resolved = { ...DEFAULT_POLL_SCHEDULES };
  for (const kind of JOB_KINDS) {
    const given = options[kind];
    if (given === undefined) continue;
    resolved[kind] =
      'backoff' in given
        ? resolvePollSchedule(
            { ...given.backoff, growth: given.growth },
            DEFAULT_POLL_BACKOFF,
            `${label} ${kind}`,
          )
        : resolvePollSchedule(given, DEFAULT_POLL_BACKOFF, `${label} ${kind}`);
  }
  return resolved;
}

function resolveGrowth(growth: AgeGrowth | undefined, label: string): Readonly<AgeGrowth> | undefined {
  if (growth === undefined) return undefined;
  const { share, maxDelayMs } = growth ?? {};
  if (!(typeof share === 'number' && Number.isFinite(share) && share > 0 && share <= 10)) {
    throw new ConfigurationError(
      `${label}: growth.share must be a number in (0, 10], got ${JSON.stringify(share)}`,
    );
  }
  if (!(typeof maxDelayMs === 'number' && maxDelayMs > 0 && maxDelayMs <= MAX_TIMER_MS)) {
    throw new ConfigurationError(
      `${label}: growth.maxDelayMs must be a number of ms in (0, ${MAX_TIMER_MS}], got ${JSON.stringify(maxDelayMs)}`,
    );
  }
  return { share, maxDelayMs };
}

/**
 * The base delay in ms before scheduled retrieve `attempt` of a job `ageMs` old: the backoff's (jittered, one
 * draw of `random` when the policy jitters), raised to the growth's share of the age. Right after a nudge
 * (`nudged`, attempt 0) the backoff's alone: the watch was asked to look again soon. Pure; the poll source, the
 * shared budget and the benchmark all schedule through it. Server hints and the deadline apply afterwards.
 * @example scheduleDelay(DEFAULT_POLL_SCHEDULES.batch, 5, 600_000, Math.random) // 90_000: 15% of 10 minutes
 */
export function scheduleDelay(
  schedule: PollSchedule,
  attempt: number,
  ageMs: number,
  random: () => number,
  nudged = false,
): number {
  const backoff = nextDelay(schedule.backoff, attempt, { random });
  const { growth } = schedule;
  if (!growth || (nudged && attempt === 0) || !(ageMs > 0)) return backoff;
  return Math.max(backoff, Math.ceil(Math.min(growth.maxDelayMs, growth.share * ageMs)));
}
