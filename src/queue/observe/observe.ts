import { Job, type Queue } from 'bullmq';
import { Observable } from 'rxjs';
import { ConfigurationError } from '../../errors/configuration-error.js';
import { WatchNotFoundError } from '../../errors/watch-not-found-error.js';
import { kindSpec } from '../../kinds/registry.js';
import type { JobRef, RunSnapshot } from '../../model/types.js';
import { changeKey } from '../../watch/snapshot.js';
import { decodeFault } from '../fault-codec.js';
import { watchJobId } from '../job-id.js';
import { watchJobState } from '../job-state.js';
import { jobProblem } from '../watch-data.js';
import { currentSnapshot, isSnapshot } from './current-snapshot.js';
import type { JobEventRouter } from './event-router.js';

/**
 * One durable watch as an Observable: its current snapshot, read from its BullMQ job, then each change the
 * workers publish; completes after the terminal snapshot, errors with the typed error of a failed watch.
 * `RunQueue.observe` is this on the queue's own connection and event router.
 */
export function observeWatch<J = unknown>(
  queue: Queue,
  router: JobEventRouter,
  job: JobRef,
): Observable<RunSnapshot<J>> {
  return new Observable<RunSnapshot<J>>((subscriber) => {
    // The check createRunQueue's other methods make, with the same message.
    const problem = jobProblem(job);
    if (problem) {
      subscriber.error(new ConfigurationError(`observe: ${problem}`));
      return;
    }
    const id = watchJobId(job);
    let last: RunSnapshot | undefined;
    let ready = false;
    const early: (() => void)[] = [];

    // `final`: the job completed with this snapshot (a stopped watch's is not `done`, yet it is the last).
    const deliver = (s: RunSnapshot, final = false) => {
      if (subscriber.closed) return;
      const news = !last || (!last.done && s.at >= last.at && changeKey(s) !== changeKey(last));
      if (news) {
        last = s;
        subscriber.next(s as RunSnapshot<J>);
      }
      if (s.done || final) subscriber.complete();
    };
    const fail = (reason: string | undefined) => subscriber.error(decodeFault(reason, job));
    // Events that arrive while the job itself is read wait, so the current snapshot comes first.
    const later = (f: () => void) => (ready ? f() : early.push(f));
    const stops = [
      // A progress event says the snapshot changed; the snapshot, with its full API object, is in the job. One
      // read of it: how the job ends comes by its own event (completed, failed), not from its state here.
      router.on('progress', id, ({ data }) =>
        later(() => {
          if (isSnapshot(data)) deliver(data);
          else
            Job.fromId(queue, id).then(
              (j) => j && deliver(currentSnapshot(j)),
              (e) => subscriber.error(e),
            );
        }),
      ),
      router.on('completed', id, ({ returnvalue }) => {
        if (isSnapshot(returnvalue)) later(() => deliver(returnvalue, true));
      }),
      // The job holds the reason for sure; the event's copy can be missing.
      router.on('failed', id, ({ failedReason }) =>
        later(() => {
          Job.fromId(queue, id).then(
            (j) => fail(j?.failedReason || failedReason),
            () => fail(failedReason),
          );
        }),
      ),
    ];

    // The job itself, at subscribe and again whenever events may have been lost (event-router.ts).
    const read = async () => {
      const found = await Job.fromId(queue, id);
      if (!found) {
        subscriber.error(
          new WatchNotFoundError(
            `no durable watch for ${kindSpec(job.kind).describe(job)}: call watch() first`,
            { job },
          ),
        );
        return;
      }
      const state = await watchJobState(found);
      // The job may have ended between the two reads: read it again to get its reason or its result.
      const ended =
        state === 'failed' || state === 'completed' ? ((await Job.fromId(queue, id)) ?? found) : found;
      if (state === 'failed') return fail(ended.failedReason);
      if (state === 'completed' && isSnapshot(ended.returnvalue)) deliver(ended.returnvalue, true);
      else deliver(currentSnapshot(ended));
    };
    stops.push(
      router.onGap(() => {
        if (ready && !subscriber.closed) return read().catch((e) => subscriber.error(e));
      }),
    );
    read().then(
      () => {
        ready = true;
        for (const f of early.splice(0)) f();
      },
      (e) => subscriber.error(e),
    );

    return () => {
      for (const stop of stops) stop();
    };
  });
}
