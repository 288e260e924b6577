import type { Observable } from 'rxjs';
import type { StreamSupport } from '../kinds/spec.js';
import { toStatusEvent } from '../kinds/to-status-event.js';
import type { SourceContext, StatusEvent } from '../model/types.js';
import { type FallBack, type StreamSettings, streamConnections } from './stream-connection.js';

/**
 * Streams a job whose stream is live only (an agent session's `sessions.events.stream`: no cursor to resume
 * from). Each connection, once open, is followed by one read of the job: the stream carries what happens from
 * then on, the read what happened before (while disconnected), so a drop loses nothing. Events become status
 * events through the kind's reader (`support.live()`); the stream ends after a terminal one, or emits one
 * {@link FallBack} after `maxReconnects` connections in a row that brought nothing.
 */
export function streamLive(
  ctx: SourceContext,
  settings: StreamSettings,
  support: StreamSupport & { live: NonNullable<StreamSupport['live']> },
): Observable<StatusEvent | FallBack> {
  return streamConnections(ctx, settings, (sink) => {
    const label = ctx.adapter.describe(ctx.job);
    const read = support.live();
    /** One counted read (two requests for an idle session and its turn), its event emitted. */
    const check = async (why: string) => {
      const event = await sink.check(why);
      if (event) sink.emit(event);
    };
    return {
      // A session's stream that was refused, or has no such route: poll it.
      refused: [400, 404, 405],
      async follow(signal, current, news) {
        const events = await support.events(ctx.client, ctx.job, undefined, { signal });
        if (!current()) return;
        // Open: from here the stream carries every change; the read covers the time before (no resume).
        await check(`the stream of ${label} (re)connected: read to catch up, since it cannot resume`);
        for await (const event of events) {
          if (!current()) return;
          news();
          const seen = read(event);
          if (seen === 'read') await check(`${label}: the stream did not say how the turn ended: read it`);
          else if (seen) sink.emit(toStatusEvent(ctx.adapter, seen.job, ctx.scheduler.now(), 'stream'));
        }
      },
      // Silence and an end need no read of their own: the next connection reads as it opens.
    };
  });
}
