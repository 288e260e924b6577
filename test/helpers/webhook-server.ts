import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookHub } from '../../src/webhooks/hub.js';

/** A real `node:http` server on 127.0.0.1, port 0, serving the hub's node adapter. */
export async function listenHub(
  hub: WebhookHub,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(hub.node);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

/** Resolves after pending timers and immediates (the hub delivers on a later task than its answer). */
export function settle(ms = 20): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
