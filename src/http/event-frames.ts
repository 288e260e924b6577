import type { Observable, SchedulerLike, Subscription } from 'rxjs';
import { isNewerEventId, type Orderable, snapshotEventId } from '../client/event-order.js';
import { heartbeat, type StopBeating } from './heartbeats.js';

/**
 * Where one reader's frames go: a Web `ReadableStream` (toEventStream's `Response`) or a `node:http` response
 * written directly (toNodeListener). Frames are whole Server-Sent Events blocks.
 */
export interface FrameSink {
  /** Bytes written and not yet taken by the reader. */
  waiting(): number;
  /**
   * A snapshot's frame comes with `shared`, the same object for every reader of the same snapshot (without a
   * `serialize` option): a sink may keep its encoded form there, made once for all of them.
   */
  write(frame: string, shared?: SharedFrame): void;
  end(): void;
  fail(reason: unknown): void;
}

/** One reader's event stream: subscribed at once; frames wait in memory until a sink is attached. */
export interface FrameSession {
  /** Sends what waited, then everything to come, to `sink`. Once only. */
  attach(sink: FrameSink): void;
  /** The sink took bytes: a snapshot held back for a slow reader goes now. */
  drained(): void;
  /** The reader left: unsubscribes. */
  stop(): void;
}

/** What `openFrames` needs from `toEventStream`'s options. */
export interface FrameOptions<S> {
  lastEventId?: string | undefined;
  heartbeatMs: number;
  retryMs: number;
  serialize?: ((snapshot: S) => unknown) | undefined;
  scheduler?: SchedulerLike | undefined;
}

// What a reader may have waiting before only its latest snapshot is kept: enough for a reconnect's replay of
// missed snapshots (shareByJob keeps 64) to go out whole to a reader that keeps up.
export const BACKLOG_BYTES = 256 * 1024;

/** A snapshot's frame, made once for every reader of the same snapshot object (shareByJob's readers). */
export interface SharedFrame {
  readonly frame: string;
  /** The frame's bytes, for a sink that writes bytes (toNodeListener's): set by the first such sink. */
  bytes?: Uint8Array;
}

interface Framed extends SharedFrame {
  readonly id: string;
}
// The frame of the snapshot last sent. A shared watch hands one snapshot to all its readers in one synchronous
// burst, so one slot serves them all: the JSON is made once per snapshot, not once per reader. A map from every
// snapshot still held (shareByJob keeps 64 per job for reconnects) to its frame kept a string and a Buffer per
// snapshot alive for as long as the window held it: bytes that grow with the watches' text, not with the readers.
let lastSnapshot: object | undefined;
let lastFramed: Framed | undefined;

function framed<S extends Orderable>(s: S, serialize: ((s: S) => unknown) | undefined): Framed {
  if (serialize) {
    const id = snapshotEventId(s);
    return { id, frame: `id: ${id}\ndata: ${JSON.stringify(serialize(s))}\n\n` };
  }
  if (lastSnapshot === s && lastFramed) return lastFramed;
  const id = snapshotEventId(s);
  // JSON never holds a raw line break, so one `data:` line is the whole snapshot.
  lastFramed = { id, frame: `id: ${id}\ndata: ${JSON.stringify(s)}\n\n` };
  lastSnapshot = s;
  return lastFramed;
}

/** Frames written before a sink is attached, with the same rule for a backlog as a slow sink. */
class HeldFrames implements FrameSink {
  readonly frames: [string, SharedFrame | undefined][] = [];
  bytes = 0;
  ended = false;
  failure: { reason: unknown } | undefined;
  waiting() {
    return this.bytes;
  }
  write(frame: string, shared?: SharedFrame) {
    this.frames.push([frame, shared]);
    this.bytes += frame.length;
  }
  end() {
    this.ended = true;
  }
  fail(reason: unknown) {
    this.failure = { reason };
  }
}

/**
 * Subscribes to `snapshots` for one reader and turns them into event-stream frames: `retry:` first; each snapshot
 * newer than the reader's `Last-Event-ID` with its ordering id; a comment every `heartbeatMs` while nothing waits;
 * `end` after completion, `fault` after an error. A reader that falls behind (more than {@link BACKLOG_BYTES}
 * waiting) gets the latest snapshot when it catches up, not every one in between: each snapshot is whole (a
 * response's text included), and a backlog per reader is what would make a thousand readers cost memory.
 */
export function openFrames<S extends Orderable>(
  snapshots: Observable<S>,
  options: FrameOptions<S>,
): FrameSession {
  const { lastEventId, heartbeatMs, retryMs, serialize, scheduler } = options;
  const held = new HeldFrames();
  let sink: FrameSink = held;
  let open = true;
  let pending: Framed | undefined;
  let subscription: Subscription | undefined;
  let stopHeartbeat: StopBeating | undefined;

  const stop = () => {
    open = false;
    pending = undefined;
    stopHeartbeat?.();
    subscription?.unsubscribe();
  };
  const writeSnapshot = (f: Framed) => sink.write(f.frame, f);
  // Other frames (the end, a fault) go after the snapshot still waiting, if any.
  const send = (frame: string) => {
    if (pending) writeSnapshot(pending);
    pending = undefined;
    sink.write(frame);
  };
  const close = (fault?: string) => {
    if (!open) return;
    send(fault ?? 'event: end\ndata: {}\n\n');
    stop();
    sink.end();
  };

  send(`retry: ${retryMs}\n\n`);
  let last = lastEventId;
  const sendSnapshot = (s: S) => {
    if (!open) return;
    const f = framed(s, serialize);
    // A reconnect: the snapshots the reader already has come again; skip those.
    if (!isNewerEventId(f.id, last)) return;
    last = f.id;
    if (sink.waiting() < BACKLOG_BYTES) {
      pending = undefined;
      writeSnapshot(f);
    } else pending = f;
  };
  // What the Observable replays at subscribe (one snapshot from watchRun, a window of them from shareByJob): a
  // reconnecting reader gets all of it that is newer than its Last-Event-ID, a new reader the latest only.
  let replayed: S[] | undefined = [];
  const flush = () => {
    if (!replayed) return;
    const burst = lastEventId === undefined ? replayed.slice(-1) : replayed;
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
      close(`event: fault\ndata: ${JSON.stringify({ code, message })}\n\n`);
    },
    complete: () => {
      flush();
      close();
    },
  });
  flush();
  if (open) {
    // Nobody reads yet (no sink), or the reader is a full backlog behind: a comment would only wait with the rest.
    stopHeartbeat = heartbeat(
      heartbeatMs,
      () => {
        if (sink !== held && sink.waiting() < BACKLOG_BYTES) sink.write(': keep-alive\n\n');
      },
      scheduler,
    );
  }

  return {
    attach(to) {
      if (sink !== held) return;
      sink = to;
      for (const [frame, shared] of held.frames) to.write(frame, shared);
      held.frames.length = 0;
      if (held.failure) to.fail(held.failure.reason);
      else if (held.ended) to.end();
    },
    drained() {
      if (!open || !pending || sink.waiting() >= BACKLOG_BYTES) return;
      const f = pending;
      pending = undefined;
      writeSnapshot(f);
    },
    stop() {
      if (!open) return;
      stop();
      sink.fail(new Error('the reader left'));
    },
  };
}
