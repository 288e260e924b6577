import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FrameSession, FrameSink } from './event-frames.js';
import { takeEventStream } from './event-stream.js';

/** A Web handler: what `toEventStream` routes and `createDashboard` are. */
export type WebHandler = (request: Request) => Response | Promise<Response>;

/**
 * Adapts a Web handler to `node:http` and Express: `(req, res) => void`. The request's `signal` aborts when the
 * client goes away, and the response body is cancelled then, so an event stream's watch is unsubscribed at once.
 * Bodies of GET requests only (the event streams and the dashboard read none).
 *
 * A `Response` that `toEventStream` made, returned unread, is not read through its Web stream: its events are
 * written to the socket directly, each snapshot's bytes made once for every reader of it. A connection costs about
 * a third of the heap that way (docs/benchmarks.md, "Event streams").
 *
 * @example
 * http.createServer(toNodeListener((request) => toEventStream(queue.observe(jobFrom(request)), { request })));
 */
export function toNodeListener(handler: WebHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const gone = new AbortController();
    // 'close' on the response: the connection ended, whether the body was finished or the client left. This
    // listener lives as long as the connection: it is made where it closes over nothing else (a closure made beside
    // the Request would keep the Request, its headers and URL alive for the whole stream).
    res.once('close', () => gone.abort(new Error('the client closed the connection')));
    respond(handler, req, res, gone.signal);
  };
}

function respond(handler: WebHandler, req: IncomingMessage, res: ServerResponse, gone: AbortSignal): void {
  const request = new Request(new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`), {
    method: req.method ?? 'GET',
    headers: toHeaders(req),
    signal: gone,
  });
  Promise.resolve()
    .then(() => handler(request))
    .then((response) => send(response, res, gone))
    .catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('internal error');
    });
}

async function send(response: Response, res: ServerResponse, gone: AbortSignal): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const frames = takeEventStream(response);
  res.writeHead(response.status, headers);
  // Event streams are small writes that must leave at once: no Nagle delay on this socket.
  if (frames || response.body) res.socket?.setNoDelay(true);
  if (frames) return writeFrames(frames, res);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  if (gone.aborted) return cancel();
  gone.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // A reader slower than its events: wait for the socket to drain, so that what waits stays in the event
      // stream (which keeps only the latest snapshot then) rather than piling up in Node's write buffer.
      if (!res.write(value))
        await new Promise<void>((resolve) => {
          const go = () => {
            res.off('drain', go);
            res.off('close', go);
            resolve();
          };
          res.on('drain', go);
          res.on('close', go);
        });
    }
    res.end();
  } catch {
    res.destroy();
  } finally {
    gone.removeEventListener('abort', cancel);
  }
}

// Each snapshot's frame as bytes, once for all the readers of it: Node writes a Buffer without copying it.
function bytesOf(frame: string, shared: { bytes?: Uint8Array } | undefined): Uint8Array | string {
  if (!shared) return frame;
  shared.bytes ??= Buffer.from(frame);
  return shared.bytes;
}

/**
 * An event stream written to the response as it comes. A slow reader's bytes wait in Node's write buffer, which
 * the session weighs against its backlog; 'drain' lets it send the snapshot it held back. The request's signal
 * (the connection closing) stops the session.
 */
function writeFrames(frames: FrameSession, res: ServerResponse): void {
  const drained = () => frames.drained();
  res.on('drain', drained);
  // The session's own listener is on the Request's signal, which lives only as long as the Request: once the
  // handler has returned, nothing keeps that Request, so the connection closing is heard here.
  res.once('close', () => frames.stop());
  let open = true;
  const sink: FrameSink = {
    waiting: () => res.writableLength,
    write: (frame, shared) => {
      if (open) res.write(bytesOf(frame, shared));
    },
    end: () => {
      if (!open) return;
      open = false;
      res.off('drain', drained);
      res.end();
    },
    fail: () => {
      if (!open) return;
      open = false;
      res.off('drain', drained);
      res.destroy();
    },
  };
  frames.attach(sink);
}

function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  return headers;
}
