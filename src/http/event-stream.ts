import type { Observable, SchedulerLike, Subscription } from 'rxjs';
import { isNewerEventId, type Orderable, snapshotEventId } from '../client/event-order.js';
import { heartbeat, type StopBeating } from './heartbeats.js';

/** Options of {@link toEventStream}. */
export interface EventStreamOptions<S> {
  /** The incoming request: its `Last-Event-ID` says where a reconnecting reader was, its `signal` when it left. */
  request?: Request;
  /**
   * Milliseconds between comment lines that keep proxies from closing a quiet connection.
   *
   * @defaultValue `15_000`
   */
  heartbeatMs?: number;
  /**
   * How long (ms) a reader's `EventSource` waits before reconnecting after a drop (the `retry:` field).
   *
   * @defaultValue `1_000`
   */
  retryMs?: number;
  /**
   * The origin allowed to read the stream from another site (`Access-Control-Allow-Origin`). Without it the
   * response carries no CORS header at all, and only pages of the same origin can read it.
   */
  allowOrigin?: string;
  /**
   * What each event's data holds: the snapshot as is, unless this says otherwise (to drop the API object, say).
   *
   * @defaultValue the snapshot itself
   */
  serialize?: (snapshot: S) => unknown;
  /**
   * Scheduler of the heartbeats (virtual time in tests).
   *
   * @defaultValue one shared timer for every stream of the same `heartbeatMs`
   */
  scheduler?: SchedulerLike;
}

/** The snapshot as one `data:` line: JSON never holds a raw line break, so one line is the whole of it. */
const DATA_CACHE = new WeakMap<object, string>();

const encoder = new TextEncoder();

// What a reader may have waiting before only its latest snapshot is kept: enough for a reconnect's replay of
// missed snapshots (shareByJob keeps 64) to go out whole to a reader that keeps up.
const BACKLOG_BYTES = 256 * 1024;

/**
 * Serves a snapshot Observable (`watchRun`, `queue.observe`) as Server-Sent Events: a Web `Response` of
 * `text/event-stream` that Hono, Next.js route handlers, Deno, Bun and `toNodeListener` send as is.
 *
 * Each snapshot is one event with its JSON as data and an `id` that orders it (`snapshotEventId`). A reader
 * reconnecting with `Last-Event-ID` gets only what is newer, starting from the current snapshot. A comment line
 * every `heartbeatMs` keeps proxies from closing the connection. After the terminal snapshot an `end` event
 * follows and the stream closes; an Observable that errors sends a `fault` event (`{ code, message }`) and closes.
 * The reader leaving (the request's signal, or the body cancelled) unsubscribes.
 *
 * @example
 * // Next.js: app/runs/[id]/events/route.ts
 * export function GET(request: Request, { params }: { params: { id: string } }) {
 *   return toEventStream(watchRun({ client, job: { kind: 'response', id: params.id }, source: stream() }), { request });
 * }
 */
export function toEventStream<S extends Orderable>(
  snapshots: Observable<S>,
  options: EventStreamOptions<S> = {},
): Response {
  const { request, heartbeatMs = 15_000, retryMs = 1_000, serialize, scheduler } = options;
  const lastId = request?.headers.get('last-event-id') ?? undefined;
  const signal = request?.signal;
  let subscription: Subscription | undefined;
  let stopHeartbeat: StopBeating | undefined;
  let onAbort: (() => void) | undefined;
  let pending: string | undefined;
  let pull: (() => void) | undefined;
  const stop = () => {
    stopHeartbeat?.();
    subscription?.unsubscribe();
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  };
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let open = true;
        // Other frames (the end, a fault) go after the snapshot still waiting, if any.
        const send = (text: string) => {
          if (!open) return;
          if (pending !== undefined) controller.enqueue(encoder.encode(pending));
          pending = undefined;
          controller.enqueue(encoder.encode(text));
        };
        // A reader that falls behind (its socket full) gets the latest snapshot when it catches up, not every one
        // in between: each snapshot is whole (a response's text included), and a backlog per reader is what would
        // make a thousand readers cost memory (bench/event-streams.ts).
        const sendSnapshotFrame = (text: string) => {
          if (!open) return;
          if ((controller.desiredSize ?? 1) > 0) {
            pending = undefined;
            controller.enqueue(encoder.encode(text));
          } else pending = text;
        };
        pull = () => {
          if (pending === undefined || !open) return;
          const text = pending;
          pending = undefined;
          controller.enqueue(encoder.encode(text));
        };
        const close = () => {
          if (!open) return;
          open = false;
          stop();
          controller.close();
        };
        onAbort = () => {
          if (!open) return;
          open = false;
          stop();
          controller.error(signal?.reason);
        };
        if (signal?.aborted) {
          onAbort();
          return;
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        send(`retry: ${retryMs}\n\n`);
        // A reader with bytes still waiting needs no heartbeat.
        stopHeartbeat = heartbeat(
          heartbeatMs,
          () => {
            if ((controller.desiredSize ?? 1) > 0) send(': keep-alive\n\n');
          },
          scheduler,
        );
        let last = lastId;
        const sendSnapshot = (s: S) => {
          const id = snapshotEventId(s);
          // A reconnect: the snapshots the reader already has come again; skip those.
          if (!isNewerEventId(id, last)) return;
          last = id;
          sendSnapshotFrame(`id: ${id}\ndata: ${dataOf(s, serialize)}\n\n`);
        };
        // What the Observable replays at subscribe (one snapshot from watchRun, a window of them from shareByJob):
        // a reconnecting reader gets all of it that is newer than its Last-Event-ID, a new reader the latest only.
        let replayed: S[] | undefined = [];
        const flush = () => {
          if (!replayed) return;
          const burst = lastId === undefined ? replayed.slice(-1) : replayed;
          replayed = undefined;
          for (const s of burst) sendSnapshot(s);
        };
        subscription = snapshots.subscribe({
          next: (s) => {
            if (replayed) replayed.push(s);
            else sendSnapshot(s);
          },
          error: (e: unknown) => {
            const { code = 'internal', message = 'the watch failed' } = (e ?? {}) as {
              code?: string;
              message?: string;
            };
            flush();
            send(`event: fault\ndata: ${JSON.stringify({ code, message })}\n\n`);
            close();
          },
          complete: () => {
            flush();
            send('event: end\ndata: {}\n\n');
            close();
          },
        });
        flush();
      },
      pull() {
        pull?.();
      },
      cancel() {
        stop();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: BACKLOG_BYTES }),
  );
  const headers = new Headers({
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    // nginx buffers proxied responses unless told not to: events would arrive in bursts.
    'x-accel-buffering': 'no',
  });
  if (options.allowOrigin) {
    headers.set('access-control-allow-origin', options.allowOrigin);
    headers.set('vary', 'origin');
  }
  return new Response(body, { status: 200, headers });
}

function dataOf<S>(snapshot: S, serialize: ((s: S) => unknown) | undefined): string {
  if (serialize) return JSON.stringify(serialize(snapshot));
  // Readers of one shared watch receive the same snapshot object: it is turned into JSON once for all of them.
  const key = snapshot as object;
  let data = DATA_CACHE.get(key);
  if (data === undefined) {
    data = JSON.stringify(snapshot);
    DATA_CACHE.set(key, data);
  }
  return data;
}
