import { describe, expect, it } from 'vitest';
import type { WebhookEvent } from '../../src/webhooks/event.js';
import { createWebhookHub } from '../../src/webhooks/hub.js';
import { makeWebhookSecret, signWebhook, webhookEventBody } from '../helpers/sign-webhook.js';
import { settle } from '../helpers/webhook-server.js';

const secret = makeWebhookSecret();
const URL_ = 'https://example.test/webhooks';

function signedRequest(body: string, init: RequestInit = {}): Request {
  return new Request(URL_, { method: 'POST', body, headers: signWebhook({ secret, body }), ...init });
}

describe('hub.handler (Web Request → Response)', () => {
  it('answers before any subscriber runs, then delivers', async () => {
    const hub = createWebhookHub({ secret });
    const seen: WebhookEvent[] = [];
    hub.events$.subscribe((e) => seen.push(e));
    const response = await hub.handler(signedRequest(webhookEventBody('response.completed', 'resp_1')));
    expect(response.status).toBe(200);
    expect(seen).toEqual([]);
    await settle();
    expect(seen).toHaveLength(1);
  });

  it('answers 2xx even when a subscriber never finishes its work', async () => {
    const hub = createWebhookHub({ secret });
    hub.events$.subscribe(() => {
      const end = Date.now() + 200;
      while (Date.now() < end) {
        // a slow, synchronous subscriber
      }
    });
    const started = Date.now();
    const response = await hub.handler(signedRequest(webhookEventBody('response.completed', 'resp_1')));
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(150);
    await settle(250);
  });

  it('refuses an oversized streamed body with 413 and stops reading it', async () => {
    const hub = createWebhookHub({ secret, maxBodyBytes: 1000 });
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(400));
      },
    });
    const response = await hub.handler(
      new Request(URL_, {
        method: 'POST',
        body,
        headers: signWebhook({ secret, body: '' }),
        duplex: 'half',
      } as RequestInit),
    );
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThan(6);
  });

  it('refuses by content-length before reading', async () => {
    const hub = createWebhookHub({ secret, maxBodyBytes: 10 });
    const response = await hub.handler(signedRequest(webhookEventBody('response.completed', 'resp_1')));
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: 'too_large' });
  });

  it('answers 405 with Allow: POST', async () => {
    const hub = createWebhookHub({ secret });
    const response = await hub.handler(new Request(URL_));
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('answers 500 without detail when verification itself is unavailable', async () => {
    const client = { webhooks: { unwrap: () => Promise.reject(new Error('crypto global missing')) } };
    const hub = createWebhookHub({ secret, client: client as never });
    const response = await hub.handler(signedRequest(webhookEventBody('response.completed', 'resp_1')));
    expect(response.status).toBe(500);
    expect(hub.stats().refused.misconfigured).toBe(1);
  });
});
