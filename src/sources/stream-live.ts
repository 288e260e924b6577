import { Observable, type Subscription } from 'rxjs';
import { classifyRequestError } from '../errors/from-api-error.js';
import type { StreamSupport } from '../kinds/spec.js';
import { toStatusEvent } from '../kinds/to-status-event.js';
import { isJobTerminal } from '../model/states.js';
import type { SourceContext, StatusEvent } from '../model/types.js';
import { readBesideStream, reconnectDelay } from './stream-read.js';
import type { FallBack, StreamSettings } from './stream-response.js';

/**
 * Streams a job whose stream is live only (an agent session's `sessions.events.stream`: no cursor to resume
 * from). Each connection, once open, is followed by one read of the job: the stream carries what happens from
 * then on, the read what happened before (while disconnected), so a drop loses nothing. Events become status
 * events through the kind's reader (`support.live()`); the stream ends after a terminal one, or emits one
 * {@link FallBack} after `maxReconnects` connections in a row that brought nothing.
 */
export function streamLive(
  ctx: SourceContext,
  source: StreamSettings,
  support: StreamSupport & { live: NonNullable<StreamSupport['live']> },
): Observable<StatusEvent | FallBack> {
  return new Observable<StatusEvent | FallBack>((subscriber) => {
    const label = ctx.adapter.describe(ctx.job);
    const read = support.live();
    let failures = 0;
    let connection: AbortController | undefined;
    let watchdog: Subscription | undefined;
    let retry: Subscription | undefined;
    let closed = false;

    const now = () => ctx.scheduler.now();
    const disconnect = () => {
      connection?.abort();
      connection = undefined;
      watchdog?.unsubscribe();
      watchdog = undefined;
    };
    const finish = () => {
      closed = true;
      disconnect();
      retry?.unsubscribe();
    };
    const emit = (event: StatusEvent) => {
      if (closed) return;
      subscriber.next(event);
      if (isJobTerminal(event.state)) {
        finish();
        subscriber.complete();
      }
    };
    const fail = (error: unknown) => {
      if (closed) return;
      finish();
      subscriber.error(error);
    };

    /** One counted read (two requests for an idle session and its turn); a transient failure: the next connection reads again. */
    const check = async (why: string): Promise<void> => {
      const read = await readBesideStream(ctx, why);
      if (closed || !read) return;
      if ('error' in read) fail(read.error);
      else emit(read.event);
    };

    const reconnectLater = () => {
      if (closed) return;
      if (failures > source.maxReconnects) {
        finish();
        subscriber.next({
          fallback: `the stream of ${label} failed ${failures} times in a row without news: watched by polling instead`,
        });
        subscriber.complete();
        return;
      }
      retry = ctx.scheduler.schedule(
        () => {
          retry = undefined;
          connect();
        },
        reconnectDelay(ctx, source.reconnectPolicy, failures),
      );
    };

    // Silence: a fresh connection, whose read says where the job is.
    const armWatchdog = (controller: AbortController) => {
      watchdog?.unsubscribe();
      watchdog = ctx.scheduler.schedule(
        () => {
          watchdog = undefined;
          if (closed || connection !== controller) return;
          disconnect();
          connect();
        },
        Math.max(0, Math.min(source.watchdogMs, ctx.deadline - now())),
      );
    };

    function connect(): void {
      if (closed) return;
      if (now() >= ctx.deadline) {
        finish();
        subscriber.complete();
        return;
      }
      const controller = new AbortController();
      connection = controller;
      if (ctx.signal.aborted) controller.abort();
      ctx.meter.add();
      armWatchdog(controller);
      let progressed = false;
      const current = () => !closed && connection === controller;
      const follow = async () => {
        const events = await support.events(ctx.client, ctx.job, undefined, { signal: controller.signal });
        if (!current()) return;
        // Open: from here the stream carries every change; the read covers the time before (no resume).
        await check(`the stream of ${label} (re)connected: read to catch up, since it cannot resume`);
        for await (const event of events) {
          if (!current()) return;
          if (!progressed) {
            progressed = true;
            failures = 0;
          }
          armWatchdog(controller);
          const seen = read(event);
          if (seen === 'read') await check(`${label}: the stream did not say how the turn ended: read it`);
          else if (seen) emit(toStatusEvent(ctx.adapter, seen.job, now(), 'stream'));
        }
      };
      follow().then(
        () => {
          if (!current()) return;
          // The server closed the stream (a turn ended, or it restarts): connect again, and read.
          connection = undefined;
          watchdog?.unsubscribe();
          if (!progressed) failures++;
          reconnectLater();
        },
        (e: unknown) => {
          if (!current() || ctx.signal.aborted) return;
          connection = undefined;
          watchdog?.unsubscribe();
          const failure = classifyRequestError(e, ctx.job, label);
          if (!failure.transient) {
            const status = (failure.error as { status?: number }).status;
            if (status === 400 || status === 404 || status === 405) {
              finish();
              subscriber.next({
                fallback: `the server refused to stream ${label} (${failure.error.message}): watched by polling instead`,
              });
              subscriber.complete();
            } else fail(failure.error);
            return;
          }
          if (!progressed) failures++;
          reconnectLater();
        },
      );
    }

    connect();
    return finish;
  });
}
