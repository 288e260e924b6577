// runstate/client: follows watches from a browser. Browser-safe: it imports nothing from Node (the pack smoke test
// bundles it with esbuild --platform=browser and fails on any Node built-in).

export { FollowError } from '../errors/follow-error.js';
export { isRunstateError } from '../errors/runstate-error.js';
export type { JobKind, RunSnapshot, RunState } from '../model/types.js';
export { isNewerEventId, type Orderable, snapshotEventId } from './event-order.js';
export { type EventSourceLike, type FollowRunOptions, followRun } from './follow-run.js';
