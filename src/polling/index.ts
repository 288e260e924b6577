// runstate/polling: the timing behind the sources, for those who tune or plan polls themselves. The sources that
// use it (poll, adaptivePoll, createPollBudget, stream, hybrid) are exported by `runstate`.

// ── discounted background windows ──────────────────────────────────────────────────────────────────────────
export {
  COMPLETION_WINDOWS,
  type CompletionWindow,
  windowDefaults,
} from '../kinds/response/completion-window.js';
// ── learned plans ──────────────────────────────────────────────────────────────────────────────────────────
export {
  type AdaptivePollSource,
  allowedDelay,
  DEFAULT_DELAY_TARGET,
  type DelayTarget,
  type DurationModel,
  type DurationModelOptions,
  type DurationSample,
  durationKey,
  nextPollAt,
  type PlanOptions,
  type PollPlan,
  planPolls,
  type ResolvedDelayTarget,
} from '../sources/adaptive.js';
// ── schedules and backoff ──────────────────────────────────────────────────────────────────────────────────
export {
  type BackoffOptions,
  type BackoffPolicy,
  backoffSchedule,
  DEFAULT_POLL_BACKOFF,
  type Jitter,
  nextDelay,
  resolveBackoff,
} from '../sources/backoff.js';
// ── the sources' own settings ──────────────────────────────────────────────────────────────────────────────
export type {
  BudgetedPollSource,
  BudgetPriority,
  PollBudget,
  PollBudgetStats,
} from '../sources/budget.js';
export { HYBRID_FALLBACK_POLL } from '../sources/hybrid.js';
export type { KindDefaultsKey, PollSource } from '../sources/poll.js';
export {
  type AgeGrowth,
  DEFAULT_POLL_SCHEDULES,
  type PollSchedule,
  type PollScheduleOptions,
  type PollSchedules,
  scheduleDelay,
} from '../sources/poll-schedule.js';
export { DEFAULT_RECONNECT_BACKOFF, type StreamSource } from '../sources/stream.js';
export { DEFAULT_MAX_WAIT_MS } from '../watch/watch-run.js';
