import type OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { type ManualClock, type Simulator, type Step, startSimulator } from '../../../src/sim/index.js';
import { manualSim, simClient } from '../../helpers/sim.js';

let sim: Simulator<ManualClock>;
let client: OpenAI;

afterEach(async () => {
  await sim?.close();
});

const random = { queued: [100, 900], in_progress: { dist: 'lognormal', median: 3000, sigma: 0.5 } } as const;
const respond = (c: OpenAI, metadata?: Record<string, string>) =>
  c.responses.create({ model: 'm', input: 'x', background: true, metadata });

describe('stats', () => {
  it('reports the exact timeline from the script and counts every retrieve', async () => {
    ({ sim, client } = await manualSim({ scenario: { phases: random } }));
    const created = await respond(client);
    const job = () => sim.job(created.id)!;
    // The timeline holds only what has been reached, whether or not anyone looked.
    expect(job().timeline.map((s) => s.status)).toEqual(['queued']);
    await sim.clock.advance(60_000);
    const { timeline } = job();
    expect(timeline.map((s) => s.status)).toEqual(['queued', 'in_progress', 'completed']);
    const [queued, inProgress, completed] = timeline as [Step, Step, Step];
    expect(queued.at).toBe(job().createdAt);
    expect(inProgress.at - queued.at).toBeGreaterThanOrEqual(100);
    expect(inProgress.at - queued.at).toBeLessThanOrEqual(900);
    expect(job().endedAt).toBe(completed.at);
    expect(job().retrieves).toBe(0);

    // Replay the same script on a fresh simulator and check each boundary with the SDK.
    const replay = await startSimulator({ clock: 'manual', scenario: { phases: random } });
    const c = simClient(replay);
    const again = await respond(c);
    expect(again.id).toBe(created.id);
    const at = async (t: number) => {
      await replay.clock.set(t);
      return (await c.responses.retrieve(again.id)).status;
    };
    expect(await at(inProgress.at - 1)).toBe('queued');
    expect(await at(inProgress.at)).toBe('in_progress');
    expect(await at(completed.at - 1)).toBe('in_progress');
    expect(await at(completed.at)).toBe('completed');
    expect(replay.job(again.id)).toMatchObject({ retrieves: 4, requests: 5, timeline });
    expect(replay.stats().jobs[again.id]?.timeline).toEqual(timeline);
    await replay.close();
  });

  it('counts requests per route and status, and retrieves per job including faulted ones', async () => {
    ({ sim, client } = await manualSim({
      faults: { serverError: { next: 2, routes: ['batches.retrieve'] } },
    }));
    const batch = await client.batches.create({
      input_file_id: 'f',
      endpoint: '/v1/responses',
      completion_window: '24h',
      metadata: { sim_scenario: '{"anyInputFile":true}' },
    });
    for (let i = 0; i < 5; i++) await client.batches.retrieve(batch.id).catch(() => undefined);
    await client.batches.cancel(batch.id);
    const stats = sim.stats();
    expect(stats.requests.total).toBe(7);
    expect(stats.requests.byRoute['batches.retrieve']).toEqual({ total: 5, byStatus: { 200: 3, 500: 2 } });
    expect(stats.jobs[batch.id]).toMatchObject({
      kind: 'batch',
      retrieves: 5,
      requests: 7,
      status: 'cancelling',
    });
  });

  it('picks scenarios by name, by function and by outcome weights, reproducibly from the seed', async () => {
    ({ sim, client } = await manualSim({
      seed: 42,
      scenario: ({ kind, index }) => ({
        phases: { in_progress: 1000 },
        outcome: index === 0 ? 'failed' : 'completed',
        reply: kind,
      }),
      scenarios: { flaky: { outcome: { completed: 1, failed: 1 } } },
    }));
    const first = await respond(client);
    const flaky = [];
    for (let i = 0; i < 40; i++) flaky.push(await respond(client, { sim_scenario: 'flaky' }));
    await sim.clock.advance(5000);
    expect(sim.job(first.id)?.status).toBe('failed');
    const outcomes = flaky.map((r) => sim.job(r.id)!.status);
    const failed = outcomes.filter((s) => s === 'failed').length;
    expect(failed).toBeGreaterThan(8);
    expect(failed).toBeLessThan(32);
    expect(
      (await client.responses.retrieve(flaky.find((r) => sim.job(r.id)!.status === 'completed')!.id))
        .output_text,
    ).toBe('response');

    const twin = await startSimulator({
      clock: 'manual',
      seed: 42,
      scenarios: { flaky: { outcome: { completed: 1, failed: 1 } } },
    });
    const c = simClient(twin);
    await respond(c);
    const twinOutcomes = [];
    for (let i = 0; i < 40; i++) twinOutcomes.push((await respond(c, { sim_scenario: 'flaky' })).id);
    await twin.clock.advance(10_000);
    expect(twinOutcomes.map((id) => twin.job(id)!.status)).toEqual(outcomes);
    await twin.close();
  });

  it('runs a thousand runs over HTTP with one clock entry each, expiring those never answered', async () => {
    ({ sim, client } = await manualSim({
      scenario: { phases: { queued: [0, 1000], in_progress: [1000, 60_000] }, toolCalls: [[{ name: 'f' }]] },
    }));
    const assistant = await client.beta.assistants.create({ model: 'm' });
    for (let i = 0; i < 1000; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, () => client.beta.threads.createAndRun({ assistant_id: assistant.id })),
      );
    }
    // One pending clock callback per job (its next step), not one timer per poll or per status.
    expect(sim.clock.pending).toBeLessThanOrEqual(1000);
    await sim.clock.advance(61_000);
    const jobs = Object.values(sim.stats().jobs);
    expect(jobs).toHaveLength(1000);
    expect(jobs.every((j) => j.status === 'requires_action')).toBe(true);
    await sim.clock.advance(600_000);
    expect(Object.values(sim.stats().jobs).every((j) => j.status === 'expired')).toBe(true);
    expect(sim.clock.pending).toBe(0);
  });
});

describe('clocks', () => {
  it('runs a 30 s script in about 30 ms at speed 1000, webhooks included', async () => {
    const speedy = await startSimulator({
      clock: { speed: 1000 },
      scenario: { phases: { queued: 5_000, in_progress: 25_000 } },
    });
    try {
      const c = simClient(speedy);
      const started = Date.now();
      const created = await respond(c);
      let status = created.status;
      while (status !== 'completed' && Date.now() - started < 2000) {
        await new Promise((r) => setTimeout(r, 5));
        status = (await c.responses.retrieve(created.id)).status;
      }
      expect(status).toBe('completed');
      const wall = Date.now() - started;
      expect(wall).toBeGreaterThanOrEqual(29);
      expect(wall).toBeLessThan(1000);
      const { timeline } = speedy.job(created.id)!;
      expect(timeline[2]!.at - timeline[0]!.at).toBe(30_000);
    } finally {
      await speedy.close();
    }
  });

  it('runs on real time by default', async () => {
    const real = await startSimulator({ scenario: { phases: { queued: 20, in_progress: 30 } } });
    try {
      const c = simClient(real);
      const created = await respond(c);
      expect(Math.abs(created.created_at - Date.now() / 1000)).toBeLessThan(2);
      await new Promise((r) => setTimeout(r, 80));
      expect((await c.responses.retrieve(created.id)).status).toBe('completed');
    } finally {
      await real.close();
    }
  });
});
