import { defer, tap } from 'rxjs';
import { ConfigurationError } from '../errors/configuration-error.js';
import { findKindSpec } from '../kinds/registry.js';
import { isJobTerminal } from '../model/states.js';
import type { JobRef, Source, StatusEvent } from '../model/types.js';
import { type BackoffOptions, type BackoffPolicy, DEFAULT_POLL_BACKOFF, nextDelay } from './backoff.js';
import type { DurationModel } from './duration-model.js';
import { ageOffset } from './job-age.js';
import { orderedSource } from './ordered-source.js';
import { type PollDelays, type PollOptions, poll } from './poll.js';
import {
  type DelayTarget,
  nextPollAt,
  type PlanOptions,
  type PollPlan,
  type ResolvedDelayTarget,
  resolveDelayTarget,
} from './poll-plan.js';

export {
  createDurationModel,
  type DurationModel,
  type DurationModelOptions,
} from './duration-model.js';
export {
  allowedDelay,
  DEFAULT_DELAY_TARGET,
  type DelayTarget,
  type DurationSample,
  nextPollAt,
  type PlanOptions,
  type PollPlan,
  planPolls,
  type ResolvedDelayTarget,
} from './poll-plan.js';

/** Options of {@link adaptivePoll}: the delay target, how jobs are grouped, and poll's retry settings. */
export interface AdaptivePollOptions extends DelayTarget, Pick<PollOptions, 'maxRetries' | 'retryBackoff'> {
  /**
   * The group a job's duration is learned in, from its ref and (after the first retrieve) its API object. Before
   * the first retrieve, and while a group has too few durations, the kind's group (`key(job, undefined)`) plans
   * instead.
   *
   * @defaultValue {@link durationKey}: the kind, plus the model (responses), the assistant (runs) or the endpoint
   * (batches)
   */
  key?: (job: JobRef, latest: unknown) => string;
  /**
   * The schedule until the model knows enough (and the floor of every delay).
   *
   * @defaultValue `poll()`'s
   */
  cold?: BackoffOptions;
  /**
   * Record the durations of the jobs this source sees end.
   *
   * @defaultValue `true`
   */
  learn?: boolean;
  /**
   * For a fallback beside webhooks: the share of terminal webhooks lost (see `PlanOptions`).
   *
   * @defaultValue `1`
   */
  webhookLoss?: number;
}

/** The adaptive poll source, with its resolved settings. */
export interface AdaptivePollSource extends Source {
  readonly name: 'poll';
  readonly model: DurationModel;
  readonly target: ResolvedDelayTarget;
  readonly cold: BackoffPolicy;
  /** What the model is asked for: the target, the floor, the webhook loss. */
  readonly planOptions: PlanOptions;
}

/**
 * The default group of a job's duration: its kind, and once its API object is known, the model of a response,
 * the assistant of a run or the endpoint of a batch (`response:gpt-4o-mini`, `assistants.run:asst_1`).
 */
export function durationKey(job: JobRef, latest: unknown): string {
  const detail = findKindSpec(job.kind)?.durationDetail(latest ?? {});
  return typeof detail === 'string' && detail !== '' ? `${job.kind}:${detail}` : job.kind;
}

/**
 * The delay before the next retrieve of an adaptive watch: the cold policy's while there is no plan; else the gap
 * to the plan's next poll after `ageMs`; after a nudge, whichever comes first (look again soon, as `poll` does).
 * Pure; the benchmark replays the source with it.
 */
export function adaptiveDelay(input: {
  plan: PollPlan | undefined;
  cold: BackoffPolicy;
  attempt: number;
  ageMs: number;
  nudged: boolean;
  random: () => number;
}): number {
  const { plan, cold, attempt, ageMs, nudged, random } = input;
  if (!plan) return nextDelay(cold, attempt, { random });
  const planned = nextPollAt(plan, ageMs) - ageMs;
  return nudged ? Math.min(planned, nextDelay(cold, attempt, { random })) : planned;
}

/**
 * Where a finished job's duration lies: after the last poll that saw it running, by the one that saw it end (ages
 * in ms), narrowed to within a second of `serverMs`, the duration the job's own whole-second timestamps give
 * (`completed_at − created_at`), when the two agree. Pure; the benchmark learns through it too.
 */
export function durationInterval(afterMs: number, byMs: number, serverMs?: number): [number, number] {
  if (serverMs === undefined || !Number.isFinite(serverMs)) return [afterMs, byMs];
  // Both timestamps are truncated to the second: the true duration is within 1 s of their difference.
  const lo = Math.max(afterMs, serverMs - 1000);
  const hi = Math.min(byMs, serverMs + 1000);
  return lo <= hi ? [lo, hi] : [afterMs, byMs];
}

