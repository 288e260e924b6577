import { type Observable, ReplaySubject, share, tap, timer } from 'rxjs';
import { jobKey } from '../compose/job-key.js';
import type { JobRef } from '../model/types.js';

/** Options of {@link shareByJob}. */
export interface ShareByJobOptions {
  /**
   * How long (ms) the observation of a job outlives its last reader: a browser whose connection dropped reconnects
   * after the stream's `retry` (1 s), and finds the same observation, with what it missed still in the window.
   *
   * @defaultValue `5_000`
   */
  lingerMs?: number;
  /**
   * How many recent snapshots each job keeps for readers that reconnect (`toEventStream` sends them those newer
   * than their `Last-Event-ID`; a new reader gets the latest only).
   *
   * @defaultValue `64`
   */
  replay?: number;
}

/**
 * One observation per job in this process, however many readers follow it: wraps `queue.observe` (or a
 * `watchRun` factory) so that every tab following a job through this server instance shares one subscription.
 * The observation stops `lingerMs` after the last reader leaves; an ended one is kept `lingerMs` for readers that
 * were reconnecting. The next reader after that starts a fresh one.
 *
 * @example
 * const follow = shareByJob((job) => queue.observe(job));
 * // in the route: toEventStream(follow({ kind: 'response', id }), { request })
 */
export function shareByJob<S>(
  observe: (job: JobRef) => Observable<S>,
  options: ShareByJobOptions = {},
): (job: JobRef) => Observable<S> {
  const { lingerMs = 5_000, replay = 64 } = options;
  const shared = new Map<string, Observable<S>>();
  return (job) => {
    const key = `${job?.kind}:${jobKey(job)}`;
    let follow = shared.get(key);
    if (!follow) {
      const drop = () => {
        if (shared.get(key) === fresh) shared.delete(key);
      };
      const fresh: Observable<S> = observe(job).pipe(
        tap({
          // An ended watch stays for lingerMs: a reader that was reconnecting gets what it missed and the end,
          // not a fresh watch of a job that already ended.
          complete: () => setTimeout(drop, lingerMs).unref?.(),
          error: drop,
          unsubscribe: drop,
        }),
        share({
          connector: () => new ReplaySubject<S>(replay),
          resetOnError: true,
          resetOnComplete: false,
          resetOnRefCountZero: () => timer(lingerMs),
        }),
      );
      follow = fresh;
      shared.set(key, follow);
    }
    return follow;
  };
}
