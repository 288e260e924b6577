// runstate: watch asynchronous OpenAI jobs until they end. This file is the public API a user calls; the tuning
// math is in `runstate/polling`, webhook plumbing in `runstate/webhooks`, the machine's vocabulary in
// `runstate/machine` (test/package-exports.test.ts keeps this root at 60 names or fewer).

// ── machine ────────────────────────────────────────────────────────────────────────────────────────────────
export { runMachine } from '../machines/run.machine.js';

// ── watch ──────────────────────────────────────────────────────────────────────────────────────────────────
export { type ReplayRunOptions, replayRun } from './watch/replay-run.js';
export { waitForRun } from './watch/wait-for-run.js';
export { type PersistedWatch, type WatchRunOptions, watchRun } from './watch/watch-run.js';

// ── tools ──────────────────────────────────────────────────────────────────────────────────────────────────
export type { ApprovalHandler } from './tools/approvals.js';
export { type ToolCallContext, type ToolHandler, type ToolHandlers, tool } from './tools/tools.js';

// ── compose ────────────────────────────────────────────────────────────────────────────────────────────────
export {
  allSettled,
  type FirstCompletedOptions,
  firstCompleted,
  jobKey,
  progress,
  type RunProgress,
  type RunUpdate,
  type WatchRunsOptions,
  watchRuns,
} from './compose/index.js';

// ── sources ────────────────────────────────────────────────────────────────────────────────────────────────
export { type AdaptivePollOptions, adaptivePoll, createDurationModel } from './sources/adaptive.js';
export { createPollBudget, type PollBudgetOptions } from './sources/budget.js';
export { type HybridOptions, hybrid, hybridStream } from './sources/hybrid.js';
export { type PollOptions, poll } from './sources/poll.js';
export { type StreamOptions, stream } from './sources/stream.js';
export { type WebhookSourceOptions, webhookSource } from './sources/webhook.js';

// ── webhooks ───────────────────────────────────────────────────────────────────────────────────────────────
export { createWebhookHub, type WebhookHub, type WebhookHubOptions } from './webhooks/hub.js';

// ── batches ────────────────────────────────────────────────────────────────────────────────────────────────
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
export type { JobKind, JobRef, RunSnapshot, RunState, Source } from './model/types.js';
