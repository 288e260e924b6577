import type { Job } from 'bullmq';
import type { Observable, Subscription } from 'rxjs';
import { isNewerEventId, snapshotEventId } from '../client/event-order.js';
import type { RunUpdate } from '../compose/run-update.js';
import { NO_STATES } from '../model/states.js';
import type { JobRef, RunSnapshot, RunState } from '../model/types.js';
import { currentSnapshot, isSnapshot } from '../queue/observe/current-snapshot.js';
import type { RunQueue } from '../queue/queue/run-queue.js';
import type { WatchData } from '../queue/watch-data.js';
import { toWatchView, type WatchView, type WatchViewOptions } from './watch-view.js';

/** Counts the page shows: by state, plus what a queue counts apart (not stepped yet, stopped, failed watches). */
export interface BoardCounts {
  byState: Record<RunState, number>;
  starting: number;
  stopped: number;
  errors: number;
}

/** Where a dashboard reads its watches: a queue, or watches of this process. */
export interface BoardFeed {
  list(limit: number): Promise<{ watches: WatchView[]; counts: BoardCounts }>;
  /** The snapshots seen of one watch, oldest first; undefined for a key the feed does not know. */
  timeline(key: string): WatchView[] | undefined;
  /** Stops the watch of `key` (the queue's `cancel`); false for a key the feed does not know. */
  cancel(key: string): Promise<boolean>;
  close(): void;
}

// A timeline keeps the last snapshots of a watch; the page shows a watch's story, not an archive.
const TIMELINE_LENGTH = 200;

/** Timelines by key, each ordered by the snapshots' event ids: a snapshot seen twice is kept once. */
function timelines(options: WatchViewOptions) {
  const byKey = new Map<string, { ids: string[]; views: WatchView[] }>();
  return {
    record(snapshot: RunSnapshot, startedAt: number) {
      const line = byKey.get(snapshot.id) ?? { ids: [], views: [] };
      byKey.set(snapshot.id, line);
      const id = snapshotEventId(snapshot);
      if (!isNewerEventId(id, line.ids.at(-1))) return;
      line.ids.push(id);
      line.views.push(toWatchView(snapshot, startedAt, options));
      if (line.views.length > TIMELINE_LENGTH) {
        line.ids.shift();
        line.views.shift();
      }
    },
    get: (key: string) => byKey.get(key)?.views,
  };
}

const LISTED = ['active', 'waiting', 'delayed', 'prioritized', 'completed', 'failed'] as const;

/**
 * A queue's watches: listed from BullMQ's jobs (their stored snapshot), counted by `queue.counts()`, and each watch
 * still going on observed (`queue.observe`, one per watch) so that its timeline holds every change from the moment
 * the dashboard first listed it.
 */
export function queueFeed(queue: RunQueue, options: WatchViewOptions): BoardFeed {
  const lines = timelines(options);
  const refs = new Map<string, JobRef>();
  const following = new Map<string, Subscription>();
  return {
    async list(limit) {
      const [jobs, counts] = await Promise.all([
        queue.queue.getJobs([...LISTED], 0, limit - 1),
        queue.counts(),
      ]);
      const watches: WatchView[] = [];
      for (const job of jobs as Job[]) {
        const data = job.data as WatchData | undefined;
        if (!data?.job) continue;
        const snapshot = isSnapshot(job.returnvalue) ? job.returnvalue : currentSnapshot(job);
        const view = toWatchView(snapshot, data.startedAt, options);
        if (job.failedReason && !view.error) view.error = 'the watch failed (see the worker log)';
        watches.push(view);
        refs.set(view.key, data.job);
        lines.record(snapshot, data.startedAt);
        if (!snapshot.done && !job.failedReason && !following.has(view.key)) {
          following.set(
            view.key,
            queue.observe(data.job).subscribe({
              next: (s) => lines.record(s, data.startedAt),
              error: () => following.delete(view.key),
              complete: () => following.delete(view.key),
            }),
          );
        }
      }
      const { byState, starting, stopped, errors } = counts;
      return { watches, counts: { byState, starting, stopped, errors } };
    },
    timeline: (key) => lines.get(key),
    async cancel(key) {
      const ref = refs.get(key);
      if (!ref) return false;
      await queue.cancel(ref);
      return true;
    },
    close() {
      for (const s of following.values()) s.unsubscribe();
      following.clear();
    },
  };
}

/** Watches of this process: the updates of `watchRuns` (or any Observable of them), as they come. */
export function updatesFeed(updates: Observable<RunUpdate>, options: WatchViewOptions): BoardFeed {
  const lines = timelines(options);
  // `failed`: why the watch itself failed (not the job), for a watch that ended with an error update.
  const latest = new Map<string, { snapshot: RunSnapshot; startedAt: number; failed: string | undefined }>();
  // Watches that failed before their first snapshot: nothing to list, but counted.
  const failedUnseen = new Set<string>();
  const subscription = updates.subscribe((u) => {
    if (!u.snapshot) {
      if (u.type === 'error' && !latest.has(u.key)) failedUnseen.add(u.key);
      return;
    }
    failedUnseen.delete(u.key);
    const startedAt = latest.get(u.key)?.startedAt ?? u.snapshot.at;
    latest.set(u.key, {
      snapshot: u.snapshot,
      startedAt,
      failed: u.type === 'error' ? watchFailure(u.error) : undefined,
    });
    lines.record(u.snapshot, startedAt);
  });
  return {
    async list(limit) {
      const byState = { ...NO_STATES };
      let errors = failedUnseen.size;
      const watches: WatchView[] = [];
      for (const { snapshot, startedAt, failed } of latest.values()) {
        if (failed) errors++;
        else byState[snapshot.state]++;
        if (watches.length >= limit) continue;
        const view = toWatchView(snapshot, startedAt, options);
        // Its last snapshot's state is not where the job is: the watch stopped there. Say so on its row.
        if (failed && !view.error) view.error = failed;
        watches.push(view);
      }
      return { watches, counts: { byState, starting: 0, stopped: 0, errors } };
    },
    timeline: (key) => lines.get(key),
    // A watch of this process is stopped by whoever subscribed to it (its AbortSignal), not from a page.
    cancel: async () => false,
    close: () => subscription.unsubscribe(),
  };
}

/** What the page says of a watch that failed: its error's code, not its message (which may quote a request). */
function watchFailure(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return `the watch failed (${typeof code === 'string' ? code : 'error'})`;
}
