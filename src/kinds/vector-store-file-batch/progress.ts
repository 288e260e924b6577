import { countsOf, isCount, type Progress } from '../progress.js';

/** A vector store file batch's progress, from its `file_counts`: files processed out of `total`. */
export interface FileBatchProgress extends Progress {
  in_progress: number;
  completed: number;
  failed: number;
  cancelled: number;
}

/** A file batch's progress from its `file_counts`, or undefined when the object carries none. */
export function fileBatchProgress(job: unknown): FileBatchProgress | undefined {
  const counts = countsOf(job, 'file_counts');
  if (!counts) return undefined;
  const { in_progress, completed, failed, cancelled, total } = counts;
  if (![in_progress, completed, failed, cancelled, total].every(isCount)) return undefined;
  const [c, f, x] = [completed as number, failed as number, cancelled as number];
  return {
    done: c + f + x,
    total: total as number,
    in_progress: in_progress as number,
    completed: c,
    failed: f,
    cancelled: x,
  };
}

/** What a file batch adds to a snapshot: its `progress`. */
export interface FileBatchExtras {
  progress?: FileBatchProgress;
}

/** A file batch's snapshot extras from its latest object. */
export function fileBatchExtras(job: unknown): FileBatchExtras {
  const progress = fileBatchProgress(job);
  return progress ? { progress } : {};
}
