import { ConfigurationError } from '../errors/configuration-error.js';
import { byKind, JOB_KINDS, kindSpec } from '../kinds/registry.js';
import type { JobKind, Source } from '../model/types.js';
import { type BackoffOptions, type BackoffPolicy, DEFAULT_POLL_BACKOFF, resolveBackoff } from './backoff.js';
import { orderedSource } from './ordered-source.js';
import { pollLoop } from './poll-loop.js';
import {
  type AgeGrowth,
  DEFAULT_POLL_SCHEDULES,
  type PollScheduleOptions,
  type PollSchedules,
  resolvePollSchedule,
  resolvePollSchedules,
} from './poll-schedule.js';
import type { KindDefaultsKey, PollDelays, PollSettings } from './watch-schedule.js';

/**
 * Options of {@link poll}: the poll schedule, plus how failed requests are retried. Without any schedule option
 * (a backoff field, `growth`, `delays`) the schedule is chosen by the job's kind (`schedules`).
 */
export interface PollOptions extends BackoffOptions {
  /** Each delay is at least this share of the job's age (see {@link AgeGrowth}); with the backoff fields. */
  growth?: AgeGrowth;
  /**
   * The schedule of each kind when no other schedule option is given; kinds left out keep the default.
   *
   * @defaultValue {@link DEFAULT_POLL_SCHEDULES}: the seed's backoff for runs and responses (slowing down past
   * about 3 minutes), 15% of the job's age for batches
   */
  schedules?: Partial<Record<JobKind, PollScheduleOptions>>;
  /**
   * Replaces the backoff policy's delays (the policy's `minDelayMs` still floors them). The adaptive schedule
   * plugs in here.
   */
  delays?: PollDelays;
  /**
   * Retries allowed after a transient failure (429, 408, 409, 5xx, network) before the watch errors with
   * `RetriesExhaustedError`; counts consecutive failures only, a success resets it.
   *
   * @defaultValue `8`
   */
  maxRetries?: number;
  /**
   * The schedule of those retries.
   *
   * @defaultValue 1 s, ×2, capped at 30 s, full jitter
   */
  retryBackoff?: BackoffOptions;
  /**
   * Retrieve once at subscription, before the first delay (the seed's loop did).
   *
   * @defaultValue `false`
   */
  immediate?: boolean;
}

/** The poll source, with its resolved settings (benchmarks compute its schedule with `backoffSchedule`). */
export interface PollSource extends Source, PollSettings {
  readonly name: 'poll';
}

/** The retry schedule by default: 1 s, ×2, capped at 30 s, full jitter (floor 100 ms). */
export const DEFAULT_RETRY_BACKOFF: BackoffPolicy = {
  initialDelayMs: 1000,
  factor: 2,
  maxDelayMs: 30_000,
  jitter: 'full',
  minDelayMs: 100,
};

/** Retries after a transient failure, by default, before giving up. */
export const DEFAULT_MAX_RETRIES = 8;

/**
 * A source that retrieves the job on a schedule until it reaches a terminal status, the deadline passes, or the
 * subscriber leaves. By default the schedule depends on the kind ({@link DEFAULT_POLL_SCHEDULES}): a short backoff
 * for runs and responses, a delay growing with the age for batches. Throws `ConfigurationError` at once for
 * invalid options.
 * @example watchRun({ client, job, source: poll({ initialDelayMs: 1000, maxDelayMs: 10_000 }) })
 */
export function poll(options: PollOptions = {}): PollSource {
  const {
    maxRetries = DEFAULT_MAX_RETRIES,
    retryBackoff = {},
    immediate = false,
    delays,
    schedules: scheduleOptions,
    ...backoff
  } = options;
  const schedules = resolveSchedules(backoff, scheduleOptions, delays !== undefined);
  const kindDefaults = followedDefaults(backoff, scheduleOptions, delays !== undefined);
  const policy = schedules.response.backoff;
  const retryPolicy = resolveBackoff(retryBackoff, DEFAULT_RETRY_BACKOFF, 'poll({ retryBackoff })');
  if (!(maxRetries === Number.POSITIVE_INFINITY || (Number.isInteger(maxRetries) && maxRetries >= 0))) {
    throw new ConfigurationError(
      `poll(): maxRetries must be a whole number ≥ 0 (or Infinity), got ${JSON.stringify(maxRetries)}`,
    );
  }
  if (delays !== undefined && typeof delays !== 'function') {
    throw new ConfigurationError('poll(): delays must be a function (attempt, elapsedMs) => ms');
  }
  const source: PollSource = {
    name: 'poll',
    policy,
    schedules,
    retryPolicy,
    maxRetries,
    immediate: Boolean(immediate),
    delays,
    kindDefaults,
    // Every poll watch on one scheduler waits in one timer queue (poll-loop.ts).
    watch: (ctx) => pollLoop(ctx.scheduler).watch(ctx, source),
  };
  POLL_SOURCES.add(source);
  return orderedSource(source);
}

const POLL_SOURCES = new WeakSet<Source>();

/** Whether `source` is a `poll()` source as made (hybrid then runs it inside its own subscription: poll-loop.ts). */
export function isPlainPoll(source: Source): source is PollSource {
  return POLL_SOURCES.has(source);
}

/** Per kind, the spec default its schedule is (by identity: `HYBRID_FALLBACK_POLL` passes the specs' own objects). */
function followedDefaults(
  backoff: PollScheduleOptions,
  scheduleOptions: PollOptions['schedules'],
  custom: boolean,
): Partial<Record<JobKind, KindDefaultsKey>> {
  if (custom || BACKOFF_KEYS.some((key) => backoff[key] !== undefined)) return {};
  const followed: Partial<Record<JobKind, KindDefaultsKey>> = {};
  for (const kind of JOB_KINDS) {
    const given = scheduleOptions?.[kind];
    const { defaults } = kindSpec(kind);
    if (given === undefined || given === defaults.poll) followed[kind] = 'poll';
    else if (given === defaults.hybridPoll) followed[kind] = 'hybridPoll';
  }
  return followed;
}

const BACKOFF_KEYS = ['initialDelayMs', 'factor', 'maxDelayMs', 'jitter', 'minDelayMs', 'growth'] as const;

/** One schedule for every kind when any schedule field is given (or custom `delays`); else the kind defaults. */
function resolveSchedules(
  backoff: PollScheduleOptions,
  scheduleOptions: PollOptions['schedules'],
  custom: boolean,
): PollSchedules {
  const given = BACKOFF_KEYS.some((key) => backoff[key] !== undefined);
  if (given || custom) {
    if (scheduleOptions !== undefined) {
      throw new ConfigurationError(
        'poll(): schedules applies only without a backoff option, growth or delays (those set one schedule for every kind)',
      );
    }
    const one = resolvePollSchedule(backoff, DEFAULT_POLL_BACKOFF, 'poll()');
    return byKind(() => one);
  }
  return scheduleOptions === undefined ? DEFAULT_POLL_SCHEDULES : resolvePollSchedules(scheduleOptions);
}

export type { Outcome } from './poll-request.js';
export { exhausted, request } from './poll-request.js';
export type { KindDefaultsKey, PollDelays, PollSettings } from './watch-schedule.js';
export { fixedPolicy, WatchSchedule } from './watch-schedule.js';
