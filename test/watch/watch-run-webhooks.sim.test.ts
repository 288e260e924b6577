import type OpenAI from 'openai';
import { lastValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createWebhookHub,
  hybrid,
  type JobRef,
  poll,
  type RunSnapshot,
  type Source,
  type WebhookHub,
  watchRun,
  webhookSource,
} from '../../src/index.js';
import { type SimFaults, type Simulator, startSimulator } from '../../src/sim/index.js';
import { simScheduler } from '../../src/sim/time/scheduler.js';
import { createJob } from '../compose/sim-jobs.js';
import { createAgentSession } from '../helpers/agent-session.js';
import { makeWebhookSecret } from '../helpers/sign-webhook.js';
import { assistantAndThread, simClient } from '../helpers/sim.js';
import { listenHub } from '../helpers/webhook-server.js';

const SPEED = 50;
const QUICK = { phases: { queued: 200, in_progress: 1500, validating: 300, finalizing: 300 } };

let sim: Simulator;
let client: OpenAI;
let hub: WebhookHub;
let closeHub: () => Promise<void>;

/** A hub on a real socket, and a sped-up simulator delivering signed webhooks to it. */
async function start(faults: SimFaults = {}): Promise<void> {
  const secret = makeWebhookSecret();
  hub = createWebhookHub({ secret });
  const server = await listenHub(hub);
  closeHub = server.close;
  sim = await startSimulator({
    clock: { speed: SPEED },
    seed: 11,
    scenario: QUICK,
    faults,
    webhooks: { url: server.url, secret },
    // Runs too, by the simulator's own thread.run.* events (OpenAI sends none).
    runWebhooks: true,
    webhookDelivery: { retryDelaysMs: [2000] },
  });
  client = simClient(sim);
}

afterEach(async () => {
  await sim?.close();
  await closeHub?.();
});

async function create(kind: JobRef['kind']): Promise<JobRef> {
  if (kind === 'agent.session') {
    const s = await createAgentSession(client, { environment: { type: 'none' }, input: 'hi' });
    return { kind, sessionId: s.id };
  }
  if (kind === 'response') {
    const r = await client.responses.create({ model: 'gpt-4o-mini', input: 'hi', background: true });
    return { kind, id: r.id };
  }
  if (kind === 'batch') {
    const b = await client.batches.create({
      input_file_id: 'file-abc',
      endpoint: '/v1/responses',
      completion_window: '24h',
      metadata: { sim_scenario: '{"anyInputFile":true}' },
    });
    return { kind, id: b.id };
  }
  if (kind !== 'assistants.run') return createJob(client, kind, {});
  const { assistantId, threadId } = await assistantAndThread(client);
  const run = await client.beta.threads.runs.create(threadId, { assistant_id: assistantId });
  return { kind, threadId, runId: run.id };
}

const watchAll = (
  job: JobRef,
  source: Source = webhookSource(hub, { fetch: 'when-needed', createdJustNow: true }),
) => lastValueFrom(watchRun({ client, job, source, scheduler: simScheduler(sim.clock) }).pipe(toArray()));

const terminal = (snapshots: RunSnapshot[]) => snapshots.filter((s) => s.done);

describe('watchRun through webhooks', () => {
  it.each(['response', 'batch', 'assistants.run'] as const)(
    'a %s ends through webhooks with 0 retrieves',
    async (kind) => {
      await start();
      const job = await create(kind);
      // Runs get thread.run.* for every status (the simulator's extension); fetching is only needed for tool calls.
      const source = webhookSource(hub, {
        fetch: kind === 'assistants.run' ? 'never' : 'when-needed',
        createdJustNow: true,
      });
      const snapshots = await watchAll(job, source);
      const last = snapshots.at(-1)!;
      expect(last.state).toBe('completed');
      expect(last.source).toBe('webhook');
      expect(last.calls).toBe(0);
      expect(sim.job(last.id)!.retrieves).toBe(0);
    },
  );

  it('gives one terminal snapshot for duplicated (x3), reordered and late deliveries', async () => {
    await start({
      webhooks: {
        duplicate: { probability: 1, copies: 2 },
        reorder: { probability: 0.5, holdMs: 1500 },
        delay: { probability: 0.5, ms: [100, 2000] },
      },
    });
    const jobs = await Promise.all([create('response'), create('batch'), create('assistants.run')]);
    const results = await Promise.all(
      jobs.map((job) =>
        watchAll(
          job,
          webhookSource(hub, {
            fetch: job.kind === 'assistants.run' ? 'never' : 'when-needed',
            createdJustNow: true,
          }),
        ),
      ),
    );
    for (const snapshots of results) {
      expect(terminal(snapshots)).toHaveLength(1);
      expect(snapshots.at(-1)!.state).toBe('completed');
      // Monotonic: once past queued, never back.
      const states = snapshots.map((s) => s.state);
      expect(states.lastIndexOf('queued')).toBeLessThanOrEqual(0);
    }
    // The faults did fire; copies that land after a watch ended are answered 2xx and dropped by the hub.
    expect(sim.stats().webhooks.duplicated).toBeGreaterThan(0);
    await sim.flushWebhooks();
    expect(hub.stats().duplicates).toBeGreaterThan(0);
  });

  it('with 10% of webhooks dropped, hybrid still ends every run, mostly without polling', async () => {
    await start({ webhooks: { drop: { probability: 0.1 } } });
    const jobs = await Promise.all(Array.from({ length: 30 }, () => create('response')));
    const fallback = poll({ initialDelayMs: 5_000, factor: 2, maxDelayMs: 20_000, jitter: 'equal' });
    const results = await Promise.all(
      jobs.map((job) => watchAll(job, hybrid(hub, fallback, { fetch: 'when-needed', createdJustNow: true }))),
    );
    const lasts = results.map((r) => r.at(-1)!);
    expect(lasts.every((s) => s.state === 'completed')).toBe(true);
    const dropped = sim.stats().webhooks.dropped;
    expect(dropped).toBeGreaterThan(0);
    // Those whose webhook was lost were caught by the fallback poll.
    expect(lasts.filter((s) => s.source === 'poll').length).toBeGreaterThanOrEqual(1);
    const calls = lasts.reduce((n, s) => n + s.calls, 0);
    expect(calls / lasts.length).toBeLessThan(1);
  });
});
