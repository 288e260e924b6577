import {
  catchError,
  defer,
  EMPTY,
  expand,
  fromEvent,
  map,
  merge,
  mergeMap,
  Observable,
  of,
  switchMap,
  takeUntil,
  takeWhile,
  throwError,
  timer,
} from 'rxjs';
import { ConfigurationError } from '../errors/configuration-error.js';
import { classifyRequestError, type RequestFailure } from '../errors/from-api-error.js';
import { RetriesExhaustedError } from '../errors/retries-exhausted-error.js';
import { byKind, findKindSpec } from '../kinds/registry.js';
import { toStatusEvent } from '../kinds/to-status-event.js';
import { isJobTerminal } from '../model/states.js';
import type { Fetched, JobKind, Source, SourceContext, StatusEvent } from '../model/types.js';
import {
  type BackoffOptions,
  type BackoffPolicy,
  DEFAULT_POLL_BACKOFF,
  MAX_TIMER_MS,
  nextDelay,
  resolveBackoff,
} from './backoff.js';
import { JobAge } from './job-age.js';
import {
  type AgeGrowth,
  DEFAULT_POLL_SCHEDULES,
  type PollSchedule,
  type PollScheduleOptions,
  type PollSchedules,
  resolvePollSchedule,
  resolvePollSchedules,
  scheduleDelay,
} from './poll-schedule.js';
import { serverHintMs } from './server-hint.js';

/**
 * A custom poll schedule: the base delay in ms before the retrieve of `attempt` (0-based within the current
 * cycle; back to 0 after a nudge), given `elapsedMs` since the watch started. Called once per scheduled retrieve.
 * Server hints still raise the result, the policy's `minDelayMs` floors it (also for NaN or negative results),
 * and the deadline clips it, exactly as for backoff delays; retries after failures keep `retryBackoff`.
 */
export type PollDelays = (attempt: number, elapsedMs: number) => number;

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
export interface PollSource extends Source {
  readonly name: 'poll';
  /** The backoff of the responses' schedule (of every kind's, when a backoff was given); see `schedules`. */
  readonly policy: BackoffPolicy;
  /** The schedule each kind of job gets. */
  readonly schedules: PollSchedules;
  readonly retryPolicy: BackoffPolicy;
  readonly maxRetries: number;
  readonly immediate: boolean;
  /** The custom schedule, when one was given. */
  readonly delays: PollDelays | undefined;
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
    watch: (ctx) => watchByPolling(ctx, source),
  };
  return source;
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

/**
 * The schedule of a kind defined with `defineKind`, which the schedules by kind do not hold: the one schedule a
 * poll was given for every kind (all entries are that one object), else the kind's own `poll` defaults.
 */
function definedKindSchedule(schedules: PollSchedules, kind: string): PollSchedule {
  const [first, ...rest] = Object.values(schedules);
  if (first && rest.every((schedule) => schedule === first)) return first;
  const spec = findKindSpec(kind);
  return spec
    ? resolvePollSchedule(spec.defaults.poll, DEFAULT_POLL_BACKOFF, `${kind} poll`)
    : DEFAULT_POLL_SCHEDULES.response;
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
    private readonly source: PollSource,
    kind: JobKind,
    private readonly start: number,
  ) {
    this.age = new JobAge(start);
    this.schedule = source.schedules[kind] ?? definedKindSchedule(source.schedules, kind);
  }

  /** Learns the job's age from an event of the watch. */
  observe(event: StatusEvent): void {
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
}

/** Marks the end of a cycle because the deadline came: the whole source completes. */
const DEADLINE = Symbol('deadline');

/**
 * The result of one request, with the response headers (the shared budget in `budget.ts` reads the
 * `x-ratelimit-*` ones).
 */
export type Outcome =
  | { ok: true; event: StatusEvent; hintMs: number | undefined; headers: Headers }
  | {
      ok: false;
      failure: Extract<RequestFailure, { transient: true }>;
      hintMs: number | undefined;
      headers: Headers | undefined;
    };

/** One request within a cycle: which schedule attempt it served, and the consecutive failures so far. */
interface Step {
  attempt: number;
  failures: number;
  outcome: Outcome;
}

function watchByPolling(ctx: SourceContext, source: PollSource): Observable<StatusEvent> {
  return defer(() => {
    const start = ctx.scheduler.now();
    if (ctx.signal.aborted || start >= ctx.deadline) return EMPTY;
    // Each nudge starts a new cycle: switchMap drops the pending timer and aborts a request in flight.
    const schedule = new WatchSchedule(source, ctx.job.kind, start);
    const cycles$ = merge(
      of({ immediate: source.immediate, nudged: false }),
      ctx.nudge$.pipe(map(() => ({ immediate: false, nudged: true }))),
    );
    return cycles$.pipe(
      switchMap(({ immediate, nudged }) => pollCycle(ctx, source, schedule, immediate, nudged)),
      takeWhile((x): x is StatusEvent => x !== DEADLINE),
      takeWhile((event) => !isJobTerminal(event.state), true),
      takeUntil(fromEvent(ctx.signal, 'abort')),
    );
  });
}

