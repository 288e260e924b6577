import { APIError } from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { Observable, Subscription } from 'rxjs';
import type { StreamSupport } from '../kinds/spec.js';
import { toStatusEvent } from '../kinds/to-status-event.js';
import type { SourceContext, StatusEvent } from '../model/types.js';
import { Accumulated } from './accumulated-response.js';
import { type FallBack, type StreamSettings, streamConnections } from './stream-connection.js';

const LIFECYCLE = new Set([
  'response.created',
  'response.queued',
  'response.in_progress',
  'response.completed',
  'response.failed',
  'response.incomplete',
]);

/**
 * Streams one response: emits a status event per lifecycle event (at once) and per batch of text (at most one per
 * `textIntervalMs`), and ends after the terminal one; or emits one {@link FallBack} and completes. A connection
 * resumes after the last event seen; a silent one, and one that ended without a final event, are checked with a
 * retrieve.
 */
export function streamResponse(
  ctx: SourceContext,
  settings: StreamSettings,
  stream: StreamSupport<ResponseStreamEvent>,
): Observable<StatusEvent | FallBack> {
  return streamConnections(ctx, settings, (sink) => {
    const label = ctx.adapter.describe(ctx.job);
    const acc = new Accumulated();
    let lastSeq: number | undefined;
    let textTimer: Subscription | undefined;
    let textPending = false;

    const emitBuilt = () => {
      const job = acc.job();
      if (job) sink.emit(toStatusEvent(ctx.adapter, job, ctx.scheduler.now(), 'stream'));
    };
    // Text-only events: the first at once, later ones at most one per interval, the last one never lost.
    const emitText = () => {
      textPending = false;
      emitBuilt();
      textTimer = ctx.scheduler.schedule(() => {
        textTimer = undefined;
        if (textPending && !sink.closed()) emitText();
      }, settings.textIntervalMs);
    };
    const onText = () => {
      if (textTimer) textPending = true;
      else emitText();
    };
    const apply = (event: ResponseStreamEvent) => {
      acc.apply(event);
      if (LIFECYCLE.has(event.type)) {
        // A lifecycle event carries the text so far: nothing is left pending.
        textPending = false;
        emitBuilt();
      } else if (event.type === 'response.output_text.delta') onText();
    };
    const check = async (why: string) => {
      const event = await sink.check(why);
      if (event) sink.emit(event);
    };

    return {
      refused: [400],
      async follow(signal, current, news) {
        const events = await stream.events(ctx.client, ctx.job, lastSeq, { signal });
        for await (const event of events) {
          if (!current()) return;
          // A resumed stream starts after lastSeq; a replay (or a server that repeats itself) is skipped here.
          if (lastSeq !== undefined && event.sequence_number <= lastSeq) continue;
          lastSeq = event.sequence_number;
          news();
          apply(event);
        }
      },
      // Silent but alive, or stuck: a retrieve says which; then a fresh connection resumes after the last event.
      silent: () =>
        check(`the stream of ${label} was silent for ${settings.watchdogMs} ms: checked with a retrieve`),
      // A cancelled response, or a server that closed the stream: ask.
      ended: () => check(`the stream of ${label} ended without a final event: checked with a retrieve`),
      recover(e) {
        const seq = errorEventSequence(e);
        if (seq === undefined) return false;
        // The stream's own `error` event (the job failing), which openai 7 throws where openai 6 yields it: the
        // events after it (`response.failed`) are read by resuming right after it.
        lastSeq = Math.max(lastSeq ?? seq, seq);
        return true;
      },
      finish: () => textTimer?.unsubscribe(),
    };
  });
}

/**
 * The `sequence_number` of a stream's `error` event when `e` is that event thrown by the SDK (openai 7 throws an
 * `APIError` carrying the event, with no HTTP status), else undefined: a real request failure.
 */
function errorEventSequence(e: unknown): number | undefined {
  if (!(e instanceof APIError) || e.status !== undefined) return undefined;
  const event = e.error as { type?: unknown; sequence_number?: unknown } | undefined;
  return event?.type === 'error' && typeof event.sequence_number === 'number'
    ? event.sequence_number
    : undefined;
}
