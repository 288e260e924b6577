import type { Observable, SchedulerLike } from 'rxjs';
import type { Orderable } from '../client/event-order.js';
import { type FrameSession, type FrameSink, openFrames } from './event-frames.js';

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

const encoder = new TextEncoder();

// The sessions of the Responses toEventStream made, for toNodeListener to write straight to the socket instead.
const sessions = new WeakMap<Response, FrameSession>();

/**
 * Takes over the event stream of a `Response` that `toEventStream` made and nobody has read: the caller attaches its
 * own sink, and the `Response`'s Web stream is never used (toNodeListener: a `node:http` response written directly
 * costs a connection much less heap than a `ReadableStream` read into it).
 */
export function takeEventStream(response: Response): FrameSession | undefined {
  const session = sessions.get(response);
  if (!session || response.bodyUsed || response.body?.locked) return undefined;
  sessions.delete(response);
  return session;
}

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
  const signal = request?.signal;
  const session = openFrames(snapshots, {
    lastEventId: request?.headers.get('last-event-id') ?? undefined,
    heartbeatMs,
    retryMs,
    serialize,
    scheduler,
  });
  const onAbort = () => session.stop();
  if (signal?.aborted) session.stop();
  else signal?.addEventListener('abort', onAbort, { once: true });
  let attached = false;
  // The Web stream starts on the first read, so that toNodeListener can take the session before anyone reads. A
  // high-water mark of 0 makes desiredSize minus the bytes waiting, which the session weighs against its backlog.
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (attached) return session.drained();
        attached = true;
        session.attach(webSink(controller, () => signal?.removeEventListener('abort', onAbort)));
      },
      cancel() {
        signal?.removeEventListener('abort', onAbort);
        session.stop();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 0 }),
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
  const response = new Response(body, { status: 200, headers });
  sessions.set(response, session);
  return response;
}

function webSink(controller: ReadableStreamDefaultController<Uint8Array>, done: () => void): FrameSink {
  let open = true;
  return {
    waiting: () => Math.max(0, -(controller.desiredSize ?? 0)),
    // A fresh copy per reader: a runtime may transfer the chunks it sends.
    write: (frame) => {
      if (open) controller.enqueue(encoder.encode(frame));
    },
    end: () => {
      if (!open) return;
      open = false;
      done();
      controller.close();
    },
    fail: (reason) => {
      if (!open) return;
      open = false;
      done();
      controller.error(reason);
    },
  };
}
