/**
 * `runstate/queue`: durable watches on BullMQ. Watches are data in Redis, stepped by any number of workers.
 */

// ── errors ──────────────────────────────────────────────────────────────────────────────────────────────────
export { QueueUnavailableError } from '../errors/queue-unavailable-error.js';
export { WatchDataError } from '../errors/watch-data-error.js';
export { WatchNotFoundError } from '../errors/watch-not-found-error.js';
// ── identity and data ───────────────────────────────────────────────────────────────────────────────────────
export { watchJobId } from './job-id.js';
// ── queue ───────────────────────────────────────────────────────────────────────────────────────────────────
export {
  createRunQueue,
  type QueueWatchOptions,
  type RunQueue,
  type RunQueueOptions,
  type WatchCounts,
} from './queue/run-queue.js';
export type { WatchData } from './watch-data.js';
// ── webhooks ────────────────────────────────────────────────────────────────────────────────────────────────
export { connectHub, type HubBridge } from './webhooks/webhook-bridge.js';
export type { QueueWebhookFetch } from './webhooks/webhook-inbox.js';
// ── worker ──────────────────────────────────────────────────────────────────────────────────────────────────
export { createRunWorker, type RunWorker, type RunWorkerOptions } from './worker/run-worker.js';
