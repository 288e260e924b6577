// runstate: watch asynchronous OpenAI jobs until they end. This file is the whole public API.

// ── machine ────────────────────────────────────────────────────────────────────────────────────────────────
export {
  type RunMachineContext,
  type RunMachineEmitted,
  type RunMachineEvent,
  type RunMachineInput,
  runMachine,
} from '../machines/run.machine.js';

// ── watch ──────────────────────────────────────────────────────────────────────────────────────────────────
export {
  type ReplayRunOptions,
  type ReplayStep,
  replayRun,
  type ScriptedStatus,
} from './watch/replay-run.js';
export type { StandardSchemaV1 } from './tools/standard-schema.js';
export {
  type SchemaTool,
  type ToolCallContext,
  type ToolErrorPolicy,
  type ToolHandler,
  type ToolHandlers,
  tool,
} from './tools/tools.js';
export { waitForRun } from './watch/wait-for-run.js';
export {
  DEFAULT_MAX_WAIT_MS,
  type PersistedWatch,
  type WatchRunOptions,
  watchRun,
} from './watch/watch-run.js';

// ── compose ────────────────────────────────────────────────────────────────────────────────────────────────
export {
  allSettled,
  type FirstCompletedOptions,
  firstCompleted,
  type JobsInput,
  jobKey,
  progress,
  type RunErrorUpdate,
  type RunProgress,
  type RunSnapshotUpdate,
  type RunUpdate,
  type UpdateOf,
  type WatchRunsOptions,
  watchRuns,
} from './compose/index.js';

// ── sources ────────────────────────────────────────────────────────────────────────────────────────────────
export {
  type AdaptivePollOptions,
  type AdaptivePollSource,
  adaptivePoll,
  allowedDelay,
  createDurationModel,
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
} from './sources/adaptive.js';
export {
  type BackoffOptions,
  type BackoffPolicy,
  backoffSchedule,
  DEFAULT_POLL_BACKOFF,
  type Jitter,
  nextDelay,
  resolveBackoff,
} from './sources/backoff.js';
export {
  type BudgetedPollSource,
  type BudgetPriority,
  createPollBudget,
  type PollBudget,
  type PollBudgetOptions,
  type PollBudgetStats,
} from './sources/budget.js';
export { HYBRID_FALLBACK_POLL, type HybridOptions, hybrid, hybridStream } from './sources/hybrid.js';
export { type PollOptions, type PollSource, poll } from './sources/poll.js';
export {
  type AgeGrowth,
  DEFAULT_POLL_SCHEDULES,
  type PollSchedule,
  type PollScheduleOptions,
  type PollSchedules,
  scheduleDelay,
} from './sources/poll-schedule.js';
export {
  DEFAULT_RECONNECT_BACKOFF,
  type StreamOptions,
  type StreamSource,
  stream,
} from './sources/stream.js';
export {
  type WebhookFetchPolicy,
  type WebhookSource,
  type WebhookSourceOptions,
  webhookSource,
} from './sources/webhook.js';

// ── webhooks ───────────────────────────────────────────────────────────────────────────────────────────────
export {
  createWebhookHub,
  createWebhookVerifier,
  DEFAULT_IDEMPOTENCY_TTL_MS,
  type IdempotencyStore,
  type MemoryIdempotencyStoreOptions,
  memoryIdempotencyStore,
  type RedisIdempotencyStoreOptions,
  type RedisSetClient,
  redisIdempotencyStore,
  type WebhookClient,
  type WebhookEvent,
  type WebhookHub,
  type WebhookHubOptions,
  type WebhookHubStats,
  type WebhookRefusal,
  type WebhookRoutes,
  type WebhookVerifier,
  type WebhookVerifierOptions,
} from './webhooks/index.js';

// ── kinds ──────────────────────────────────────────────────────────────────────────────────────────────────
export { adapters, assistantsRun, batch, response } from './kinds/index.js';

// ── batches ────────────────────────────────────────────────────────────────────────────────────────────────
export { readLines } from './batches/lines.js';
export { type BatchResult, type BatchResultsOptions, batchResults } from './batches/results.js';

// ── errors ─────────────────────────────────────────────────────────────────────────────────────────────────
export {
  AbortedError,
  AuthenticationError,
  BadRequestError,
  BatchNotEndedError,
  ConfigurationError,
  isRunstateError,
  MalformedResultLineError,
  NotFoundError,
  RetriesExhaustedError,
  RunNotCompletedError,
  RunstateError,
  type RunstateErrorCode,
  ToolHandlerError,
  WebhookVerificationError,
} from './errors/index.js';

// ── types ──────────────────────────────────────────────────────────────────────────────────────────────────
export type {
  ActiveState,
  BatchProgress,
  JobKind,
  JobOf,
  JobRef,
  JobState,
  JobTypes,
  KindOfJob,
  KindAdapter,
  RequestMeter,
  RunSnapshot,
  RunState,
  SnapshotOf,
  Source,
  SourceContext,
  SourceName,
  StatusEvent,
  TerminalState,
  ToolCall,
  ToolOutput,
} from './model/types.js';
