import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { defer, EMPTY, fromEvent, map, mergeMap, type Observable, of, takeUntil, takeWhile } from 'rxjs';
import { ConfigurationError } from '../errors/configuration-error.js';
import { kindSpec } from '../kinds/registry.js';
import type { StreamSupport } from '../kinds/spec.js';
import { isJobTerminal } from '../model/states.js';
import type { Source, SourceContext, StatusEvent } from '../model/types.js';
import { type BackoffOptions, type BackoffPolicy, MAX_TIMER_MS, resolveBackoff } from './backoff.js';
import { poll } from './poll.js';
import type { FallBack } from './stream-connection.js';
import { streamLive } from './stream-live.js';
import { streamResponse } from './stream-response.js';

/** Options of {@link stream}. */
export interface StreamOptions {
  /**
   * Silence (ms) after which the source retrieves the response to check on it, then reconnects. A response aborted
   * right after `response.created` can stay `queued` for good; this is how the watch notices.
   *
   * @defaultValue `30_000`
   */
  watchdogMs?: number;
  /**
   * Delays before reconnecting after a connection that brought nothing new failed (a connection that brought events
   * and then dropped is resumed at once).
   *
   * @defaultValue `DEFAULT_RECONNECT_BACKOFF`: 250 ms, ×2, capped at 10 s, full jitter
   */
  reconnect?: BackoffOptions;
  /**
   * Connections in a row that fail without bringing anything new before the source falls back.
   *
   * @defaultValue `8`
   */
  maxReconnects?: number;
  /**
   * Least time (ms) between two events that only add text.
   *
   * @defaultValue `100`, so at most 10 a second
   */
  textIntervalMs?: number;
  /**
   * What watches the job when it cannot stream (batches, runs, a refused or failing stream).
   *
   * @defaultValue `poll()`
   */
  fallback?: Source;
}

/** The stream source, with its resolved settings. */
export interface StreamSource extends Source {
  readonly name: 'stream';
  readonly watchdogMs: number;
  readonly reconnectPolicy: BackoffPolicy;
  readonly maxReconnects: number;
  readonly textIntervalMs: number;
  readonly fallback: Source;
}

/** The reconnect schedule by default: 250 ms, ×2, capped at 10 s, full jitter (floor 50 ms). */
export const DEFAULT_RECONNECT_BACKOFF: BackoffPolicy = {
  initialDelayMs: 250,
  factor: 2,
  maxDelayMs: 10_000,
  jitter: 'full',
  minDelayMs: 50,
};

/**
 * A source that watches a background response over server-sent events: the response must be created with
 * `background: true, stream: true`, and the source streams it again with `GET /responses/{id}?stream=true`. It
 * remembers the last `sequence_number`, resumes after a drop with `starting_after` (never applying an event twice),
 * retrieves the response when the stream stays silent for `watchdogMs`, and emits the text as it is written, at most
 * one text-only event per `textIntervalMs`. An agent session streams over `sessions.events.stream`, which is live
 * only (no cursor): after each connect the source reads the session once, so a drop loses nothing. A job that
 * cannot stream (a batch, an Assistants run, a response created without `stream`) is watched by `fallback`, and
 * every event then says so in its `note`.
 * @example watchRun({ client, job: { kind: 'response', id }, source: stream() })
 */
export function stream(options: StreamOptions = {}): StreamSource {
  const { watchdogMs = 30_000, maxReconnects = 8, textIntervalMs = 100, reconnect = {} } = options;
  const positive = (name: string, v: number) => {
    if (!(Number.isFinite(v) && v > 0 && v <= MAX_TIMER_MS)) {
      throw new ConfigurationError(`stream(): ${name} must be a number of ms > 0, got ${JSON.stringify(v)}`);
    }
  };
  positive('watchdogMs', watchdogMs);
  positive('textIntervalMs', textIntervalMs);
  if (!(Number.isInteger(maxReconnects) && maxReconnects >= 0)) {
    throw new ConfigurationError(
      `stream(): maxReconnects must be a whole number ≥ 0, got ${JSON.stringify(maxReconnects)}`,
    );
  }
  const fallback = options.fallback ?? poll();
  if (typeof fallback?.watch !== 'function') {
    throw new ConfigurationError('stream(): fallback must be a source, such as poll()');
  }
  const source: StreamSource = {
    name: 'stream',
    watchdogMs,
    reconnectPolicy: resolveBackoff(reconnect, DEFAULT_RECONNECT_BACKOFF, 'stream({ reconnect })'),
    maxReconnects,
    textIntervalMs,
    fallback,
    watch: (ctx) => watchByStream(ctx, source),
  };
  return source;
}

const isFallBack = (x: StatusEvent | FallBack): x is FallBack => 'fallback' in x;

function watchByStream(ctx: SourceContext, source: StreamSource): Observable<StatusEvent> {
  return defer(() => {
    if (ctx.signal.aborted || ctx.scheduler.now() >= ctx.deadline) return EMPTY;
    // The kind's spec says whether it streams; a fake adapter in tests keeps the spec of its ref's kind. The
    // watch's own adapter first: with telemetry, its stream connections are recorded (src/telemetry/).
    const support = (ctx.adapter as { stream?: StreamSupport }).stream ?? kindSpec(ctx.job.kind).stream;
    const steps$: Observable<StatusEvent | FallBack> =
      support === undefined
        ? of({
            fallback: `${ctx.adapter.describe(ctx.job)} cannot stream (only background responses and agent sessions do): watched by polling instead`,
          })
        : support.live
          ? // A live stream (an agent session's): no resume, a read after each connect.
            streamLive(ctx, source, { ...support, live: support.live })
          : // A resumable one (a background response's): events folded, resumed after the last sequence number.
            streamResponse(ctx, source, support as StreamSupport<ResponseStreamEvent>);
    return steps$.pipe(
      mergeMap((step) =>
        isFallBack(step)
          ? source.fallback.watch(ctx).pipe(map((event) => ({ ...event, note: step.fallback })))
          : of(step),
      ),
      takeWhile((event) => !isJobTerminal(event.state), true),
      takeUntil(fromEvent(ctx.signal, 'abort')),
    );
  });
}
