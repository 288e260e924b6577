import type { IncomingMessage, ServerResponse } from 'node:http';

/** A Web handler: what `toEventStream` routes and `createDashboard` are. */
export type WebHandler = (request: Request) => Response | Promise<Response>;

/**
 * Adapts a Web handler to `node:http` and Express: `(req, res) => void`. The request's `signal` aborts when the
 * client goes away, and the response body is cancelled then, so an event stream's watch is unsubscribed at once.
 * Bodies of GET requests only (the event streams and the dashboard read none).
 *
 * @example
 * http.createServer(toNodeListener((request) => toEventStream(queue.observe(jobFrom(request)), { request })));
 */
export function toNodeListener(handler: WebHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const gone = new AbortController();
    // 'close' on the response: the connection ended, whether the body was finished or the client left.
    res.once('close', () => gone.abort(new Error('the client closed the connection')));
    const request = new Request(new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`), {
      method: req.method ?? 'GET',
      headers: toHeaders(req),
      signal: gone.signal,
    });
    Promise.resolve()
      .then(() => handler(request))
      .then((response) => send(response, res, gone.signal))
      .catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('internal error');
      });
  };
}

async function send(response: Response, res: ServerResponse, gone: AbortSignal): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  // Event streams are small writes that must leave at once: no Nagle delay on this socket.
  res.socket?.setNoDelay(true);
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

function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  return headers;
}
