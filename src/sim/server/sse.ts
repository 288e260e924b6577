import type { ServerResponse } from 'node:http';
import type { SimClock } from '../time/clock.js';
import type { StreamFault } from './faults.js';

/** One server-sent event and the clock time (epoch ms) it happens at. */
export interface TimedEvent {
  at: number;
  /** The SSE `event:` name (the event's `type`). */
  event: string;
  /** The JSON `data:` payload. */
  data: unknown;
}

/**
 * What a job streams: its events, past and planned, in order (an event's index is its `sequence_number`). The
 * list is recomputed from the job's script at each look, so a cancel shortens the future and never renumbers the
 * past.
 */
export interface SseFeed {
  events(): readonly TimedEvent[];
  /** Whether nothing can follow the events listed, at clock time `now` (the job has ended). */
  ended(now: number): boolean;
  /** When the job is next due to change, if it has not ended (its last planned step). */
  endsAt(): number;
  /** Calls `fn` whenever the script is rewritten (a cancel); returns a function that stops it. */
  onChange(fn: () => void): () => void;
}

/** What a streaming endpoint answers: the feed, and the index of the first event to send. */
export interface SseReply {
  feed: SseFeed;
  from: number;
}

/** Real ms between a dropped stream's last event and its close: time for the client to read what came. */
const DROP_GRACE_MS = 20;

/** An SSE frame as OpenAI writes it: `event:` then one JSON `data:` line. */
export function formatSse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Writes `feed` from event `from` on, each event when the clock reaches it, and ends the response once the job
 * has ended and every event is out. A `fault` drops the connection after some events (the client sees a broken
 * chunked body), or stalls it for a while. Returns a function that stops it (the connection closed).
 */
export function serveSse(
  res: ServerResponse,
  reply: SseReply,
  clock: SimClock,
  fault: StreamFault | undefined,
  onDrop?: () => void,
): () => void {
  let next = reply.from;
  let written = 0;
  let stallUntil: number | undefined;
  let closed = false;
  let cancelTimer: (() => void) | undefined;

  const stop = () => {
    closed = true;
    cancelTimer?.();
    cancelTimer = undefined;
    unsubscribe();
  };
  const wakeAt = (at: number) => {
    cancelTimer = clock.schedule(at, pump);
  };
  const drop = () => {
    stop();
    onDrop?.();
    // End the socket, not the response: what was written still goes out (the client gets exactly `dropAfter`
    // events), then the connection closes in the middle of the chunked body, which the client sees as a drop.
    // Not at once: a fetch body that errors discards what it received and was not read yet (WHATWG streams clear
    // their queue on error), so the close waits until the events are flushed and the client had a moment to
    // read them (Node 24's fetch lost the last two of four events otherwise).
    const socket = res.socket;
    res.write('', () => setTimeout(() => socket?.end(), DROP_GRACE_MS));
  };

  function pump(): void {
    cancelTimer?.();
    cancelTimer = undefined;
    if (closed) return;
    const now = clock.now();
    if (stallUntil !== undefined && now < stallUntil) {
      wakeAt(stallUntil);
      return;
    }
    if (fault?.dropAfter === 0) {
      drop();
      return;
    }
    const events = reply.feed.events();
    while (next < events.length && events[next]!.at <= now) {
      if (fault?.stallMs && stallUntil === undefined && written === (fault.stallAfter ?? 0)) {
        stallUntil = now + fault.stallMs;
        wakeAt(stallUntil);
        return;
      }
      const e = events[next]!;
      res.write(formatSse(e.event, e.data));
      next++;
      written++;
      if (fault?.dropAfter !== undefined && written >= fault.dropAfter) {
        drop();
        return;
      }
    }
    if (next >= events.length && reply.feed.ended(now)) {
      stop();
      res.end();
      return;
    }
    if (next < events.length) wakeAt(events[next]!.at);
    // Nothing more planned and not ended (a session waiting for input): only a change of script (onChange) can
    // bring more; a wake-up at a past time would spin.
    else if (reply.feed.endsAt() > now) wakeAt(reply.feed.endsAt());
  }

  const unsubscribe = reply.feed.onChange(() => pump());
  res.on('close', stop);
  pump();
  return stop;
}
