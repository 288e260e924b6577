import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigurationError } from '../errors/configuration-error.js';
import type { WebhookEvent } from './event.js';
import type { IncomingDelivery, Receipt } from './receive.js';

/**
 * Adapts the receiver to `node:http` and Express: `(req, res) => void`. It reads the raw body itself, so with
 * Express it must be mounted before any body parser (or after `express.raw()`, whose Buffer it accepts).
 */
export function toNodeHandler(
  receive: (delivery: IncomingDelivery) => Promise<Receipt>,
  deliver: (event: WebhookEvent) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    receive({
      method: req.method ?? 'GET',
      headers: toHeaders(req),
      readBody: (maxBytes) => readNodeBody(req, maxBytes),
    }).then(
      (receipt) => {
        // An oversized body is left unread: close the connection rather than drain it.
        if (receipt.status === 413) res.setHeader('connection', 'close');
        res.writeHead(receipt.status, receipt.headers);
        res.end(receipt.body);
        const { event } = receipt;
        if (event) setImmediate(() => deliver(event));
      },
      () => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":"internal"}');
      },
    );
  };
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

function readNodeBody(req: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  // A body parser ran before us (Express): a raw Buffer or string is still the signed bytes; anything else is not.
  const parsed = (req as IncomingMessage & { body?: unknown }).body;
  if (Buffer.isBuffer(parsed) || typeof parsed === 'string') {
    const text = parsed.toString();
    return Promise.resolve(Buffer.byteLength(text) > maxBytes ? undefined : text);
  }
  // Consumed by someone else: its 'end' is gone, so waiting for it would hang the request.
  if (req.readableEnded) {
    return Promise.reject(
      new ConfigurationError(
        'the webhook body was already read: mount the webhook handler before any body parser (or use express.raw())',
      ),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
