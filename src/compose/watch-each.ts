import {
  catchError,
  defer,
  filter,
  finalize,
  fromEvent,
  map,
  mergeMap,
  NEVER,
  type Observable,
  type OperatorFunction,
  of,
  takeUntil,
} from 'rxjs';
import type { JobRef, RunSnapshot } from '../model/types.js';
import { jobKey } from './job-key.js';
import type { RunUpdate } from './run-update.js';

/** Options of {@link watchEach}. */
export interface WatchEachOptions {
  /**
   * Most watches subscribed at once; the others wait, first come first served.
   *
   * @defaultValue `Infinity`
   */
  concurrency?: number;
  /** Once it aborts, jobs that arrive afterwards are ignored, so the output completes when the watches end. */
  signal?: AbortSignal | undefined;
  /** Jobs known before any arrives (a list given up front): they count in each update's `known` from the start. */
  upfront?: readonly JobRef[];
}

/**
 * The engine of `watchRuns`: turns a stream of jobs into one stream of tagged updates, with `watch` (in
 * production `watchRun`) injected so the merge, the limit and the error isolation can be tested in virtual time.
 */
export function watchEach<Job>(
  watch: (job: JobRef) => Observable<RunSnapshot<Job>>,
  { concurrency = Number.POSITIVE_INFINITY, signal, upfront = [] }: WatchEachOptions = {},
): OperatorFunction<JobRef, RunUpdate<Job>> {
  return (jobs$) =>
    defer(() => {
      // A job already watched or waiting is not watched twice; once its watch has ended, giving it again
      // watches it again (how a caller retries after an error update).
      const pending = new Set<string>();
      // Every distinct job given so far, or known up front: a waiting job is known before its watch starts.
      const known = new Set(upfront.map(jobKey));
      const tag = (update: RunUpdate<Job>): RunUpdate<Job> => ({ ...update, known: known.size });
      const abort$ = !signal ? NEVER : signal.aborted ? of(true) : fromEvent(signal, 'abort');
      return jobs$.pipe(
        takeUntil(abort$),
        filter((job) => {
          const key = jobKey(job);
          known.add(key);
          if (pending.has(key)) return false;
          pending.add(key);
          return true;
        }),
        mergeMap((job) => {
          const key = jobKey(job);
          // Once per watch: a retry may have put the key back by the time this watch's finalize runs.
          let released = false;
          const ended = () => {
            if (!released) pending.delete(key);
            released = true;
          };
          return watchOne(watch, job, key, ended).pipe(map(tag), finalize(ended));
        }, concurrency),
      );
    });
}

function watchOne<Job>(
  watch: (job: JobRef) => Observable<RunSnapshot<Job>>,
  job: JobRef,
  key: string,
  ended: () => void,
): Observable<RunUpdate<Job>> {
  let last: RunSnapshot<Job> | undefined;
  return defer(() => watch(job)).pipe(
    map((snapshot): RunUpdate<Job> => {
      last = snapshot;
      return { type: 'snapshot', key, job, snapshot };
    }),
    // One job's failure is a value of the merged stream: the other watches keep going. The job is released
    // before its error update goes out, so a subscriber can give it again right away to retry.
    catchError((error: unknown) => {
      ended();
      return of<RunUpdate<Job>>({ type: 'error', key, job, error, snapshot: last });
    }),
  );
}
