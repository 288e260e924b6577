import { Observable, type Subscription } from 'rxjs';
import { classifyRequestError } from '../errors/from-api-error.js';
import { isJobTerminal } from '../model/states.js';
import type { SourceContext, StatusEvent } from '../model/types.js';
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

/** What a stream source can do to the watch it feeds, from inside its connections. */
export interface StreamSink {
  /** The watch ended (terminal event, deadline, error, fallback, unsubscribe): nothing more is emitted. */
  closed(): boolean;
  /** Emits a status event; a terminal one ends the stream. */
  emit(event: StatusEvent): void;
  /**
   * One counted read beside the stream, noted with why: its event, or undefined when the watch stopped or the read
   * failed transiently (the next connection reads again). A final failure errors the stream.
   */
  check(why: string): Promise<StatusEvent | undefined>;
}

/** What a stream source does that the connection loop does not: how it reads one connection, and what silence and an end mean to it. */
export interface StreamReader {
  /**
   * Opens one connection and reads it until the server ends it. Calls `news()` on each event that is news (the
   * connection is alive and useful: failures reset, the watchdog re-armed), and stops reading once `current()` is
   * false (the loop dropped the connection).
   */
  follow(signal: AbortSignal, current: () => boolean, news: () => void): Promise<void>;
  /** The connection was silent for `watchdogMs`; when this settles, the loop opens a fresh one. */
  silent?(): Promise<void>;
  /** The server ended the stream without a terminal event; when this settles, the loop reconnects. */
  ended?(): Promise<void>;
  /** Statuses of a refused request that mean this server cannot stream the job: watched by polling instead. */
  readonly refused: readonly number[];
  /** A failure the source recovers from by itself (true): the loop reconnects at once, as after news. */
  recover?(error: unknown): boolean;
  /** Stops the source's own timers when the stream ends. */
  finish?(): void;
}

/**
 * The connection loop both stream sources share: one connection at a time, a watchdog on silence, reconnects on a
 * backoff after connections that brought nothing (at once after news), the deadline, and the fallback after
 * `maxReconnects` such connections in a row or when the server refuses to stream. Emits the reader's status events
 * and ends after a terminal one, or emits one {@link FallBack} and completes.
 */
export function streamConnections(
  ctx: SourceContext,
  settings: StreamSettings,
  makeReader: (sink: StreamSink) => StreamReader,
): Observable<StatusEvent | FallBack> {
  return new Observable<StatusEvent | FallBack>((subscriber) => {
    const label = ctx.adapter.describe(ctx.job);
    // Connections in a row that brought nothing new.
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
      reader.finish?.();
    };
    const fallBack = (why: string) => {
      if (closed) return;
      finish();
      subscriber.next({ fallback: why });
      subscriber.complete();
    };
    const sink: StreamSink = {
      closed: () => closed,
      emit(event) {
        if (closed) return;
        if (!isJobTerminal(event.state)) {
          subscriber.next(event);
          return;
        }
        finish();
        subscriber.next(event);
        subscriber.complete();
      },
      async check(why) {
        const read = await readBesideStream(ctx, why);
        if (closed || !read) return undefined;
        if ('event' in read) return read.event;
        finish();
        subscriber.error(read.error);
        return undefined;
      },
    };
    const reader = makeReader(sink);

    const reconnectLater = () => {
      if (closed) return;
      if (failures > settings.maxReconnects) {
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
        reconnectDelay(ctx, settings.reconnectPolicy, failures),
      );
    };

    const armWatchdog = (controller: AbortController) => {
      watchdog?.unsubscribe();
      watchdog = ctx.scheduler.schedule(
        () => {
          watchdog = undefined;
          const current = () => !closed && connection === controller;
          if (!current()) return;
          const fresh = () => {
            if (!current()) return;
            disconnect();
            connect();
          };
          // Without a check of its own, at once: a virtual-time test sees the fresh connection in the same tick.
          if (reader.silent) void reader.silent().then(fresh);
          else fresh();
        },
        Math.max(0, Math.min(settings.watchdogMs, ctx.deadline - now())),
      );
    };

    const onFailure = (e: unknown, progressed: boolean) => {
      const failure = classifyRequestError(e, ctx.job, label);
      if (!failure.transient) {
        const status = (failure.error as { status?: number }).status;
        if (status !== undefined && reader.refused.includes(status)) {
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
      const current = () => !closed && connection === controller;
      const news = () => {
        if (!progressed) {
          progressed = true;
          failures = 0;
        }
        armWatchdog(controller);
      };
      reader.follow(controller.signal, current, news).then(
        () => {
          if (!current()) return;
          connection = undefined;
          watchdog?.unsubscribe();
          if (!progressed) failures++;
          if (reader.ended) void reader.ended().then(reconnectLater);
          else reconnectLater();
        },
        (e: unknown) => {
          if (!current() || ctx.signal.aborted) return;
          connection = undefined;
          watchdog?.unsubscribe();
          if (reader.recover?.(e)) {
            failures = 0;
            connect();
            return;
          }
          onFailure(e, progressed);
        },
      );
    }

    connect();
    return finish;
  });
}
