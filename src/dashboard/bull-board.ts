import { currentSnapshot } from '../queue/observe/current-snapshot.js';
import type { WatchData } from '../queue/watch-data.js';
import { toWatchView, type WatchView } from './watch-view.js';

/**
 * runstate's job data, for bull-board's `setFormatter('data', …)`: the watch as the dashboard shows it (kind, job,
 * state, status, requests, note, progress, error) instead of the raw machine snapshot, which is long and holds the
 * API object. Data that is not a watch passes through unchanged.
 *
 * @example
 * const adapter = new BullMQAdapter(queue.queue, { readOnlyMode: true });
 * adapter.setFormatter('data', formatWatchData);
 */
export function formatWatchData(data: unknown): WatchView | unknown {
  const watch = data as WatchData | undefined;
  if (!watch || typeof watch !== 'object' || watch.v !== 1 || !watch.job) return data;
  // currentSnapshot reads only `data` and `progress` of the job it is given.
  const job = { data: watch, progress: undefined } as unknown as Parameters<typeof currentSnapshot>[0];
  const snapshot = currentSnapshot(job);
  return toWatchView(snapshot, watch.startedAt);
}