/** The duration a terminal job's timestamps give (unix seconds: `created_at` to its `*_at` end), in ms. */
export function serverDurationMs(job: unknown): number | undefined {
  const o = (job ?? {}) as Record<string, unknown>;
  const created = o.created_at;
  if (typeof created !== 'number') return undefined;
  for (const field of ['completed_at', 'failed_at', 'expired_at', 'incomplete_at']) {
    const end = o[field];
    if (typeof end === 'number' && end >= created) return (end - created) * 1000;
  }
  return undefined;
}

/**
 * A poll source that learns how long jobs take and polls where they end: no early retrieves that can only read
 * `queued`, dense polls where most jobs finish, sparse ones in the tail, with a relative delay target for long
 * jobs such as batches. Until the model holds `minSamples` durations for the job's group it polls like `poll()`.
 * Everything else (retries, server hints, deadline, nudges, abort) is `poll()`'s. Each job it sees end (other than
 * cancelled) is recorded in the model, timed from the job's creation.
 * @example
 * const model = createDurationModel();
 * watchRun({ client, job: { kind: 'batch', id }, source: adaptivePoll(model, { targetDelay: 0.1 }) });
 */
export function adaptivePoll(model: DurationModel, options: AdaptivePollOptions = {}): AdaptivePollSource {
  const {
    key: keyOf = durationKey,
    cold: coldOptions = DEFAULT_POLL_BACKOFF,
    learn = true,
    webhookLoss = 1,
    maxRetries,
    retryBackoff,
    ...targetOptions
  } = options;
  const target = resolveDelayTarget(targetOptions, 'adaptivePoll()');
  const pollOptions = (delays?: PollDelays): PollOptions => ({
    ...coldOptions,
    ...(maxRetries === undefined ? {} : { maxRetries }),
    ...(retryBackoff === undefined ? {} : { retryBackoff }),
    ...(delays ? { delays } : {}),
  });
  // Validates the cold policy and the retry options now, not at the first watch.
  const cold = poll(pollOptions()).policy;
  if (!(Number.isFinite(webhookLoss) && webhookLoss >= 0 && webhookLoss <= 1)) {
    throw new ConfigurationError(`adaptivePoll(): webhookLoss must be in [0, 1], got ${webhookLoss}`);
  }
  const planOptions: PlanOptions = { ...target, minGapMs: cold.minDelayMs, webhookLoss };

  const source: AdaptivePollSource = {
    name: 'poll',
    model,
    target,
    cold,
    planOptions,
    watch: (ctx) =>
      defer(() => {
        const start = ctx.scheduler.now();
        const groupKey = keyOf(ctx.job, undefined);
        let key = groupKey;
        let offsetMs = 0;
        let observed = false;
        let lastRunningAge: number | undefined;
        let started = false;
        let nudged = false;
        const planFor = () =>
          model.plan(key, planOptions) ?? (key === groupKey ? undefined : model.plan(groupKey, planOptions));

        const delays: PollDelays = (attempt, elapsedMs) => {
          // Attempt 0 again means a nudge restarted the cycle.
          if (attempt === 0 && started) nudged = true;
          started = true;
          return adaptiveDelay({
            plan: planFor(),
            cold,
            attempt,
            ageMs: elapsedMs + offsetMs,
            nudged,
            random: ctx.random,
          });
        };

        const learnFrom = (event: StatusEvent) => {
          const elapsed = event.at - start;
          if (!observed) {
            observed = true;
            offsetMs = ageOffset(event.job, event.at, elapsed);
            key = keyOf(ctx.job, event.job);
          }
          const age = elapsed + offsetMs;
          if (!isJobTerminal(event.state)) {
            if (event.state !== undefined) lastRunningAge = age;
            return;
          }
          // A cancel says when someone gave up, not how long the job takes; a job already over when the watch
          // began (seen ending at once, long after its creation) says little more.
          if (!learn || event.state === 'cancelled') return;
          if (lastRunningAge === undefined && offsetMs > 0) return;
          const [after, by] = durationInterval(lastRunningAge ?? 0, age, serverDurationMs(event.job));
          model.recordBetween(after, by, key);
          if (key !== groupKey) model.recordBetween(after, by, groupKey);
        };

        return poll(pollOptions(delays)).watch(ctx).pipe(tap(learnFrom));
      }),
  };
  return orderedSource(source);
}
