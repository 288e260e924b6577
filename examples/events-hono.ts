/**
 * Watches served to browsers from a Hono app: `toEventStream` returns a Web `Response`, which Hono sends as it is
 * (on Node through @hono/node-server here; on Bun, Deno and Workers the same `app.fetch`). Every tab following
 * one response shares one watch (shareByJob); a tab that reconnects gets only what it missed.
 * Run: OPENAI_API_KEY=… npx tsx examples/events-hono.ts, then open /runs/<resp_id>/events.
 */
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import OpenAI from 'openai';
import { shareByJob, toEventStream } from '../src/http/index.js';
import { stream, watchRun } from '../src/index.js';

export interface ExampleServer {
  /** The app's origin: `${url}/runs/<id>/events`. */
  url: string;
  close(): Promise<void>;
}

export async function start(options: { client: OpenAI; port?: number }): Promise<ExampleServer> {
  const { client } = options;
  const follow = shareByJob((job) => watchRun({ client, job, source: stream() }));
  const app = new Hono();

  // c.req.raw is the Web Request: its Last-Event-ID says where a reconnecting tab was, its signal when it left.
  app.get('/runs/:id/events', (c) =>
    toEventStream(follow({ kind: 'response', id: c.req.param('id') }), { request: c.req.raw }),
  );

  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>(
    (resolve) => {
      const server = serve(
        { fetch: app.fetch, port: options.port ?? 8080, hostname: '127.0.0.1' },
        (info: AddressInfo) => resolve({ server, port: info.port }),
      );
    },
  );
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { url } = await start({ client: new OpenAI() });
  console.log(`listening on ${url}/runs/<response id>/events`);
}
