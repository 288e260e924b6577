import { Observable } from 'rxjs';
import { FollowError } from '../errors/follow-error.js';
import type { RunSnapshot } from '../model/types.js';
import { isNewerEventId } from './event-order.js';

// A handler slot checked as a method is (bivariantly): the DOM's EventSource and polyfills type theirs with their
// full MessageEvent, of which followRun reads two fields; checked strictly, none of them would be assignable.
type Handler<E> = { handle(event: E): unknown }['handle'];

/** The part of the browser's `EventSource` that `followRun` uses (the global one, or a polyfill's). */
export interface EventSourceLike {
  readonly readyState: number;
  onmessage: Handler<{ data: string; lastEventId: string }> | null;
  onerror: Handler<unknown> | null;
  addEventListener(type: string, listener: (event: { data: string }) => void): void;
  close(): void;
}

/** Options of {@link followRun}. */
export interface FollowRunOptions {
  /**
   * Send cookies to another origin's event stream (that server must then allow this origin).
   *
   * @defaultValue `false`
   */
  withCredentials?: boolean;
  /**
   * The `EventSource` constructor.
   *
   * @defaultValue `globalThis.EventSource`
   */
  EventSource?: new (
    url: string,
    init?: { withCredentials?: boolean },
  ) => EventSourceLike;
}

// EventSource.CLOSED: the browser gave up (an HTTP error, a response that is not an event stream).
const CLOSED = 2;

/**
 * Follows a watch served by `toEventStream` from a browser: a typed Observable of its snapshots, the current one
 * first, then each change; it completes after the terminal one. When the connection drops, the browser reconnects
 * with the last event id and the server resumes after it; a snapshot seen already is never emitted twice. A
 * streamed response's text is on each snapshot as it grows (`text`, `textLength`). Errors with a `FollowError`
 * when the stream is refused or the server's watch fails. Unsubscribing closes the connection.
 *
 * @example
 * import { followRun } from 'runstate/client';
 * followRun<Response>(`/runs/${id}/events`).subscribe((s) => { output.textContent = s.text ?? '…'; });
 */
export function followRun<Job = unknown>(
  url: string | URL,
  options: FollowRunOptions = {},
): Observable<RunSnapshot<Job>> {
  return new Observable<RunSnapshot<Job>>((subscriber) => {
    const Source =
      options.EventSource ?? (globalThis as { EventSource?: FollowRunOptions['EventSource'] }).EventSource;
    if (!Source) {
      subscriber.error(
        new FollowError('followRun needs EventSource: pass options.EventSource outside browsers'),
      );
      return;
    }
    const source = new Source(String(url), { withCredentials: options.withCredentials ?? false });
    let last: string | undefined;
    const finish = () => {
      source.close();
      subscriber.complete();
    };
    source.onmessage = (event) => {
      // The server resumes after the id the browser sent; this guards against a proxy's replay all the same.
      if (event.lastEventId && !isNewerEventId(event.lastEventId, last)) return;
      last = event.lastEventId || last;
      let snapshot: RunSnapshot<Job>;
      try {
        snapshot = JSON.parse(event.data) as RunSnapshot<Job>;
      } catch {
        source.close();
        subscriber.error(new FollowError(`the event stream at ${String(url)} sent data that is not JSON`));
        return;
      }
      subscriber.next(snapshot);
      if (snapshot.done) finish();
    };
    source.addEventListener('end', finish);
    source.addEventListener('fault', (event) => {
      source.close();
      let fault: { code?: string; message?: string } = {};
      try {
        fault = JSON.parse(event.data);
      } catch {}
      subscriber.error(
        new FollowError(
          `the watch behind ${String(url)} failed: ${fault.message ?? 'no reason given'}`,
          fault.code,
        ),
      );
    });
    source.onerror = () => {
      // A drop: the browser reconnects by itself with Last-Event-ID. Closed: it will not try again.
      if (source.readyState !== CLOSED) return;
      subscriber.error(
        new FollowError(
          `the event stream at ${String(url)} was refused (an HTTP error, or not text/event-stream)`,
        ),
      );
    };
    return () => source.close();
  });
}
