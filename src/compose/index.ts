export { allSettled } from './all-settled.js';
export { type FirstCompletedOptions, firstCompleted } from './first-completed.js';
export { jobKey } from './job-key.js';
export { progress, type RunProgress } from './progress.js';
export type {
  AnyRunUpdate,
  DefinedUpdate,
  RunErrorUpdate,
  RunSnapshotUpdate,
  RunUpdate,
  UpdateOf,
} from './run-update.js';
export { type JobsInput, type WatchRunsOptions, watchRuns } from './watch-runs.js';