/** Polls from attempt 0 (after the initial delay, or at once) until a terminal event, the deadline or an error. */
function pollCycle(
  ctx: SourceContext,
  source: PollSource,
  schedule: WatchSchedule,
  immediate: boolean,
  nudged: boolean,
): Observable<StatusEvent | typeof DEADLINE> {
  const delayFor = (policy: BackoffPolicy, attempt: number, hintMs?: number) =>
    nextDelay(policy, attempt, {
      random: ctx.random,
      now: ctx.scheduler.now(),
      deadline: ctx.deadline,
      hintMs,
    });
  const scheduled = (attempt: number, hintMs?: number) => {
    const next = schedule.policyFor(attempt, ctx.scheduler.now(), ctx.random, nudged);
    return delayFor(next.policy, next.attempt, hintMs);
  };

  const requestAfter = (
    delay: number,
    attempt: number,
    failures: number,
  ): Observable<Step | typeof DEADLINE> =>
    (delay > 0 ? timer(delay, ctx.scheduler) : of(0)).pipe(
      switchMap(() =>
        ctx.scheduler.now() >= ctx.deadline
          ? of(DEADLINE)
          : request(ctx).pipe(
              map((outcome): Step => ({ attempt, failures: outcome.ok ? 0 : failures + 1, outcome })),
            ),
      ),
    );

  const next = (step: Step | typeof DEADLINE): Observable<Step | typeof DEADLINE> => {
    if (step === DEADLINE) return EMPTY;
    const { outcome, attempt, failures } = step;
    if (outcome.ok) {
      schedule.observe(outcome.event);
      if (isJobTerminal(outcome.event.state)) return EMPTY;
      return requestAfter(scheduled(attempt + 1, outcome.hintMs), attempt + 1, 0);
    }
    if (failures > source.maxRetries) return throwError(() => exhausted(ctx, failures, outcome.failure));
    return requestAfter(delayFor(source.retryPolicy, failures - 1, outcome.hintMs), attempt, failures);
  };

  // With `immediate`, the first request is an extra one before attempt 0 of the schedule.
  const first$ = immediate ? requestAfter(0, -1, 0) : requestAfter(scheduled(0), 0, 0);
  return first$.pipe(
    expand(next),
    mergeMap((step) => (step === DEADLINE ? of(DEADLINE) : step.outcome.ok ? of(step.outcome.event) : EMPTY)),
  );
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

/**
 * One retrieve, counted, as an outcome; a final failure errors with its typed error; an abort ends quietly.
 * Unsubscribing aborts the request. Shared with the budgeted source (`budget.ts`); not part of the public API.
 */
export function request(ctx: SourceContext): Observable<Outcome> {
  return retrieve(ctx).pipe(
    map(
      ({ job, headers, at }): Outcome => ({
        ok: true,
        event: toStatusEvent(ctx.adapter, job, at, 'poll'),
        hintMs: serverHintMs(headers, at),
        headers,
      }),
    ),
    catchError((e: unknown) => {
      // The watch is stopping: the rejection is the abort we caused, not a fact about the job.
      if (ctx.signal.aborted) return EMPTY;
      const failure = classifyRequestError(e, ctx.job, ctx.adapter.describe(ctx.job));
      if (!failure.transient) return throwError(() => failure.error);
      return of<Outcome>({
        ok: false,
        failure,
        hintMs: serverHintMs(failure.headers, ctx.scheduler.now()),
        headers: failure.headers,
      });
    }),
  );
}

/** Counts and sends one retrieve; unsubscribing aborts it (a nudge, or the subscriber leaving). */
function retrieve(ctx: SourceContext): Observable<Fetched<unknown>> {
  return new Observable<Fetched<unknown>>((subscriber) => {
    // One controller per request, linked by hand to the watch's signal: AbortSignal.any would keep one dependent
    // signal per request alive on the watch's long-lived signal.
    const controller = new AbortController();
    const abort = () => controller.abort(ctx.signal.reason);
    if (ctx.signal.aborted) abort();
    else ctx.signal.addEventListener('abort', abort, { once: true });
    const teardown = () => {
      ctx.signal.removeEventListener('abort', abort);
      controller.abort();
    };
    ctx.meter.add();
    let response: Promise<{ job: unknown; headers: Headers }>;
    try {
      response = ctx.adapter.retrieve(ctx.client, ctx.job, { signal: controller.signal });
    } catch (e) {
      subscriber.error(e);
      return teardown;
    }
    response.then(
      ({ job, headers }) => {
        subscriber.next({ job, headers, at: ctx.scheduler.now() });
        subscriber.complete();
      },
      (e: unknown) => subscriber.error(e),
    );
    return teardown;
  });
}

/** The error of a watch whose retries ran out (shared with `budget.ts`). */
export function exhausted(
  ctx: SourceContext,
  failures: number,
  failure: Extract<RequestFailure, { transient: true }>,
): RetriesExhaustedError {
  const last = failure.status === undefined ? 'a network error' : `HTTP ${failure.status}`;
  return new RetriesExhaustedError(
    `${ctx.adapter.describe(ctx.job)}: ${failures} requests in a row failed (last: ${last}); the job's outcome is unknown. Check the API's status, or raise poll({ maxRetries })`,
    failures,
    { job: ctx.job, status: failure.status, cause: failure.cause },
  );
}
