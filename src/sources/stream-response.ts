import { APIError } from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { Observable, type Subscription } from 'rxjs';
import { classifyRequestError } from '../errors/from-api-error.js';
import type { StreamSupport } from '../kinds/spec.js';
import { toStatusEvent } from '../kinds/to-status-event.js';
import { isJobTerminal } from '../model/states.js';
import type { SourceContext, StatusEvent } from '../model/types.js';
import { Accumulated } from './accumulated-response.js';
import type { BackoffPolicy } from './backoff.js';
import { readBesideStream, reconnectDelay } from './stream-read.js';

/** What the connection loop reads of a stream source's settings (see `StreamOptions`). */
export interface StreamSettings {
  readonly watchdogMs: number;
  readonly reconnectPolicy: BackoffPolicy;
  readonly maxReconnects: number;
  readonly textIntervalMs: number;
}

/** The stream gave up: watch with the fallback from here, saying why. */
export interface FallBack {
  fallback: string;
}

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
 * `textIntervalMs`), and ends after the terminal one; or emits one {@link FallBack} and completes.
 */
export function streamResponse(
  ctx: SourceContext,
  source: StreamSettings,
  stream: StreamSupport<ResponseStreamEvent>,
): Observable<StatusEvent | FallBack> {
  return new Observable<StatusEvent | FallBack>((subscriber) => {
    const label = ctx.adapter.describe(ctx.job);
    const acc = new Accumulated();
    let lastSeq: number | undefined;
    // Connections in a row that brought nothing new.
    let failures = 0;
    let connection: AbortController | undefined;
    let watchdog: Subscription | undefined;
    let retry: Subscription | undefined;
    let textTimer: Subscription | undefined;
    let textPending = false;
    let closed = false;

    const now = () => ctx.scheduler.now();
    const clip = (ms: number) => Math.max(0, Math.min(ms, ctx.deadline - now()));
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
      textTimer?.unsubscribe();
    };
    const emit = (event: StatusEvent) => {
      if (closed) return;
      if (isJobTerminal(event.state)) {
        finish();
        subscriber.next(event);
        subscriber.complete();
        return;
      }
      subscriber.next(event);
    };
    const emitBuilt = () => {
      const job = acc.job();
      if (job) emit(toStatusEvent(ctx.adapter, job, now(), 'stream'));
    };
    const fallBack = (why: string) => {
      if (closed) return;
      finish();
      subscriber.next({ fallback: why });
      subscriber.complete();
    };

    // Text-only events: the first at once, later ones at most one per interval, the last one never lost.
    const emitText = () => {
      textPending = false;
      emitBuilt();
      textTimer = ctx.scheduler.schedule(() => {
        textTimer = undefined;
        if (textPending && !closed) emitText();
      }, source.textIntervalMs);
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

    /** One retrieve, counted; the observation it makes is a poll's, and its note says why it was made. */
    const check = async (why: string): Promise<StatusEvent | undefined> => {
      const read = await readBesideStream(ctx, why);
      if (closed || !read) return undefined;
      if ('event' in read) return read.event;
      finish();
      subscriber.error(read.error);
      return undefined;
    };

    const reconnectLater = () => {
      if (closed) return;
      if (failures > source.maxReconnects) {
        fallBack(
          `the stream of ${label} failed ${failures} times in a row without news: watched by polling instead`,
        );
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

    const armWatchdog = (controller: AbortController) => {
      watchdog?.unsubscribe();
      watchdog = ctx.scheduler.schedule(() => {
        watchdog = undefined;
        if (closed || connection !== controller) return;
        void check(
          `the stream of ${label} was silent for ${source.watchdogMs} ms: checked with a retrieve`,
        ).then((event) => {
          if (closed || connection !== controller) return;
          if (event) emit(event);
          if (closed) return;
          // Silent but alive, or stuck: a fresh connection resumes after the last event seen.
          disconnect();
          connect();
        });
      }, clip(source.watchdogMs));
    };

    /** The stream ended without a terminal event (a cancelled response, a server that closed it): ask. */
    const onEnd = async (progressed: boolean) => {
      if (!progressed) failures++;
      const event = await check(
        `the stream of ${label} ended without a final event: checked with a retrieve`,
      );
      if (closed) return;
      if (event) emit(event);
      if (!closed) reconnectLater();
    };

    const onError = (e: unknown, progressed: boolean) => {
      const failure = classifyRequestError(e, ctx.job, label);
      if (!failure.transient) {
        const status = (failure.error as { status?: number }).status;
        if (status === 400) {
          fallBack(
            `the server refused to stream ${label} (${failure.error.message}): watched by polling instead`,
          );
        } else {
          finish();
          subscriber.error(failure.error);
        }
        return;
      }
      if (!progressed) failures++;
      reconnectLater();
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
      const read = async () => {
        const events = await stream.events(ctx.client, ctx.job, lastSeq, { signal: controller.signal });
        for await (const event of events) {
          if (closed || connection !== controller) return;
          // A resumed stream starts after lastSeq; a replay (or a server that repeats itself) is skipped here.
          if (lastSeq !== undefined && event.sequence_number <= lastSeq) continue;
          lastSeq = event.sequence_number;
          if (!progressed) {
            progressed = true;
            failures = 0;
          }
          armWatchdog(controller);
          apply(event);
        }
      };
      read().then(
        () => {
          if (closed || connection !== controller) return;
          connection = undefined;
          void onEnd(progressed);
        },
        (e: unknown) => {
          if (closed || connection !== controller || ctx.signal.aborted) return;
          connection = undefined;
          const seq = errorEventSequence(e);
          if (seq === undefined) {
            onError(e, progressed);
            return;
          }
          // The stream's own `error` event (the job failing), which openai 7 throws where openai 6 yields it: the
          // events after it (`response.failed`) are read by resuming right after it.
          lastSeq = Math.max(lastSeq ?? seq, seq);
          failures = 0;
          disconnect();
          connect();
        },
      );
    }

    connect();
    return finish;
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
