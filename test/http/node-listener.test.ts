import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Observable, of, Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { snapshotEventId } from '../../src/client/event-order.js';
import {
  type EventStreamOptions,
  toEventStream,
  toNodeListener,
  type WebHandler,
} from '../../src/http/index.js';

// toNodeListener over real sockets: a toEventStream Response is written to the socket directly (not read through
// its Web stream), and must send exactly what the Web stream would.

const at = 1_733_480_000_000;
type Snap = {
  state: 'queued' | 'in_progress' | 'completed';
  at: number;
  done: boolean;
  textLength: number;
  text: string;
};
const snap = (state: Snap['state'], textLength: number, dt: number): Snap => ({
  state,
  at: at + dt,
  done: state === 'completed',
  textLength,
  text: 'x'.repeat(textLength),
});
const s1 = snap('queued', 0, 0);
const s2 = snap('in_progress', 3, 10);
const s3 = snap('completed', 5, 20);

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function serve(handler: WebHandler): Promise<string> {
  server = createServer(toNodeListener(handler));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

const streamOf =
  (observe: () => Observable<Snap>, options: Omit<EventStreamOptions<Snap>, 'request'> = {}): WebHandler =>
  (req) =>
    toEventStream(observe(), { ...options, request: req });

const idsOf = (text: string) => [...text.matchAll(/^id: (.*)$/gm)].map((m) => m[1]);

describe('toNodeListener with toEventStream', () => {
  it('sends over the socket what the Web stream sends, byte for byte, and resumes after Last-Event-ID', async () => {
    const url = await serve(streamOf(() => of(s1, s2, s3)));
    const overHttp = await (await fetch(url)).text();
    const web = await toEventStream(of(s1, s2, s3)).text();
    expect(overHttp).toBe(web);
    expect(idsOf(overHttp)).toEqual([snapshotEventId(s3)]);
    expect(overHttp.endsWith('event: end\ndata: {}\n\n')).toBe(true);
    const resumed = await fetch(url, { headers: { 'last-event-id': snapshotEventId(s1) } });
    expect(resumed.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(idsOf(await resumed.text())).toEqual([snapshotEventId(s2), snapshotEventId(s3)]);
  });

  it('writes live snapshots as they come, and unsubscribes when the reader closes the connection', async () => {
    const subject = new Subject<Snap>();
    const url = await serve(streamOf(() => subject));
    const leave = new AbortController();
    const response = await fetch(url, { signal: leave.signal });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const until = async (part: string) => {
      while (!text.includes(part)) text += (await reader.read()).value ?? '';
    };
    subject.next(s1);
    await until(`id: ${snapshotEventId(s1)}`);
    subject.next(s2);
    await until(`id: ${snapshotEventId(s2)}`);
    expect(subject.observed).toBe(true);
    leave.abort();
    await expect.poll(() => subject.observed).toBe(false);
  });

  it('gives a reader that stopped reading the latest snapshot when it reads again, not its whole backlog', async () => {
    const subject = new Subject<Snap>();
    const url = await serve(streamOf(() => subject));
    const { hostname, port } = new URL(url);
    const res = await new Promise<IncomingMessage>((resolve) => request({ hostname, port }, resolve).end());
    res.pause();
    await expect.poll(() => subject.observed).toBe(true);
    // 4,000 snapshots of 4 KiB while nobody reads: 16 MiB, more than the sockets' buffers and the backlog hold.
    for (let i = 1; i <= 4_000; i++) subject.next(snap('in_progress', 4_000 + i, i));
    subject.complete();
    res.setEncoding('utf8');
    let text = '';
    res.on('data', (chunk: string) => {
      text += chunk;
    });
    res.resume();
    await new Promise((resolve) => res.on('end', resolve));
    const ids = idsOf(text);
    expect(ids.length).toBeLessThan(4_000);
    expect(ids.at(-1)).toBe(snapshotEventId(snap('in_progress', 8_000, 4_000)));
    expect(new Set(ids).size).toBe(ids.length);
    expect(text.endsWith('event: end\ndata: {}\n\n')).toBe(true);
  });

  it('reads the Web stream of a Response it cannot take over: one rebuilt around the body, or another handler', async () => {
    const wrapped = await serve((req) => {
      const events = toEventStream(of(s1, s2), { request: req });
      return new Response(events.body, {
        headers: { 'content-type': 'text/event-stream', 'x-wrapped': '1' },
      });
    });
    const answer = await fetch(wrapped);
    expect(answer.headers.get('x-wrapped')).toBe('1');
    expect(idsOf(await answer.text())).toEqual([snapshotEventId(s2)]);
    await new Promise((resolve) => server?.close(resolve));
    const plain = await serve(() => new Response('ok', { status: 201 }));
    const ok = await fetch(plain);
    expect([ok.status, await ok.text()]).toEqual([201, 'ok']);
  });

  it('keeps the headers a handler set on the Response it returns', async () => {
    const url = await serve((req) => {
      const events = toEventStream(of(s1), { request: req });
      events.headers.set('x-app', 'mine');
      return events;
    });
    const answer = await fetch(url);
    expect(answer.headers.get('x-app')).toBe('mine');
    expect(idsOf(await answer.text())).toEqual([snapshotEventId(s1)]);
  });
});
