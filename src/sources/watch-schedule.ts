import { findKindSpec, JOB_KINDS, kindSpec, specFor } from '../kinds/registry.js';
import type { JobKind, JobRef, SourceContext, StatusEvent } from '../model/types.js';
import { type BackoffPolicy, DEFAULT_POLL_BACKOFF, MAX_TIMER_MS, nextDelay } from './backoff.js';
import { JobAge } from './job-age.js';
import {
  DEFAULT_POLL_SCHEDULES,
  type PollSchedule,
  type PollSchedules,
  resolvePollSchedule,
  scheduleDelay,
} from './poll-schedule.js';

/**
 * A custom poll schedule: the base delay in ms before the retrieve of `attempt` (0-based within the current
 * cycle; back to 0 after a nudge), given `elapsedMs` since the watch started. Called once per scheduled retrieve.
 * Server hints still raise the result, the policy's `minDelayMs` floors it (also for NaN or negative results),
 * and the deadline clips it, exactly as for backoff delays; retries after failures keep `retryBackoff`.
 */
export type PollDelays = (attempt: number, elapsedMs: number) => number;

/** What a poll watch's schedule and retries follow: the resolved settings of a `poll()` source. */
export interface PollSettings {
  /** The backoff of the responses' schedule (of every kind's, when a backoff was given); see `schedules`. */
  readonly policy: BackoffPolicy;
  /** The schedule each kind of job gets. */
  readonly schedules: PollSchedules;
  readonly retryPolicy: BackoffPolicy;
  readonly maxRetries: number;
  readonly immediate: boolean;
  /** The custom schedule, when one was given. */
  readonly delays: PollDelays | undefined;
  /**
   * The kinds whose schedule is one of their spec's defaults (`poll`, or the hybrid's `hybridPoll`) rather than the
   * caller's: a job of such a kind whose ref chose other defaults (a response with a `2h` or `8h` completion
   * window) gets those instead.
   */
  readonly kindDefaults?: Readonly<Partial<Record<JobKind, KindDefaultsKey>>>;
}

/** Which of a kind's default schedules a poll source follows. */
export type KindDefaultsKey = 'poll' | 'hybridPoll';

/**
 * The schedule of a kind defined with `defineKind`, which the schedules by kind do not hold: the one schedule a
 * poll was given for every kind (all entries are that one object), else the kind's own defaults: its `hybridPoll`
 * when the poll follows the kinds' hybrid defaults (`HYBRID_FALLBACK_POLL`, hybrid's safety net), its `poll` when
 * it follows their poll defaults.
 */
function definedKindSchedule(source: PollSettings, kind: string): PollSchedule {
  const [first, ...rest] = Object.values(source.schedules);
  if (first && rest.every((schedule) => schedule === first)) return first;
  const spec = findKindSpec(kind);
  if (!spec) return DEFAULT_POLL_SCHEDULES.response;
  const followed = JOB_KINDS.map((k) => source.kindDefaults?.[k]);
  const key =
    followed.every((f) => f !== undefined) && followed.includes('hybridPoll') ? 'hybridPoll' : 'poll';
  return resolvePollSchedule(spec.defaults[key], DEFAULT_POLL_BACKOFF, `${kind} ${key}`);
}

/**
 * The schedule of one watch: the base delay before each scheduled retrieve, from the custom `delays` (time since
 * the watch began) or the kind's schedule (the job's age, known from its `created_at` after the first retrieve).
 * Shared with the budgeted source (`budget.ts`).
 */
export class WatchSchedule {
  private readonly age: JobAge;
  private readonly schedule: PollSchedule;

  constructor(
    private readonly source: PollSettings,
    job: JobRef,
    private readonly start: number,
  ) {
    this.age = new JobAge(start);
    this.schedule = source.schedules[job.kind] ?? definedKindSchedule(source, job.kind);
    // A ref that chose its own defaults (a response's completion window) replaces the kind's default schedule,
    // never one the caller gave.
    const followed = source.kindDefaults?.[job.kind];
    const own = specFor(job).defaults;
    if (followed && own !== kindSpec(job.kind).defaults) {
      this.schedule = resolvePollSchedule(
        own[followed],
        DEFAULT_POLL_BACKOFF,
        `${job.kind} defaults.${followed}`,
      );
    }
  }

  /** Learns the job's age from an event of the watch (or, for a durable watch's step, its latest object). */
  observe(event: Pick<StatusEvent, 'job' | 'at'>): void {
    this.age.observe(event.job, event.at);
  }

  /**
   * The policy and attempt to pass to `nextDelay` (with the hint and the deadline) for scheduled retrieve
   * `attempt` at epoch ms `now`; `nudged`: this cycle began with a nudge.
   */
  policyFor(
    attempt: number,
    now: number,
    random: () => number,
    nudged: boolean,
  ): { policy: BackoffPolicy; attempt: number } {
    const { source, schedule } = this;
    if (source.delays)
      return { policy: fixedPolicy(source.policy, source.delays(attempt, now - this.start)), attempt: 0 };
    if (!schedule.growth) return { policy: schedule.backoff, attempt };
    const base = scheduleDelay(schedule, attempt, this.age.at(now), random, nudged);
    return { policy: fixedPolicy(schedule.backoff, base), attempt: 0 };
  }

  /** The delay before scheduled retrieve `attempt` of the watch of `ctx`, its deadline and the server's hint applied. */
  delay(ctx: DelayContext, attempt: number, nudged: boolean, hintMs: number | undefined): number {
    const next = this.policyFor(attempt, ctx.scheduler.now(), ctx.random, nudged);
    return delayIn(ctx, next.policy, next.attempt, hintMs);
  }
}

/** What of a watch's context a delay depends on. */
type DelayContext = Pick<SourceContext, 'random' | 'scheduler' | 'deadline'>;

/** `nextDelay` for a watch: its random source, its clock and its deadline, and the server's hint. */
export function delayIn(
  ctx: DelayContext,
  policy: BackoffPolicy,
  attempt: number,
  hintMs: number | undefined,
): number {
  return nextDelay(policy, attempt, {
    random: ctx.random,
    now: ctx.scheduler.now(),
    deadline: ctx.deadline,
    hintMs,
  });
}

/**
 * A custom delay as a one-step policy without jitter, so it goes through `nextDelay` like any backoff delay (floor,
 * hint, rounding, deadline). A delay that is not a number > 0 falls to the floor (never a tight loop); Infinity
 * waits as long as a timer can, which the deadline clips. Shared with `budget.ts`.
 */
export function fixedPolicy(policy: BackoffPolicy, delayMs: number): BackoffPolicy {
  const base = delayMs > 0 ? Math.min(delayMs, MAX_TIMER_MS) : policy.minDelayMs;
  return { ...policy, initialDelayMs: base, factor: 1, maxDelayMs: base, jitter: 'none' };
}
