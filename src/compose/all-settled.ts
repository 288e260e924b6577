import { defer, map, type OperatorFunction, reduce } from 'rxjs';
import type { AnyRunUpdate } from './run-update.js';

/**
 * Waits for every job to end, then emits once: the last update of each job, in the order the jobs first
 * appeared. That is the terminal snapshot (`done: true`, any outcome), an `error` update for a watch that
 * failed, or, after an abort, the last snapshot seen (`done: false`). An empty input gives `[]`. The updates keep
 * their type: for a mixed list of jobs, each snapshot's `kind` tells its job type.
 *
 * @example
 * const settled = await lastValueFrom(watchRuns(jobs, { client }).pipe(allSettled()));
 * const failed = settled.filter((u) => u.type === 'error' || u.snapshot.state !== 'completed');
 */
export function allSettled<Update extends AnyRunUpdate>(): OperatorFunction<Update, Update[]> {
  return (updates$) =>
    defer(() =>
      updates$.pipe(
        // A Map keeps each key where it was first set, so the result follows arrival order, not end order.
        reduce((last, update) => last.set(update.key, update), new Map<string, Update>()),
        map((last) => [...last.values()]),
      ),
    );
}
