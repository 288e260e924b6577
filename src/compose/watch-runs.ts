import { defer, from, isObservable, type Observable, throwError } from 'rxjs';
import { ConfigurationError } from '../errors/configuration-error.js';
import type { AnyDefinedRef, JobRef, RunSnapshot } from '../model/types.js';
import { type WatchRunOptions, watchRun } from '../watch/watch-run.js';
import type { UpdateOf } from './run-update.js';
import { watchEach } from './watch-each.js';

/**
 * Options of `watchRuns`: every option of `watchRun` but `job`, shared by all the watches, plus `concurrency`.
 * `Ref` is the jobs' ref type: as for `watchRun`, a list of refs of kinds defined with `defineKind` only needs no
 * `client`.
 *
 * @example
 * { client, source: hybrid(hub), tools: { get_weather }, maxWaitMs: 30 * 60_000, concurrency: 20 }
 */
export type WatchRunsOptions<Ref extends JobRef | AnyDefinedRef = JobRef> = Omit<
  WatchRunOptions<Ref>,
  'job'
> & {
  /**
   * Most jobs watched at once; the others wait their turn in arrival order (as `mergeMap`'s concurrency). A
   * waiting job is not polled at all, so this bounds the request rate too.
   *
   * @defaultValue `Infinity`
   */
  concurrency?: number;
};

/**
 * The jobs to watch: a list known up front, or an Observable (or async iterable) of jobs created on the fly.
 *
 * @example
 * [{ kind: 'response', id: 'resp_1' }, { kind: 'assistants.run', threadId: 'thread_1', runId: 'run_1' }]
 */
export type JobsInput<Ref extends JobRef | AnyDefinedRef = JobRef> =
  | Iterable<Ref>
  | AsyncIterable<Ref>
  | Observable<Ref>;

function isJobsInput(jobs: unknown): jobs is JobsInput {
  if (typeof jobs !== 'object' || jobs === null) return false;
  return Symbol.iterator in jobs || Symbol.asyncIterator in jobs || 'subscribe' in jobs;
}

/**
 * Watches many jobs as one Observable of updates, each tagged with its job (`{ type: 'snapshot', key, job,
 * snapshot }`). Cold and lazy like `watchRun`. A watch that fails becomes one `{ type: 'error', key, job, error }`
 * update and the others go on; the stream completes when the jobs input has completed and every watch has ended.
 * A job given again while it is still watched is ignored. Each job's kind types its snapshots; a mixed list gives
 * a union of updates whose snapshots `kind` tells apart. `signal` stops every watch (and, with `cancelOnAbort`,
 * cancels every job handed over so far, waiting ones included); jobs arriving after it are ignored.
 *
 * @example
 * const settled = await lastValueFrom(
 *   watchRuns([{ kind: 'response', id: a.id }, { kind: 'batch', id: b.id }], { client, concurrency: 10 })
 *     .pipe(allSettled()),
 * );
 *
 * @example
 * // Jobs created on the fly: push them into a Subject, complete it when there are no more.
 * const jobs$ = new Subject<JobRef>();
 * watchRuns(jobs$, { client, concurrency: 4 }).pipe(progress()).subscribe(render);
 * jobs$.next({ kind: 'response', id: (await client.responses.create({ ...params, background: true })).id });
 */
export function watchRuns<Ref extends JobRef | AnyDefinedRef>(
  jobs: JobsInput<Ref>,
  options: WatchRunsOptions<NoInfer<Ref>>,
): Observable<UpdateOf<Ref>> {
  // At run time a defined kind's ref is a ref like any other (as in watchRun): the types above are the callers'.
  const { concurrency = Number.POSITIVE_INFINITY, ...shared } = (options ?? {}) as WatchRunsOptions;
  if (!(concurrency === Number.POSITIVE_INFINITY || (Number.isInteger(concurrency) && concurrency >= 1))) {
    return throwError(
      () => new ConfigurationError(`watchRuns: concurrency must be an integer >= 1 (got ${concurrency})`),
    );
  }
  if (!isJobsInput(jobs)) {
    return throwError(
      () =>
        new ConfigurationError('watchRuns needs `jobs`: an array or iterable of JobRefs, or an Observable'),
    );
  }
  // Each update's type follows from its job's kind, which is only known per job at run time.
  return defer(() => {
    // A list is known whole before the first watch starts, so progress() can count every job from the start.
    const list =
      isObservable(jobs) || !(Symbol.iterator in jobs) ? undefined : [...(jobs as Iterable<JobRef>)];
    return from(list ?? (jobs as JobsInput)).pipe(
      watchEach((job) => watchRun({ ...shared, job }) as Observable<RunSnapshot>, {
        concurrency,
        signal: shared.signal,
        upfront: list ?? [],
      }),
    );
  }) as Observable<UpdateOf<Ref>>;
}
