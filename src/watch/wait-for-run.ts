import { lastValueFrom } from 'rxjs';
import { AbortedError } from '../errors/aborted-error.js';
import { RunNotCompletedError } from '../errors/run-not-completed-error.js';
import type { AnyDefinedRef, JobOf, JobRef, RunSnapshot } from '../model/types.js';
import { type WatchRunOptions, watchRun } from './watch-run.js';

function describeFailure(job: unknown): string | undefined {
  const j = job as
    | { last_error?: { message?: string } | null; error?: { message?: string } | null }
    | undefined;
  return j?.last_error?.message ?? j?.error?.message ?? undefined;
}

/**
 * The promise form of `watchRun`: resolves with the completed job; rejects with `RunNotCompletedError` (carrying
 * the last snapshot) for any other outcome, `AbortedError` on abort, or the watch's own typed error. The job's
 * kind types the result: a `Response`, a `Batch` or a `Run`.
 *
 * @example
 * const response = await waitForRun({ client, job: { kind: 'response', id } }); // Response
 * console.log(response.output_text);
 */
export async function waitForRun<Ref extends JobRef | AnyDefinedRef>(
  options: WatchRunOptions<Ref>,
): Promise<JobOf<Ref>> {
  type Job = JobOf<Ref>;
  const last = (await lastValueFrom(watchRun(options as WatchRunOptions))) as RunSnapshot<Job>;
  if (!last.done) {
    throw new AbortedError(`stopped watching ${last.kind} ${last.id} (aborted) while it was ${last.state}`, {
      job: options.job as JobRef,
    });
  }
  if (last.state !== 'completed') throw new RunNotCompletedError(last, describeFailure(last.job));
  return last.job as Job;
}
