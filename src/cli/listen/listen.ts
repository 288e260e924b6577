import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { WebhookEvent } from '../../webhooks/event.js';
import { createWebhookHub, type WebhookHub } from '../../webhooks/index.js';
import { parseOrUsage, port, required } from '../args.js';
import { type CliIo, type Command, UsageError } from '../command.js';
import { createStyle, type Style, timestamp } from '../format.js';
import { serve } from '../http-server.js';
import { aborted, interruption } from '../signals.js';

const DEFAULT_PORT = 4242;

const help = `Usage: runstate listen [--port N] [--secret whsec_...] [options]

A local webhook endpoint: verifies each delivery (Standard Webhooks signature, timestamp within 5 minutes)
and prints it, as payment platforms' CLI listeners do. Rejected deliveries are printed with their reason
(bad_signature, stale_timestamp, missing_headers, invalid_payload, ...); the secret is never printed.
Duplicates (same webhook-id) are answered 200 and shown once. Runs until Ctrl-C or SIGTERM.

Options:
  --port N          port to listen on (default ${DEFAULT_PORT}; 0: any free port)
  --host HOST       interface (default 127.0.0.1; 0.0.0.0 to accept from other machines)
  --secret S        the endpoint's signing secret (default: OPENAI_WEBHOOK_SECRET)
  --json            one JSON object per line: {"verdict":"accepted","event":{...}} or
                    {"verdict":"rejected","reason":...}
  -h, --help        show this help

Environment: OPENAI_WEBHOOK_SECRET, NO_COLOR.

Examples:
  runstate listen --secret whsec_...
  OPENAI_WEBHOOK_SECRET=whsec_... runstate listen --port 8080
  runstate sim --webhook-url http://127.0.0.1:${DEFAULT_PORT}/ --webhook-secret "$OPENAI_WEBHOOK_SECRET" &
  runstate listen`;

/** What the hub answered a request that it did not accept, read back from its JSON error body. */
interface Refusal {
  status: number;
  reason: string;
  message: string;
}

/** How the hub answered one request. */
interface Answer {
  status: number;
  body: string;
  webhookId: string | undefined;
}

/**
 * Serves the hub's Web handler (`Request` → `Response`) from `node:http`, so the CLI sees each answer the hub
 * gives: why it refused (its JSON body, `{ error, message }`, never contains the secret) or that it was a repeat.
 */
function answeringWith(hub: WebhookHub, onAnswer: (answer: Answer) => void) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
        headers.append(name, v);
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
      method: req.method ?? 'GET',
      headers,
      body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : null,
      duplex: 'half',
    } as RequestInit);
    hub.handler(request).then(
      async (response) => {
        const body = await response.text();
        onAnswer({ status: response.status, body, webhookId: headers.get('webhook-id') ?? undefined });
        // An oversized body is left unread: close the connection rather than drain it.
        if (response.status === 413) res.setHeader('connection', 'close');
        response.headers.forEach((value, name) => {
          res.setHeader(name, value);
        });
        res.writeHead(response.status);
        res.end(body);
      },
      () => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":"internal"}');
      },
    );
  };
}

function parseRefusal(status: number, body: string): Refusal {
  try {
    const parsed = JSON.parse(body) as { error?: string; message?: string };
    return { status, reason: parsed.error ?? `http_${status}`, message: parsed.message ?? '' };
  } catch {
    return { status, reason: `http_${status}`, message: '' };
  }
}

function eventLine(event: WebhookEvent, style: Style): string {
  const created = timestamp(event.created_at * 1000);
  const about = typeof event.data.id === 'string' ? event.data.id : '(no data.id)';
  return `${style.dim(timestamp(Date.now()))}  ${style.green('✓')} ${style.bold(event.type)}  ${about}  ${style.dim(
    `${event.id}, created ${created}, webhook-id ${event.webhookId}`,
  )}`;
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseOrUsage(() =>
    parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        secret: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }),
  );
  const listenPort = port('port', values.port) ?? DEFAULT_PORT;
  const fromFlag = values.secret !== undefined;
  const secret = required(
    values.secret ?? io.env.OPENAI_WEBHOOK_SECRET,
    '--secret (or OPENAI_WEBHOOK_SECRET)',
  );
  let hub: WebhookHub;
  try {
    hub = createWebhookHub({ secret });
  } catch (error) {
    throw new UsageError(`${fromFlag ? '--secret' : 'OPENAI_WEBHOOK_SECRET'}: ${(error as Error).message}`);
  }
  const style = createStyle(io.stdout, io.env);
  const json = values.json;
  const print = (line: string) => io.stdout.write(`${line}\n`);

  const events = hub.events$.subscribe((event) => {
    print(json ? JSON.stringify({ verdict: 'accepted', event }) : eventLine(event, style));
  });
  const handler = answeringWith(hub, ({ status, body, webhookId }) => {
    if (status >= 200 && status < 300) {
      if (!body.includes('"duplicate":true')) return;
      print(
        json
          ? JSON.stringify({ verdict: 'duplicate', webhookId })
          : `${style.dim(timestamp(Date.now()))}  = duplicate of webhook-id ${webhookId} (answered 200, not shown again)`,
      );
      return;
    }
    const refusal = parseRefusal(status, body);
    print(
      json
        ? JSON.stringify({ verdict: 'rejected', ...refusal, webhookId: webhookId ?? null })
        : `${style.dim(timestamp(Date.now()))}  ${style.red('✗ rejected')} ${style.bold(refusal.reason)} (${status})  ${
            webhookId ? `webhook-id ${webhookId}: ` : ''
          }${refusal.message}`,
    );
  });

  const stop = interruption();
  try {
    const endpoint = await serve(handler, { port: listenPort, host: values.host });
    const origin = fromFlag ? '--secret' : 'OPENAI_WEBHOOK_SECRET';
    io.stderr.write(
      `runstate listen: receiving webhooks on ${endpoint.url} (any path), verifying with the secret from ${origin}. Ctrl-C to stop.\n`,
    );
    await aborted(stop.signal);
    await endpoint.close();
    const stats = hub.stats();
    const refused = Object.values(stats.refused).reduce((a, b) => a + b, 0);
    io.stderr.write(
      `runstate listen: stopped: ${stats.accepted} accepted, ${stats.duplicates} duplicates, ${refused} rejected\n`,
    );
    return 0;
  } finally {
    stop.dispose();
    events.unsubscribe();
  }
}

/** `runstate listen`. */
export const listenCommand: Command = {
  help,
  run,
};
