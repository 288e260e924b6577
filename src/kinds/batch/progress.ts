/** A batch's progress, from its `request_counts`: requests done (`completed`, `failed`) out of `total`. */
export interface BatchProgress {
  completed: number;
  failed: number;
  total: number;
}

/**
 * A batch's progress from its `request_counts` (`completed`, `failed`, `total`), or undefined when the object
 * carries none (a stub from a webhook, or an older server).
 */
export function batchProgress(job: unknown): BatchProgress | undefined {
  const counts = (job as { request_counts?: unknown } | null | undefined)?.request_counts;
  if (typeof counts !== 'object' || counts === null) return undefined;
  const { completed, failed, total } = counts as Record<string, unknown>;
  const count = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  if (!count(completed) || !count(failed) || !count(total)) return undefined;
  return { completed: completed as number, failed: failed as number, total: total as number };
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

/** A batch's counts moving is news, even in the same status. */
export const progressKey = ({ progress }: BatchExtras): string =>
  progress ? `${progress.completed}/${progress.failed}/${progress.total}` : '';
