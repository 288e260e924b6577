import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookHub, type JobRef } from '../../../src/index.js';
import { connectHub, type HubBridge, type QueueWebhookFetch, watchJobId } from '../../../src/queue/index.js';
import { encodeInboxEvent, inboxKeyType } from '../../../src/queue/webhooks/webhook-inbox.js';
import type { Scenario } from '../../../src/sim/index.js';
import { generateWebhookSecret } from '../../../src/sim/index.js';
import { createEvalRun, createFineTune } from '../../helpers/more-kinds.js';
import { listenHub } from '../../helpers/webhook-server.js';
import { type QueueFixture, queueFixture, REDIS } from '../fixture.js';

let f: QueueFixture;
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
  await f?.close();
});

/**
 * Instance A: a web server with the hub, wired to the queue; it runs no worker. Instance B: a worker that would
 * otherwise look again only after a minute. Every webhook is delivered twice.
 */
async function instances(label: string, webhookFetch: QueueWebhookFetch | undefined): Promise<HubBridge> {
  f = await queueFixture(label);
  const secret = generateWebhookSecret();
  const hub = createWebhookHub({ secret, now: () => f.sim.clock.now() });
  const server = await listenHub(hub);
  const bridge = connectHub(hub, f.name, REDIS);
  cleanup.push(
    () => server.close(),
    () => bridge.close(),
  );
  f.sim.registerWebhook(server.url, secret);
  f.sim.setFaults({ webhooks: { duplicate: { probability: 1 } } });
  await f.addWorker({
    poll: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
    ...(webhookFetch ? { webhookFetch } : {}),
  });
  return bridge;
}

/** Watches `job` until it ends; `before` is the simulator's retrieve count once the watch saw it running. */
async function watchToEnd(job: JobRef) {
  await f.runs.watch(job);
  const running = await firstValueFrom(f.runs.observe(job).pipe(filter((s) => s.state === 'in_progress')));
  const before = f.sim.job(running.id)!.retrieves;
  const last = await f.runs.result(job);
  const stats = f.sim.job(last.id)!;
  // Ended by the webhook: long before the minute-long poll would have looked again.
  expect(last.at - stats.createdAt).toBeLessThan(40_000);
  // A webhook's time is its created_at, in whole seconds: at most a second before the job ended.
  expect(last.at).toBeGreaterThanOrEqual(Math.floor(stats.endedAt! / 1000) * 1000);
  // Every request the watch made reached the simulator, and no other.
  expect(last.calls).toBe(stats.retrieves);
  return { last, before, retrieves: stats.retrieves };
}

const scenario = { phases: { queued: 10, in_progress: 20_000 }, outcome: 'completed' } as const;

describe('runstate/queue: webhooks from any instance', () => {
  it("applies a terminal webhook posted to instance A in worker B's step with 0 retrieves (webhookFetch: 'when-needed'), once per delivery, and drops the unwatched", async () => {
    const bridge = await instances('webhooks-applied', 'when-needed');
    const watched = await f.createResponse(scenario);
    const unwatched = await f.createResponse({
      phases: { queued: 100, in_progress: 3_000 },
      outcome: 'failed',
    });

    const { last, before, retrieves } = await watchToEnd(watched);
    expect(last).toMatchObject({ state: 'completed', status: 'completed', source: 'webhook', done: true });
    // The event, not a read: the job in the snapshot is the one the webhook announced.
    expect(last.job).toMatchObject({ announced: true, status: 'completed' });
    expect(before).toBeGreaterThanOrEqual(1);
    expect(retrieves - before).toBe(0);

    await f.sim.flushWebhooks();
    await new Promise((r) => setTimeout(r, 100));
    const unwatchedId = unwatched.kind === 'response' ? unwatched.id : '';
    expect(f.sim.job(unwatchedId)!.status).toBe('failed');
    // Every event was delivered twice; the hub passed each on once: one handed over, one dropped (nobody watches it).
    expect(f.sim.stats().webhooks.duplicated).toBeGreaterThanOrEqual(2);
    expect(bridge.stats()).toEqual({ promoted: 1, dropped: 1 });
    // The step removed the event it applied: nothing is left beside the ended watch.
    const redis = await f.runs.queue.backend.client;
    expect(await redis.llen(f.runs.queue.toKey(inboxKeyType(watchJobId(watched))))).toBe(0);
  });

  it.each([
    ['fine_tuning.job', 'succeeded', (sc: Scenario) => createFineTune(f.client, sc)],
    ['eval.run', 'completed', (sc: Scenario) => createEvalRun(f.client, sc)],
  ] as const)(
    "applies a %s's terminal webhook (%s) posted to instance A in worker B's step, with 0 retrieves",
    async (kind, status, create) => {
      const bridge = await instances(`webhooks-${kind}`, 'when-needed');
      const watched = await create({ ...scenario, phases: { validating: 10, ...scenario.phases } });
      const { last, before, retrieves } = await watchToEnd(watched);
      expect(last).toMatchObject({ kind, state: 'completed', status, source: 'webhook', done: true });
      expect(retrieves - before).toBe(0);
      expect(bridge.stats()).toEqual({ promoted: 1, dropped: 0 });
    },
  );

  it('reads the job once for a terminal webhook by default (webhookFetch: always), so the snapshot carries the full object', async () => {
    const bridge = await instances('webhooks-read', undefined);
    const watched = await f.createResponse(scenario);

    const { last, before, retrieves } = await watchToEnd(watched);
    expect(last).toMatchObject({ state: 'completed', status: 'completed', source: 'poll', done: true });
    expect(last.job).toMatchObject({ object: 'response', status: 'completed' });
    expect(last.job).not.toHaveProperty('announced');
    expect(retrieves - before).toBe(1);
    expect(bridge.stats()).toEqual({ promoted: 1, dropped: 0 });
  });

  it('steps again at once for an event left while its watch was stepping (no promote could reach it)', async () => {
    f = await queueFixture('webhooks-active');
    await f.addWorker({ poll: { initialDelayMs: 60_000, maxDelayMs: 60_000 } });
    // Each read takes 300 ms of wall time: long enough to leave an event while the step is active.
    f.sim.setFaults({ latency: { ms: 300, routes: ['responses.retrieve'] } });
    const watched = await f.createResponse({
      phases: { queued: 10, in_progress: 600_000 },
      outcome: 'completed',
    });
    await f.runs.watch(watched);
    const id = watchJobId(watched);
    const jobId = watched.kind === 'response' ? watched.id : '';
    while ((await f.runs.queue.getJobState(id)) !== 'active' || f.sim.job(jobId)!.retrieves < 1) {
      await new Promise((r) => setTimeout(r, 5));
    }
    // What a bridge does when it finds the watch active: it leaves the event and promotes nothing.
    const redis = await f.runs.queue.backend.client;
    const event = { id: 'evt_1', type: 'response.in_progress', created_at: 1, data: { id: jobId } };
    await redis.runCommand('rpush', [
      f.runs.queue.toKey(inboxKeyType(id)),
      encodeInboxEvent({ ...event, webhookId: 'wh_1' }),
    ]);
    // The worker finds it after the step and steps again now, not after the minute-long poll (3 s of wall time).
    const started = Date.now();
    while (f.sim.job(jobId)!.retrieves < 2 && Date.now() - started < 2_500) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(f.sim.job(jobId)!.retrieves).toBe(2);
    // Once that step saved what it did, it removed the event it took.
    while ((await f.runs.queue.getJobState(id)) !== 'delayed' && Date.now() - started < 5_000) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await redis.llen(f.runs.queue.toKey(inboxKeyType(id)))).toBe(0);
  });
});
