import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookHub } from '../../src/index.js';
import { connectHub, type HubBridge } from '../../src/queue/index.js';
import { generateWebhookSecret } from '../../src/sim/index.js';
import { listenHub } from '../helpers/webhook-server.js';
import { type QueueFixture, queueFixture, REDIS } from './fixture.js';

let f: QueueFixture;
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
  await f?.close();
});

describe('runstate/queue: webhooks from any instance', () => {
  it('ends a watch stepped by worker B with a webhook posted to instance A, once per delivery, and drops the unwatched', async () => {
    f = await queueFixture('webhooks');
    // Instance A: a web server with the hub, wired to the queue; it runs no worker.
    const secret = generateWebhookSecret();
    const hub = createWebhookHub({ secret, now: () => f.sim.clock.now() });
    const server = await listenHub(hub);
    const bridge: HubBridge = connectHub(hub, f.name, REDIS);
    cleanup.push(
      () => server.close(),
      () => bridge.close(),
    );
    f.sim.registerWebhook(server.url, secret);
    f.sim.setFaults({ webhooks: { duplicate: { probability: 1 } } });
    // Instance B: a worker that would otherwise look again only after a minute.
    await f.addWorker({ poll: { initialDelayMs: 60_000, maxDelayMs: 60_000 } });

    const watched = await f.createResponse({
      phases: { queued: 100, in_progress: 20_000 },
      outcome: 'completed',
    });
    const unwatched = await f.createResponse({
      phases: { queued: 100, in_progress: 3_000 },
      outcome: 'failed',
    });
    await f.runs.watch(watched);
    const last = await f.runs.result(watched);
    expect(last).toMatchObject({ state: 'completed', done: true });
    const created = f.sim.job(last.id)!.createdAt;
    // Ended by the webhook: long before the minute-long poll would have looked again.
    expect(last.at - created).toBeLessThan(40_000);
    expect(last.at - created).toBeGreaterThanOrEqual(20_100);
    expect(f.sim.job(last.id)!.retrieves).toBeLessThanOrEqual(2);

    await f.sim.flushWebhooks();
    await new Promise((r) => setTimeout(r, 100));
    const unwatchedId = unwatched.kind === 'response' ? unwatched.id : '';
    expect(f.sim.job(unwatchedId)!.status).toBe('failed');
    // Every event was delivered twice; the hub passed each on once: one promoted, one dropped (nobody watches it).
    expect(f.sim.stats().webhooks.duplicated).toBeGreaterThanOrEqual(2);
    expect(bridge.stats()).toEqual({ promoted: 1, dropped: 1 });
  });
});
