/**
 * A webhook endpoint on plain `node:http`. Run: OPENAI_WEBHOOK_SECRET=whsec_… npx tsx examples/webhooks-node.ts
 * then point the project's webhook (platform.openai.com → Settings → Webhooks) at https://<host>/webhooks/openai.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createWebhookHub, type WebhookHub } from '../src/webhooks/index.js';

export interface ExampleServer {
  url: string;
  hub: WebhookHub;
  close(): Promise<void>;
}

export async function start(options: { secret: string; port?: number }): Promise<ExampleServer> {
  const hub = createWebhookHub({ secret: options.secret });

  const server = createServer((req, res) => {
    if (req.url === '/webhooks/openai') return hub.node(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 8080, '127.0.0.1', resolve));

  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/openai`,
    hub,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { url, hub } = await start({ secret: process.env.OPENAI_WEBHOOK_SECRET ?? '' });
  hub.events$.subscribe((event) => console.log(event.type, event.data.id));
  console.log(`listening on ${url}`);
}
