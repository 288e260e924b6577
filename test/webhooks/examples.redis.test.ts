import { randomUUID } from 'node:crypto';
import express from 'express';
import { Redis } from 'ioredis';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import * as expressExample from '../../examples/webhooks-express.js';
import * as honoExample from '../../examples/webhooks-hono.js';
import * as nodeExample from '../../examples/webhooks-node.js';
import * as redisExample from '../../examples/webhooks-redis.js';
import { createWebhookHub } from '../../src/webhooks/hub.js';
import { makeWebhookSecret, signWebhook, webhookEventBody } from '../helpers/sign-webhook.js';

const examples = {
  'webhooks-node': nodeExample,
  'webhooks-express': expressExample,
  'webhooks-hono': honoExample,
};

describe.each(Object.entries(examples))('examples/%s.ts', (_name, example) => {
  it('serves the hub: a signed event is delivered once, invalid requests are refused', async () => {
    const secret = makeWebhookSecret();
    const { url, hub, close } = await example.start({ secret, port: 0 });
    try {
      const received = firstValueFrom(hub.events$.pipe(take(1), toArray()));
      const body = webhookEventBody('batch.completed', 'batch_1');
      const headers = signWebhook({ secret, body, id: 'wh_example' });
      const answers = [
        await fetch(url, { method: 'POST', body, headers }),
        await fetch(url, { method: 'POST', body, headers }),
        await fetch(url, {
          method: 'POST',
          body,
          headers: signWebhook({ secret: makeWebhookSecret(), body }),
        }),
        await fetch(url),
      ];
      expect(answers.map((r) => r.status)).toEqual([200, 200, 401, 405]);
      expect((await received).map((e) => [e.type, e.data.id, e.webhookId])).toEqual([
        ['batch.completed', 'batch_1', 'wh_example'],
      ]);
      expect(hub.stats()).toMatchObject({ accepted: 1, duplicates: 1, verificationFailures: 1 });
    } finally {
      await close();
    }
  });
});

describe('examples/webhooks-redis.ts', () => {
  it('dedupes a delivery across two instances through the real Redis', async () => {
    const secret = makeWebhookSecret();
    const prefix = `runstate-test:${randomUUID()}:`;
    const a = await redisExample.start({ secret, redisUrl: 'redis://127.0.0.1:6379', port: 0, prefix });
    const b = await redisExample.start({ secret, redisUrl: 'redis://127.0.0.1:6379', port: 0, prefix });
    const redis = new Redis('redis://127.0.0.1:6379');
    try {
      const body = webhookEventBody('response.completed', 'resp_1');
      const headers = signWebhook({ secret, body, id: 'wh_across' });
      const answers = await Promise.all(
        [a.url, b.url].map((url) => fetch(url, { method: 'POST', body, headers })),
      );
      expect(answers.map((r) => r.status)).toEqual([200, 200]);
      expect(a.hub.stats().accepted + b.hub.stats().accepted).toBe(1);
      expect(a.hub.stats().duplicates + b.hub.stats().duplicates).toBe(1);
      expect(await redis.exists(`${prefix}wh_across`)).toBe(1);
    } finally {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await Promise.all([a.close(), b.close(), redis.quit()]);
    }
  });
});

describe('examples/webhooks-express.ts', () => {
  it('leaves the JSON body parser of the rest of the app working', async () => {
    const { url, close } = await expressExample.start({ secret: makeWebhookSecret(), port: 0 });
    try {
      const res = await fetch(url.replace('/webhooks/openai', '/api/echo'), {
        method: 'POST',
        body: '{"a":1}',
        headers: { 'content-type': 'application/json' },
      });
      expect(await res.json()).toEqual({ a: 1 });
    } finally {
      await close();
    }
  });
});

describe('hub.node behind Express body parsers', () => {
  async function serve(app: express.Express) {
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    return { url: `http://127.0.0.1:${port}/hook`, close: () => new Promise((r) => server.close(r)) };
  }

  it('answers 500 (so OpenAI retries) when mounted after express.json(), and says why', async () => {
    const secret = makeWebhookSecret();
    const hub = createWebhookHub({ secret });
    const app = express();
    app.use(express.json());
    app.post('/hook', hub.node);
    const { url, close } = await serve(app);
    try {
      const body = webhookEventBody('response.completed', 'resp_1');
      const res = await fetch(url, { method: 'POST', body, headers: signWebhook({ secret, body }) });
      expect(res.status).toBe(500);
      expect((await res.json()).message).toMatch(/before any body parser/);
      expect(hub.stats().refused.misconfigured).toBe(1);
    } finally {
      await close();
    }
  });

  it('answers 500 rather than hang when something else consumed the body', async () => {
    const secret = makeWebhookSecret();
    const hub = createWebhookHub({ secret });
    const app = express();
    app.post(
      '/hook',
      (req, _res, next) => {
        req.resume();
        req.on('end', () => next());
      },
      hub.node,
    );
    const { url, close } = await serve(app);
    try {
      const body = webhookEventBody('response.completed', 'resp_1');
      const res = await fetch(url, { method: 'POST', body, headers: signWebhook({ secret, body }) });
      expect(res.status).toBe(500);
      expect((await res.json()).message).toMatch(/already read/);
    } finally {
      await close();
    }
  });

  it('accepts the raw Buffer of express.raw()', async () => {
    const secret = makeWebhookSecret();
    const hub = createWebhookHub({ secret });
    const app = express();
    app.post('/hook', express.raw({ type: '*/*' }), hub.node);
    const { url, close } = await serve(app);
    try {
      const body = webhookEventBody('response.completed', 'resp_1');
      const res = await fetch(url, { method: 'POST', body, headers: signWebhook({ secret, body }) });
      expect(res.status).toBe(200);
    } finally {
      await close();
    }
  });
});
