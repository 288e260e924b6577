/**
 * A webhook endpoint in a Hono app (the same `hub.handler` serves Next.js route handlers, Bun, Deno and Workers:
 * it takes a Web `Request` and returns a `Response`). Run: OPENAI_WEBHOOK_SECRET=whsec_… npx tsx examples/webhooks-hono.ts
 */
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createWebhookHub, type WebhookHub } from '../src/webhooks/index.js';

export interface ExampleServer {
  url: string;
  hub: WebhookHub;
  close(): Promise<void>;
}

export async function start(options: { secret: string; port?: number }): Promise<ExampleServer> {
  const hub = createWebhookHub({ secret: options.secret });
  const app = new Hono();

  // c.req.raw is the untouched Web Request: the hub reads and verifies its body.
  app.all('/webhooks/openai', (c) => hub.handler(c.req.raw));

  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>(
    (resolve) => {
      const server = serve(
        { fetch: app.fetch, port: options.port ?? 8080, hostname: '127.0.0.1' },
        (info: AddressInfo) => resolve({ server, port: info.port }),
      );
    },
  );
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
