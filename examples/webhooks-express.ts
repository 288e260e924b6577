/**
 * A webhook endpoint in an Express app. Run: OPENAI_WEBHOOK_SECRET=whsec_… npx tsx examples/webhooks-express.ts
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import express from 'express';
import { createWebhookHub, type WebhookHub } from '../src/webhooks/index.js';

export interface ExampleServer {
  url: string;
  hub: WebhookHub;
  close(): Promise<void>;
}

export async function start(options: { secret: string; port?: number }): Promise<ExampleServer> {
  const hub = createWebhookHub({ secret: options.secret });
  const app = express();

  // Before any body parser: the signature covers the raw bytes, so the hub reads the body itself.
  app.all('/webhooks/openai', hub.node);

  // The rest of the app parses JSON as usual.
  app.use(express.json());
  app.post('/api/echo', (req, res) => {
    res.json(req.body);
  });

  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(options.port ?? 8080, '127.0.0.1', () => resolve(s));
  });
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
