import type OpenAI from 'openai';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  createPollBudget,
  type JobRef,
  poll,
  type RunSnapshot,
  watchRun,
} from '../../../src/index.js';
import { specFor } from '../../../src/kinds/registry.js';
import type { Scenario, Simulator } from '../../../src/sim/index.js';
import { simScheduler, startSimulator } from '../../../src/sim/index.js';
import { createFineTune } from '../../helpers/more-kinds.js';
import { manualSim, simClient } from '../../helpers/sim.js';

// The simulator and the watches share one clock at 20× real time: a watch polls every 20 ms of real time.
const SPEED = 20;
const EVENTS = 'fine_tuning.jobs.events';
const RETRIEVE = 'fine_tuning.jobs.retrieve';
// Clock ms: validated and queued in 2 s, then 20 steps over 30 s (1.5 s of real time).
const TRAINING: Scenario = { phases: { validating: 1000, queued: 1000, in_progress: 30_000 }, requests: 20 };

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(): Promise<{ sim: Simulator; client: OpenAI }> {
  sim = await startSimulator({ clock: { speed: SPEED }, seed: 18 });
  return { sim, client: simClient(sim) };
}

const fastPoll = () => poll({ initialDelayMs: 400, factor: 1, maxDelayMs: 400, jitter: 'none' });
const routeTotal = (s: Simulator, route: string) => s.stats().requests.byRoute[route]?.total ?? 0;

async function watchAll(s: Simulator, client: OpenAI, job: JobRef): Promise<RunSnapshot[]> {
  return lastValueFrom(
    watchRun({ client, job, source: fastPoll(), scheduler: simScheduler(s.clock) }).pipe(toArray()),
  );
}

describe("a fine-tune's progress from its events (progressFrom: 'events')", () => {
  it('moves with the training steps, ends at the total, and every events read is counted in calls', async () => {
    const { sim: s, client } = await start();
    const { id } = await createFineTune(client, TRAINING);
    const snapshots = await watchAll(s, client, { kind: 'fine_tuning.job', id, progressFrom: 'events' });
    const last = snapshots.at(-1)!;
    expect(last).toMatchObject({ done: true, state: 'completed', status: 'succeeded' });

    const progress = snapshots.filter((x) => x.progress).map((x) => x.progress!);
    // Several reads while it trains, each with the last metrics event's step of the job's 20.
    expect(progress.length).toBeGreaterThan(3);
    for (const p of progress) {
      expect(p).toMatchObject({ total: 20, trainLoss: expect.any(Number) });
      expect(p.done).toBeLessThanOrEqual(20);
    }
    const steps = progress.map((p) => p.done);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(new Set(steps).size).toBeGreaterThan(2);
    expect(last.progress).toMatchObject({ done: 20, total: 20 });
    // No progress before training: validating and queued read no events.
    for (const x of snapshots.filter((x) => x.status === 'validating_files' || x.status === 'queued')) {
      expect(x.progress).toBeUndefined();
    }

    // Every request the watch made is one the simulator saw: retrieves and events reads, at most one of these per
    // retrieve.
    const job = s.job(id)!;
    const events = routeTotal(s, EVENTS);
    expect(last.calls).toBe(job.requests - 1); // all but the create
    expect(last.calls).toBe(job.retrieves + events);
    expect(events).toBeGreaterThan(3);
    expect(events).toBeLessThanOrEqual(job.retrieves);
  });

  it('is not read unless asked for: no events request, no progress', async () => {
    const { sim: s, client } = await start();
    const { id } = await createFineTune(client, TRAINING);
    const snapshots = await watchAll(s, client, { kind: 'fine_tuning.job', id });
    expect(snapshots.at(-1)).toMatchObject({ done: true, state: 'completed' });
    expect(snapshots.every((x) => x.progress === undefined)).toBe(true);
    expect(routeTotal(s, EVENTS)).toBe(0);
    expect(snapshots.at(-1)!.calls).toBe(s.job(id)!.retrieves);
  });

  it('reads events with a retrieve only once training started, counts each, and fails the read when they fail', async () => {
    const { sim: s, client } = await manualSim();
    sim = s;
    const ref: JobRef = {
      kind: 'fine_tuning.job',
      id: (await createFineTune(client, TRAINING)).id,
      progressFrom: 'events',
    };
    const spec = specFor(ref);
    let extra = 0;
    const options = { onExtraRequest: () => void extra++ };
    // Validating: a retrieve alone.
    expect((await spec.retrieve(client, ref, options)).job).not.toHaveProperty('last_metrics_event');
    expect([extra, routeTotal(s, EVENTS)]).toEqual([0, 0]);
    // Training, a third of the way: the retrieve reads the newest events too, and counts that request.
    await s.clock.advance(2000 + 10_000);
    const { job } = await spec.retrieve(client, ref, options);
    expect(job).toMatchObject({ status: 'running', last_metrics_event: { type: 'metrics' } });
    expect(spec.snapshotExtras(job)).toMatchObject({ progress: { done: 6, total: 20 } });
    expect([extra, routeTotal(s, EVENTS)]).toEqual([1, 1]);
    // An events read that fails fails the read, as a retrieve's own failure would: the poll retries it.
    s.setFaults({ serverError: { probability: 1, routes: [EVENTS] } });
    await expect(spec.retrieve(client, ref, options)).rejects.toMatchObject({ status: 500 });
    expect([extra, routeTotal(s, EVENTS)]).toEqual([2, 2]);
  });

  it('refuses a progressFrom it does not know, as a ConfigurationError', async () => {
    const { client } = await start();
    const job = { kind: 'fine_tuning.job', id: 'ftjob-x', progressFrom: 'checkpoints' } as unknown as JobRef;
    const error = await firstValueFrom(watchRun({ client, job })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).message).toMatch(/progressFrom "checkpoints": expected 'events'/);
  });

  it('spends a token of a shared budget for each events read, and the budget holds the rate with them', async () => {
    const { sim: s, client } = await start();
    const scheduler = simScheduler(s.clock);
    const rpm = 120;
    const budget = createPollBudget({ rpm, scheduler });
    const refs = await Promise.all(Array.from({ length: 8 }, () => createFineTune(client, TRAINING)));
    const startedAt = s.clock.now();
    const lasts = await Promise.all(
      refs.map(({ id }) =>
        lastValueFrom(
          watchRun({
            client,
            job: { kind: 'fine_tuning.job', id, progressFrom: 'events' },
            source: budget.poll({ initialDelayMs: 200, factor: 1, maxDelayMs: 200, jitter: 'none' }),
            scheduler,
            maxWaitMs: 60 * 60_000,
          }),
        ),
      ),
    );
    const elapsed = s.clock.now() - startedAt;
    for (const last of lasts)
      expect(last).toMatchObject({ done: true, state: 'completed', progress: { done: 20 } });

    const retrieves = routeTotal(s, RETRIEVE);
    const events = routeTotal(s, EVENTS);
    expect(events).toBeGreaterThan(refs.length);
    // The budget counted both kinds of request, as the watches' calls did.
    expect(budget.stats().requests).toBe(retrieves + events);
    expect(lasts.reduce((sum, l) => sum + l.calls, 0)).toBe(retrieves + events);
    // Eight watches polling every 200 ms want far more than 2 requests a second: the budget was short, and with
    // the events reads in it still spent at most its burst (2) and rate over the time, plus one events read per
    // watch charged after its answer.
    expect(retrieves + events).toBeLessThanOrEqual(2 + (rpm * elapsed) / 60_000 + refs.length);
    expect(s.stats().rateLimited).toBe(0);
  });
});
