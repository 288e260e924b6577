/**
 * Several instances behind a load balancer: the idempotency store is shared in Redis, so a duplicate delivery that
 * lands on another instance is still recognised. Run: OPENAI_WEBHOOK_SECRET=whsec_… REDIS_URL=redis://127.0.0.1:6379
 * npx tsx examples/webhooks-redis.ts
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { createWebhookHub, redisIdempotencyStore, type WebhookHub } from '../src/webhooks/index.js';

export interface ExampleServer {
  url: string;
  hub: WebhookHub;
  close(): Promise<void>;
}

export async function start(options: {
  secret: string;
  redisUrl: string;
  port?: number;
  prefix?: string;
}): Promise<ExampleServer> {
  const redis = new Redis(options.redisUrl);
  const hub = createWebhookHub({
    secret: options.secret,
    store: redisIdempotencyStore(redis, { prefix: options.prefix ?? 'myapp:openai-webhook:' }),
  });

  const server = createServer(hub.node);
  await new Promise<void>((resolve) => server.listen(options.port ?? 8080, '127.0.0.1', resolve));

  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    hub,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await redis.quit();
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { url, hub } = await start({
    secret: process.env.OPENAI_WEBHOOK_SECRET ?? '',
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  });
  hub.events$.subscribe((event) => console.log(event.type, event.data.id));
  console.log(`listening on ${url}`);
}
