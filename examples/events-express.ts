/**
 * Watches served to browsers from an Express app: `GET /runs/:id/events` streams a background response's snapshots
 * as Server-Sent Events (the page follows it with `followRun` from runstate/client). Every tab following one
 * response shares one watch (shareByJob); a tab that reconnects gets only what it missed.
 * Run: OPENAI_API_KEY=… npx tsx examples/events-express.ts, then open /runs/<resp_id>/events.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import express from 'express';
import OpenAI from 'openai';
import { shareByJob, toEventStream, toNodeListener } from '../src/http/index.js';
import { stream, watchRun } from '../src/index.js';

export interface ExampleServer {
  /** The app's origin: `${url}/runs/<id>/events`. */
  url: string;
  close(): Promise<void>;
}

export async function start(options: { client: OpenAI; port?: number }): Promise<ExampleServer> {
  const { client } = options;
  const follow = shareByJob((job) => watchRun({ client, job, source: stream() }));
  const app = express();

  // toNodeListener writes the event stream to Express's response directly; the route's params name the job.
  app.get('/runs/:id/events', (req, res) => {
    const events = toNodeListener((request) =>
      toEventStream(follow({ kind: 'response', id: req.params.id }), { request }),
    );
    events(req, res);
  });

  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(options.port ?? 8080, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { url } = await start({ client: new OpenAI() });
  console.log(`listening on ${url}/runs/<response id>/events`);
}
