import type OpenAI from 'openai';
import { asyncScheduler, NEVER, type Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { adapters } from '../../src/kinds/index.js';
import type { JobRef, Source, SourceContext, StatusEvent } from '../../src/model/types.js';
import { createRequestMeter } from '../../src/requests/request-meter.js';
import type { ManualClock, SimFaults, Simulator } from '../../src/sim/index.js';
import { hybrid } from '../../src/sources/hybrid.js';
import { poll } from '../../src/sources/poll.js';
import { webhookSource } from '../../src/sources/webhook.js';
import type { WebhookEvent } from '../../src/webhooks/event.js';
import { createWebhookHub, type WebhookHub } from '../../src/webhooks/hub.js';
import { makeWebhookSecret } from '../helpers/sign-webhook.js';
import { assistantAndThread, manualSim } from '../helpers/sim.js';
import { listenHub, settle } from '../helpers/webhook-server.js';

const FAST = { phases: { queued: 100, in_progress: 500 } };

let sim: Simulator<ManualClock>;
let client: OpenAI;
let hub: WebhookHub;
let events: WebhookEvent[];
let closeHub: () => Promise<void>;

/** A hub on a real socket, and a simulator on a manual clock delivering signed webhooks to it. */
async function start(faults: SimFaults = {}, options: { retryDelaysMs?: number[] } = {}): Promise<void> {
  const secret = makeWebhookSecret();
  hub = createWebhookHub({ secret });
  events = [];
  hub.events$.subscribe((e) => events.push(e));
  const server = await listenHub(hub);
  closeHub = server.close;
  ({ sim, client } = await manualSim({
    scenario: FAST,
    faults,
    webhooks: { url: server.url, secret },
    // Runs too, by the simulator's own thread.run.* events (OpenAI sends none).
    runWebhooks: true,
    webhookDelivery: { retryDelaysMs: options.retryDelaysMs ?? [1000] },
  }));
}

/** Moves the simulator's clock, then lets every delivery due reach the hub and the hub hand it on. */
async function advance(ms: number): Promise<void> {
  await sim.clock.advance(ms);
  await sim.flushWebhooks();
  await settle();
}

function context(job: JobRef): { ctx: SourceContext; stop: AbortController } {
  const stop = new AbortController();
  const ctx: SourceContext = {
    client,
    job,
    adapter: adapters[job.kind],
    meter: createRequestMeter(),
    scheduler: asyncScheduler,
    random: () => 0.5,
    deadline: Number.POSITIVE_INFINITY,
    nudge$: NEVER as Observable<void>,
    signal: stop.signal,
  };
  return { ctx, stop };
}

function watch(source: Source, job: JobRef) {
  const { ctx, stop } = context(job);
  const rec = { events: [] as StatusEvent[], completed: false, error: undefined as unknown, ctx };
  const subscription = source.watch(ctx).subscribe({
    next: (e) => rec.events.push(e),
    error: (e: unknown) => {
      rec.error = e;
    },
    complete: () => {
      rec.completed = true;
    },
  });
  return Object.assign(rec, {
    stop: () => {
      subscription.unsubscribe();
      stop.abort();
    },
  });
}

const backgroundResponse = () =>
  client.responses.create({ model: 'gpt-4o-mini', input: 'hi', background: true });

async function run(): Promise<{ threadId: string; runId: string }> {
  const { assistantId, threadId } = await assistantAndThread(client);
  const created = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
  return { threadId, runId: created.id };
}

afterEach(async () => {
  await sim?.close();
  await closeHub?.();
});

describe('simulator deliveries into the hub', () => {
  it('delivers each webhook-id once when the simulator sends every event three times', async () => {
    await start({ webhooks: { duplicate: { probability: 1, copies: 2 } } });
    const response = await backgroundResponse();
    const { runId } = await run();
    await advance(1000);
    const deliveries = sim.webhookDeliveries();
    const ids = new Set(deliveries.map((d) => d.webhookId));
    expect(deliveries.length).toBe(ids.size * 3);
    expect(deliveries.every((d) => d.state === 'delivered' && d.attempts.length === 1)).toBe(true);
    expect(events.map((e) => e.webhookId).sort()).toEqual([...ids].sort());
    expect(events.filter((e) => e.data.id === response.id).map((e) => e.type)).toEqual([
      'response.completed',
    ]);
    expect(events.filter((e) => e.data.id === runId).map((e) => e.type)).toContain('thread.run.completed');
    expect(hub.stats()).toMatchObject({
      accepted: ids.size,
      duplicates: ids.size * 2,
      verificationFailures: 0,
    });
  });

  it('refuses badly signed attempts with 401 and accepts the simulator retry, once', async () => {
    await start({ webhooks: { badSignature: { probability: 1, types: ['response.*'] } } });
    const response = await backgroundResponse();
    await advance(1000);
    expect(events).toEqual([]);
    const [delivery] = sim.webhookDeliveries();
    expect(delivery?.attempts.map((a) => [a.status, a.badSignature])).toEqual([[401, true]]);
    await advance(1000);
    expect(delivery?.attempts.map((a) => a.status)).toEqual([401, 200]);
    expect(events.map((e) => [e.type, e.data.id])).toEqual([['response.completed', response.id]]);
    expect(hub.stats()).toMatchObject({
      accepted: 1,
      verificationFailures: 1,
      refused: { bad_signature: 1 },
    });
  });

  it('ends a watch at the terminal event even when an earlier event arrives after it', async () => {
    await start({ webhooks: { reorder: { probability: 1, types: ['thread.run.in_progress'] } } });
    const ref = await run();
    const job: JobRef = { kind: 'assistants.run', ...ref };
    const rec = watch(webhookSource(hub, { fetch: 'never', createdJustNow: true }), job);
    await advance(1000);
    const types = events.map((e) => e.type);
    expect(types.indexOf('thread.run.in_progress')).toBeGreaterThan(types.indexOf('thread.run.completed'));
    expect(rec.events.at(-1)).toMatchObject({ state: 'completed', source: 'webhook' });
    expect(rec.events.map((e) => e.status)).not.toContain('in_progress');
    expect(rec.completed).toBe(true);
    expect(sim.job(ref.runId)?.retrieves).toBe(0);
  });

  it("ends a response through its webhook with 0 retrieves (fetch 'when-needed') or 1 (fetch 'always')", async () => {
    await start();
    const lean = await backgroundResponse();
    const full = await backgroundResponse();
    const leanWatch = watch(webhookSource(hub, { fetch: 'when-needed', createdJustNow: true }), {
      kind: 'response',
      id: lean.id,
    });
    const fullWatch = watch(webhookSource(hub, { createdJustNow: true }), { kind: 'response', id: full.id });
    await advance(1000);
    await settle(100);
    expect(leanWatch.events).toHaveLength(1);
    expect(leanWatch.events[0]).toMatchObject({ state: 'completed', job: { id: lean.id, announced: true } });
    expect(sim.job(lean.id)?.retrieves).toBe(0);
    expect(leanWatch.ctx.meter.count).toBe(0);
    expect(fullWatch.events).toHaveLength(1);
    expect(fullWatch.events[0]).toMatchObject({
      state: 'completed',
      job: { id: full.id, object: 'response' },
    });
    expect((fullWatch.events[0]!.job as { output?: unknown[] }).output?.length).toBeGreaterThan(0);
    expect(sim.job(full.id)?.retrieves).toBe(1);
    expect(fullWatch.ctx.meter.count).toBe(1);
    expect(leanWatch.completed && fullWatch.completed).toBe(true);
  });

  it('hands a watch that starts after the job ended the webhook it missed', async () => {
    await start();
    const response = await backgroundResponse();
    await advance(1000);
    expect(hub.stats()).toMatchObject({ watching: 0, buffered: 1 });
    const rec = watch(webhookSource(hub, { fetch: 'when-needed' }), { kind: 'response', id: response.id });
    expect(rec.events.map((e) => e.state)).toEqual(['completed']);
    expect(rec.completed).toBe(true);
  });

  it('catches a dropped webhook with the hybrid fallback poll', async () => {
    await start({ webhooks: { drop: { probability: 1 } } });
    const response = await backgroundResponse();
    const fallback = poll({ initialDelayMs: 50, factor: 1, maxDelayMs: 50, jitter: 'none' });
    const rec = watch(hybrid(hub, fallback), { kind: 'response', id: response.id });
    await advance(1000);
    await settle(200);
    expect(events).toEqual([]);
    expect(sim.webhookDeliveries().map((d) => d.state)).toEqual(['dropped']);
    expect(rec.events.at(-1)).toMatchObject({ state: 'completed', source: 'poll' });
    rec.stop();
  });
});
