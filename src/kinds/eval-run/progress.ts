import { countsOf, isCount, type Progress } from '../progress.js';

/** An eval run's progress, from its `result_counts`: output items graded (`passed`, `failed`, `errored`). */
export interface EvalProgress extends Progress {
  passed: number;
  failed: number;
  errored: number;
}

/** An eval run's progress from its `result_counts`, or undefined when the object carries none (a webhook's stub). */
export function evalProgress(job: unknown): EvalProgress | undefined {
  const counts = countsOf(job, 'result_counts');
  if (!counts) return undefined;
  const { passed, failed, errored, total } = counts;
  if (!isCount(passed) || !isCount(failed) || !isCount(errored) || !isCount(total)) return undefined;
  return { done: passed + failed + errored, total, passed, failed, errored };
}

/** What an eval run adds to a snapshot: its `progress`. */
export interface EvalExtras {
  progress?: EvalProgress;
}

/** An eval run's snapshot extras from its latest object. */
export function evalExtras(job: unknown): EvalExtras {
  const progress = evalProgress(job);
  return progress ? { progress } : {};
}
