import type { WebhookEvent } from './event.js';
import type { IncomingDelivery, Receipt } from './receive.js';

/**
 * Adapts the receiver to the Web standard (`Request` → `Response`: Hono, Next.js route handlers, Bun, Deno,
 * Workers). `deliver` runs after the response is built, on a later task, so subscribers never delay the 2xx.
 */
export function toWebHandler(
  receive: (delivery: IncomingDelivery) => Promise<Receipt>,
  deliver: (event: WebhookEvent) => void,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const receipt = await receive({
      method: request.method,
      headers: request.headers,
      readBody: (maxBytes) => readWebBody(request, maxBytes),
    });
    const response = new Response(receipt.body, { status: receipt.status, headers: receipt.headers });
    const { event } = receipt;
    if (event) setTimeout(() => deliver(event), 0);
    return response;
  };
}

async function readWebBody(request: Request, maxBytes: number): Promise<string | undefined> {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      // Stop reading: the rest of an oversized body is never buffered.
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
