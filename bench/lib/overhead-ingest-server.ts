// A webhook endpoint for bench/overhead.ts, in a child process (its own CPU): `fork(this file, [mode, secret])`,
// sends { port } once listening. Modes, each adding one layer of the hub to the one before:
// - 'bare': read the body, await the SDK's client.webhooks.unwrap(body, req.headers, secret), answer 200 (what any
//   verified endpoint must do at least);
// - 'bare-headers': the same with the headers copied into a Fetch `Headers` first, as the hub's node adapter does;
// - 'verifier': the hub's verifier (`createWebhookVerifier`) instead of unwrap: secret loop, event shape check;
// - 'receiver': the hub's node adapter and receiver (method, size, verify, idempotency claim), delivering nowhere;
// - 'hub': `createWebhookHub({ secret }).node`: the above plus routing (events held for late watches) and events$.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { createWebhookHub } from '../../src/index.js';
import { memoryIdempotencyStore } from '../../src/webhooks/idempotency.js';
import { toNodeHandler } from '../../src/webhooks/node-adapter.js';
import { createReceiver } from '../../src/webhooks/receive.js';
import { createWebhookCounters } from '../../src/webhooks/stats.js';
import { createWebhookVerifier } from '../../src/webhooks/verify.js';

/** The endpoint variants, from the bare baseline to the whole hub. */
export type IngestMode = 'bare' | 'bare-headers' | 'verifier' | 'receiver' | 'hub';

const [mode, secret] = process.argv.slice(2) as [IngestMode, string];

function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (value) for (const v of value) headers.append(name, v);
  }
  return headers;
}

/** Reads the body, then answers 200 once `check` resolves (400 if it rejects). */
function endpoint(
  check: (body: string, req: IncomingMessage) => Promise<unknown>,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      check(Buffer.concat(chunks).toString('utf8'), req).then(
        () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
        () => res.writeHead(400).end(),
      );
    });
  };
}

function handlerFor(m: IngestMode): (req: IncomingMessage, res: ServerResponse) => void {
  const client = new OpenAI({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9/v1' });
  switch (m) {
    case 'bare':
      return endpoint((body, req) => client.webhooks.unwrap(body, req.headers, secret));
    case 'bare-headers':
      return endpoint((body, req) => client.webhooks.unwrap(body, toHeaders(req), secret));
    case 'verifier': {
      const verify = createWebhookVerifier({ secrets: [secret] });
      return endpoint((body, req) => verify(body, toHeaders(req)));
    }
    case 'receiver': {
      const receive = createReceiver({
        verify: createWebhookVerifier({ secrets: [secret] }),
        store: memoryIdempotencyStore(),
        maxBodyBytes: 1024 * 1024,
        counters: createWebhookCounters(),
      });
      return toNodeHandler(receive, () => {});
    }
    case 'hub':
      return createWebhookHub({ secret }).node;
  }
}

const server = createServer(handlerFor(mode));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => server.close());
