import { countsOf, isCount, type Progress } from '../progress.js';

/** A batch's progress, from its `request_counts`: requests done (`completed`, `failed`) out of `total`. */
export interface BatchProgress extends Progress {
  completed: number;
  failed: number;
}

/**
 * A batch's progress from its `request_counts` (`completed`, `failed`, `total`), or undefined when the object
 * carries none (a stub from a webhook, or an older server).
 */
export function batchProgress(job: unknown): BatchProgress | undefined {
  const counts = countsOf(job, 'request_counts');
  if (!counts) return undefined;
  const { completed, failed, total } = counts;
  if (!isCount(completed) || !isCount(failed) || !isCount(total)) return undefined;
  return { done: completed + failed, total, completed, failed };
}

/** What a batch adds to a snapshot: its `progress`, when its latest object has `request_counts`. */
export interface BatchExtras {
  progress?: BatchProgress;
}

/** A batch's snapshot extras from its latest object. */
export function batchExtras(job: unknown): BatchExtras {
  const progress = batchProgress(job);
  return progress ? { progress } : {};
}

export { progressKey } from '../progress.js';
