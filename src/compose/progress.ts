import { defer, filter, map, type OperatorFunction } from 'rxjs';
import { findKindSpec } from '../kinds/registry.js';
import { NO_STATES } from '../model/states.js';
import type { BatchProgress, KindProgress, RunState } from '../model/types.js';
import type { AnyRunUpdate } from './run-update.js';

/**
 * Where a set of jobs stands, as `progress()` emits it.
 *
 * @example
 * { total: 20, done: 12, errors: 1, byState: { completed: 9, failed: 2, in_progress: 8, queued: 0, … } }
 */
export interface RunProgress {
  /**
   * Jobs known so far: every job of a list from the first update on, those waiting for a slot under `concurrency`
   * included; jobs that arrived so far for an Observable.
   */
  total: number;
  /** Jobs known but not watched yet (waiting for a slot under `concurrency`): they count in `total` only. */
  waiting: number;
  /** Jobs in a terminal state (`snapshot.done`), plus jobs whose watch failed: `total - done` are still going. */
  done: number;
  /** Jobs whose watch failed (`error` updates); they count in `done`, not in `byState`. */
  errors: number;
  /** Jobs by their latest state; every state is present. `sum(byState) + errors + waiting === total`. */
  byState: Record<RunState, number>;
  /**
   * The requests of the batches among the jobs, summed from their latest `request_counts` (`snapshot.progress`):
   * present once a batch has reported some.
   */
  requests?: BatchProgress;
}

/** A job as counted: its latest state, whether it is done and a batch's request counts; or `error`. */
type Standing = { state: RunState; done: boolean; requests: BatchProgress | undefined } | 'error';

/**
 * Counts jobs by state as their updates arrive, emitting a fresh `RunProgress` on each change of the counts
 * (an update that changes no count, a new status within the same state for instance, emits nothing).
 *
 * @example
 * watchRuns(jobs, { client })
 *   .pipe(progress())
 *   .subscribe(({ done, total, byState }) => console.log(`${done}/${total}, ${byState.failed} failed`));
 */
export function progress(): OperatorFunction<AnyRunUpdate, RunProgress> {
  return (updates$) =>
    defer(() => {
      const standings = new Map<string, Standing>();
      const counts: RunProgress = { total: 0, waiting: 0, done: 0, errors: 0, byState: { ...NO_STATES } };
      let seen = 0;
      let requests: BatchProgress | undefined;
      const count = (standing: Standing | undefined, sign: 1 | -1) => {
        if (standing === undefined) return;
        if (standing === 'error') {
          counts.errors += sign;
          counts.done += sign;
          return;
        }
        counts.byState[standing.state] += sign;
        if (standing.done) counts.done += sign;
        if (standing.requests) {
          requests ??= { done: 0, completed: 0, failed: 0, total: 0 };
          requests.done += sign * standing.requests.done;
          requests.completed += sign * standing.requests.completed;
          requests.failed += sign * standing.requests.failed;
          requests.total += sign * standing.requests.total;
        }
      };
      return updates$.pipe(
        filter((update) => {
          const before = standings.get(update.key);
          // A job whose watch failed keeps no request counts: they are no longer known to be current.
          const after: Standing =
            update.type === 'error'
              ? 'error'
              : {
                  state: update.snapshot.state,
                  done: update.snapshot.done,
                  requests: requestCounts(update.snapshot.kind, update.snapshot.progress),
                };
          // `known` (from watchRuns) counts jobs still waiting for a watch; other streams count what they show.
          const total = Math.max(update.known ?? 0, seen + (before === undefined ? 1 : 0));
          if (before !== undefined && sameStanding(before, after) && total === counts.total) return false;
          if (before === undefined) seen++;
          counts.total = total;
          counts.waiting = total - seen;
          count(before, -1);
          count(after, 1);
          standings.set(update.key, after);
          return true;
        }),
        map(() => ({
          ...counts,
          byState: { ...counts.byState },
          ...(requests ? { requests: { ...requests } } : {}),
        })),
      );
    });
}

/**
 * The request counts of a job whose kind counts requests (`progressUnit: 'requests'`, as a batch does): its
 * `completed` and `failed` only. Other kinds' counts (items, files, steps) are not requests.
 */
function requestCounts(kind: string, progress: KindProgress | undefined): BatchProgress | undefined {
  if (!progress || findKindSpec(kind)?.progressUnit !== 'requests') return undefined;
  if (!('completed' in progress) || !('failed' in progress)) return undefined;
  return {
    done: progress.completed + progress.failed,
    completed: progress.completed,
    failed: progress.failed,
    total: progress.total,
  };
}

function sameStanding(a: Standing, b: Standing): boolean {
  if (a === 'error' || b === 'error') return a === b;
  const [x, y] = [a.requests, b.requests];
  const sameRequests =
    x === y || (!!x && !!y && x.completed === y.completed && x.failed === y.failed && x.total === y.total);
  return a.state === b.state && a.done === b.done && sameRequests;
}
