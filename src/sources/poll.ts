import { ConfigurationError } from '../errors/configuration-error.js';
import { sourceMark } from '../internal/source-mark.js';
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
    retryBackoff,
    immediate = false,
    delays,
    schedules: scheduleOptions,
  } = options;
  // Any schedule field, or delays of one's own, sets one schedule for every kind.
  const uniform = delays !== undefined || BACKOFF_KEYS.some((key) => options[key] !== undefined);
  if (uniform && scheduleOptions !== undefined) {
    throw new ConfigurationError(
      'poll(): schedules applies only without a backoff option, growth or delays (those set one schedule for every kind)',
    );
  }
  const schedules = uniform
    ? uniformSchedules(options)
    : scheduleOptions === undefined
      ? DEFAULT_POLL_SCHEDULES
      : resolvePollSchedules(scheduleOptions);
  const kindDefaults = uniform
    ? FOLLOWS_NO_DEFAULTS
    : scheduleOptions === undefined
      ? FOLLOWS_EVERY_DEFAULT
      : followedDefaults(scheduleOptions);
  const policy = schedules.response.backoff;
  const retryPolicy =
    retryBackoff === undefined
      ? DEFAULT_RETRY_BACKOFF
      : resolveBackoff(retryBackoff, DEFAULT_RETRY_BACKOFF, 'poll({ retryBackoff })');
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
  return orderedSource(PLAIN_POLL.set(source));
}

/** A copy of a poll is not a plain poll: a source of one's own. */
const PLAIN_POLL = sourceMark('runstate.plainPoll');

/** Whether `source` is a `poll()` source as made (hybrid then runs it inside its own subscription: poll-loop.ts). */
export function isPlainPoll(source: Source): source is PollSource {
  return PLAIN_POLL.has(source);
}

/** A schedule of one's own follows no kind's default. */
const FOLLOWS_NO_DEFAULTS: Partial<Record<JobKind, KindDefaultsKey>> = Object.freeze({});

/** Per kind, the spec default its schedule is (by identity: `HYBRID_FALLBACK_POLL` passes the specs' own objects). */
function followedDefaults(
  scheduleOptions: PollOptions['schedules'],
): Partial<Record<JobKind, KindDefaultsKey>> {
  const followed: Partial<Record<JobKind, KindDefaultsKey>> = {};
  for (const kind of JOB_KINDS) {
    const given = scheduleOptions?.[kind];
    const { defaults } = kindSpec(kind);
    if (given === undefined || given === defaults.poll) followed[kind] = 'poll';
    else if (given === defaults.hybridPoll) followed[kind] = 'hybridPoll';
  }
  return followed;
}

/** `poll()` as made with no schedule option: every kind on its spec's `defaults.poll`. */
const FOLLOWS_EVERY_DEFAULT = Object.freeze(followedDefaults(undefined));

const BACKOFF_KEYS = ['initialDelayMs', 'factor', 'maxDelayMs', 'jitter', 'minDelayMs', 'growth'] as const;

/**
 * The last schedule set for every kind, with the option values it was resolved from: a fleet of watches each
 * given `poll(sameOptions)` shares one record instead of resolving and keeping its own (resolved schedules are
 * never changed, and the values, not the options object, are compared).
 */
let lastUniform: { readonly values: readonly unknown[]; readonly schedules: PollSchedules } | undefined;

/** One schedule for every kind, from the schedule fields of `options` (the default's where left out). */
function uniformSchedules(options: PollScheduleOptions): PollSchedules {
  const { growth } = options;
  const values = [
    options.initialDelayMs,
    options.factor,
    options.maxDelayMs,
    options.jitter,
    options.minDelayMs,
    growth === undefined,
    growth?.share,
    growth?.maxDelayMs,
  ];
  if (lastUniform?.values.every((value, i) => value === values[i])) return lastUniform.schedules;
  const one = resolvePollSchedule(options, DEFAULT_POLL_BACKOFF, 'poll()');
  const schedules = byKind(() => one);
  lastUniform = { values, schedules };
  return schedules;
}

export type { Outcome } from './poll-request.js';
export { exhausted, request } from './poll-request.js';
export type { KindDefaultsKey, PollDelays, PollSettings } from './watch-schedule.js';
export { fixedPolicy, WatchSchedule } from './watch-schedule.js';
