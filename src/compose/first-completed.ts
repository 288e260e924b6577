import { Observable, type OperatorFunction } from 'rxjs';
import type { AnyRunUpdate } from './run-update.js';

/** Options of {@link firstCompleted}. */
export interface FirstCompletedOptions {
  /**
   * Aborted as soon as a job completes. Give its `signal` to `watchRuns` with `cancelOnAbort: true` to cancel
   * every other job. The winner is then emitted once those cancellations are done (one round trip later), so
   * that however the output is consumed (`firstValueFrom` included) no cancellation is cut off halfway.
   * Without it, the other jobs are left running on the server.
   */
  abort?: AbortController;
  /**
   * Keep watching the other jobs to their end after the winner (their updates are not emitted here: read them
   * upstream, with `tap` or a shared source). The winner is emitted at once and the output completes with the
   * source, so consume it with `subscribe` or `lastValueFrom` (`firstValueFrom` would unsubscribe and stop the
   * watches). Without it, the source is unsubscribed at once, which stops every other watch and its polling.
   *
   * @defaultValue `false`
   */
  keepWatching?: boolean;
}

/**
 * A race: emits the update of the first job to reach `completed`, then stops watching the others (or cancels
 * them, or keeps watching them: see the options). Failed, expired, cancelled, incomplete and timed-out jobs and
 * error updates do not win; if no job completes, the output completes without a value.
 *
 * @example
 * const winner = await firstValueFrom(watchRuns(jobs, { client }).pipe(firstCompleted()), {
 *   defaultValue: undefined,
 * });
 *
 * @example
 * // Hedged requests: keep the quickest, cancel the rest.
 * const abort = new AbortController();
 * const updates$ = watchRuns(jobs, { client, signal: abort.signal, cancelOnAbort: true });
 * const winner = await firstValueFrom(updates$.pipe(firstCompleted({ abort })));
 */
export function firstCompleted<Update extends AnyRunUpdate>(
  options: FirstCompletedOptions = {},
): OperatorFunction<Update, Extract<Update, { type: 'snapshot' }>> {
  type Winner = Extract<Update, { type: 'snapshot' }>;
  const { abort, keepWatching = false } = options;
  return (updates$) =>
    new Observable<Winner>((subscriber) => {
      let winner: Winner | undefined;
      const release = () => {
        if (winner && abort) subscriber.next(winner);
      };
      return updates$.subscribe({
        next: (update) => {
          if (winner || update.type !== 'snapshot' || update.snapshot.state !== 'completed') return;
          winner = update as Winner;
          // With an abort to carry out, the source must stay subscribed until the other watches have sent their
          // cancel requests and ended: unsubscribing now would stop them mid-request.
          if (abort) {
            abort.abort();
            return;
          }
          subscriber.next(winner);
          if (!keepWatching) subscriber.complete();
        },
        error: (error) => {
          release();
          subscriber.error(error);
        },
        complete: () => {
          release();
          subscriber.complete();
        },
      });
    });
}
