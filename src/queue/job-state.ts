import type { Job } from 'bullmq';

/** Where a watch's BullMQ job stands, as far as runstate acts on it. */
export type WatchJobState = 'completed' | 'failed' | 'delayed' | 'pending';

/**
 * The job's state from three sorted-set lookups (ZSCORE), sent together. BullMQ's `getState` also looks for the
 * job in the wait and active lists with LPOS, a scan of the list: with 100,000 watches waiting, 0.4 ms of Redis's
 * one thread per call, and every observer and webhook asked it (the 100,000-job bench's Redis at 87% CPU, LPOS the
 * first of its commands). Waiting, active and prioritized are all `pending` here: nothing runstate does tells them
 * apart.
 */
export async function watchJobState(job: Job): Promise<WatchJobState> {
  const [completed, failed, delayed] = await Promise.all([
    job.isCompleted(),
    job.isFailed(),
    job.isDelayed(),
  ]);
  if (completed) return 'completed';
  if (failed) return 'failed';
  return delayed ? 'delayed' : 'pending';
}
