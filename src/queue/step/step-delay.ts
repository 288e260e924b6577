import { type BackoffPolicy, nextDelay } from '../../sources/backoff.js';
import { type PollSettings, poll } from '../../sources/poll.js';
import { WatchSchedule } from '../../sources/watch-schedule.js';
import type { WatchData } from '../watch-data.js';

/** What the delay before a watch's next scheduled read depends on, besides its stored data. */
export interface ScheduledDelayInput {
  /** One backoff for every kind (`createRunWorker({ poll })`); absent, each kind's own `poll()` schedule. */
  poll: BackoffPolicy | undefined;
  random(): number;
  /** Epoch ms, on the watch's clock. */
  now: number;
  /** The watcher gives up then (epoch ms): no delay goes past it. */
  deadline: number;
  /** The job's latest object (`created_at` tells its age), or undefined before the first read. */
  latest: unknown;
  /** This step began a new cycle with a nudge (a tool output submitted): a growing schedule starts short then. */
  nudged: boolean;
}

// Made once: what `poll()` resolves with no option (every kind's `defaults.poll`, defined kinds' too).
let kindSchedules: PollSettings | undefined;

/**
 * The delay in clock ms before the read of `data.poll.attempt`: the worker's one backoff when it was given one,
 * else the schedule `poll()` gives this kind and this job in process, through the same `WatchSchedule` (the growth
 * with the job's age, the jitter, a ref's own defaults such as a response's completion window). Nothing more is
 * stored for it: the age is the time since `startedAt`, plus how much older the job is, which its `created_at`
 * in the machine's latest object tells at any step (see `ageOffset`), so it survives every restore.
 */
export function scheduledDelay(data: WatchData, input: ScheduledDelayInput): number {
  const { random, now, deadline } = input;
  if (input.poll) return nextDelay(input.poll, data.poll.attempt, { random, now, deadline });
  kindSchedules ??= poll();
  const schedule = new WatchSchedule(kindSchedules, data.job, data.startedAt);
  if (input.latest !== undefined) schedule.observe({ job: input.latest, at: now });
  const next = schedule.policyFor(data.poll.attempt, now, random, input.nudged);
  return nextDelay(next.policy, next.attempt, { random, now, deadline });
}
