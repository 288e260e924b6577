import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One webhook POST as the receiver got it. */
export interface Received {
  body: string;
  headers: IncomingHttpHeaders;
}

/**
 * A real `node:http` webhook receiver that records every POST and answers with the status `respond` gives
 * for the n-th one (1-based; default 200).
 */
export async function startReceiver(
  respond: (n: number, received: Received) => number | Promise<number> = () => 200,
) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { body: Buffer.concat(chunks).toString('utf8'), headers: req.headers };
      received.push(entry);
      Promise.resolve(respond(received.length, entry)).then(
        (status) => res.writeHead(status).end(),
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
