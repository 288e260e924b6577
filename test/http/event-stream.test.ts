import { of, Subject, throwError, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { snapshotEventId } from '../../src/client/event-order.js';
import { toEventStream } from '../../src/http/event-stream.js';

const at = 1_733_480_000_000;
const snap = (state: 'queued' | 'in_progress' | 'completed', textLength: number, dt: number) => ({
  state,
  at: at + dt,
  done: state === 'completed',
  textLength,
  text: 'x'.repeat(textLength),
});
const s1 = snap('queued', 0, 0);
const s2 = snap('in_progress', 3, 10);
const s3 = snap('completed', 5, 20);

/** The events of a finished stream, parsed as EventSource parses them (comments apart). */
async function eventsOf(response: Response) {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event: Record<string, string> = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) event.comment = line.slice(1).trim();
        else {
          const i = line.indexOf(':');
          event[line.slice(0, i)] = line.slice(i + 1).trimStart();
        }
      }
      return event;
    });
}

describe('toEventStream', () => {
  it('sends each snapshot as JSON with its ordering id, then an end event, as text/event-stream', async () => {
    const subject = new Subject<typeof s1>();
    const response = toEventStream(subject);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    subject.next(s1);
    subject.next(s2);
    subject.next(s3);
    subject.complete();
    const events = await eventsOf(response);
    expect(events[0]).toEqual({ retry: '1000' });
    expect(events.slice(1, 4).map((e) => [e.id, JSON.parse(e.data!).state])).toEqual([
      [snapshotEventId(s1), 'queued'],
      [snapshotEventId(s2), 'in_progress'],
      [snapshotEventId(s3), 'completed'],
    ]);
    expect(events[4]).toEqual({ event: 'end', data: '{}' });
    expect(events).toHaveLength(5);
  });

  it('gives a new reader the current snapshot of what is replayed, and a reconnecting one all that is newer', async () => {
    const fresh = await eventsOf(toEventStream(of(s1, s2, s3)));
    expect(fresh.filter((e) => e.id).map((e) => e.id)).toEqual([snapshotEventId(s3)]);
    const request = new Request('http://x/', { headers: { 'last-event-id': snapshotEventId(s1) } });
    const resumed = await eventsOf(toEventStream(of(s1, s2, s3), { request }));
    expect(resumed.filter((e) => e.id).map((e) => e.id)).toEqual([snapshotEventId(s2), snapshotEventId(s3)]);
    const current = new Request('http://x/', { headers: { 'last-event-id': snapshotEventId(s3) } });
    const nothing = await eventsOf(toEventStream(of(s1, s2, s3), { request: current }));
    expect(nothing.filter((e) => e.id)).toEqual([]);
    expect(nothing.at(-1)).toEqual({ event: 'end', data: '{}' });
  });

  it('keeps the connection alive with comment lines', async () => {
    const scheduler = new VirtualTimeScheduler();
    const subject = new Subject<typeof s1>();
    const response = toEventStream(subject, { heartbeatMs: 1_000, scheduler });
    // The stream's body starts on its first read: a stream nobody reads yet has nobody to keep alive.
    const events = eventsOf(response);
    await new Promise((resolve) => setTimeout(resolve, 0));
    scheduler.maxFrames = 3_500;
    scheduler.flush();
    subject.complete();
    const comments = (await events).filter((e) => e.comment);
    expect(comments).toHaveLength(3);
  });

  it('unsubscribes when the reader leaves: the request aborts, or the body is cancelled', async () => {
    const subject = new Subject<typeof s1>();
    const leave = new AbortController();
    const response = toEventStream(subject, { request: new Request('http://x/', { signal: leave.signal }) });
    expect(subject.observed).toBe(true);
    leave.abort();
    expect(subject.observed).toBe(false);
    await expect(response.text()).rejects.toBeDefined();
    const other = new Subject<typeof s1>();
    const body = toEventStream(other).body!;
    expect(other.observed).toBe(true);
    await body.cancel();
    expect(other.observed).toBe(false);
  });

  it('keeps only the latest snapshot for a reader that fell behind, and still ends with it', async () => {
    const subject = new Subject<ReturnType<typeof snap>>();
    const response = toEventStream(subject);
    // Nobody reads while 2,000 snapshots of 1 KiB come: far more than the backlog a reader may keep.
    for (let i = 1; i <= 2_000; i++) subject.next(snap('in_progress', 1_000 + i, i));
    subject.complete();
    const ids = (await eventsOf(response)).filter((e) => e.id).map((e) => e.id);
    expect(ids.length).toBeLessThan(2_000);
    expect(ids.length).toBeGreaterThan(100);
    expect(ids.at(-1)).toBe(snapshotEventId(snap('in_progress', 3_000, 2_000)));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('sends a fault event with the error code when the watch fails', async () => {
    const failing = throwError(() => Object.assign(new Error('job resp_1 not found'), { code: 'not_found' }));
    const events = await eventsOf(toEventStream(failing));
    expect(events.at(-1)).toEqual({
      event: 'fault',
      data: JSON.stringify({ code: 'not_found', message: 'job resp_1 not found' }),
    });
  });

  it('sends no CORS header unless an origin is allowed', () => {
    expect(toEventStream(of(s1)).headers.get('access-control-allow-origin')).toBeNull();
    const allowed = toEventStream(of(s1), { allowOrigin: 'https://app.example' });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });
});
