import type OpenAI from 'openai';
import { filter, firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  isRunstateError,
  type JobRef,
  type PersistedWatch,
  type RunSnapshot,
  type WatchRunOptions,
  watchRun,
} from '../../src/index.js';
import { type Scenario, type Simulator, startSimulator } from '../../src/sim/index.js';
import { simScheduler } from '../../src/sim/time/scheduler.js';
import { assistantAndThread, scenarioMeta, simClient } from '../helpers/sim.js';

// 20× real time: a 10 s deadline is 500 ms of wall clock.
const SPEED = 20;

let sim: Simulator;
let client: OpenAI;

beforeEach(async () => {
  sim = await startSimulator({ clock: { speed: SPEED }, seed: 11 });
  client = simClient(sim);
});
afterEach(async () => {
  await sim.close();
});

async function createRun(scenario: Scenario): Promise<JobRef> {
  const { assistantId, threadId } = await assistantAndThread(client);
  const run = await client.beta.threads.runs.create(threadId, {
    assistant_id: assistantId,
    metadata: scenarioMeta(scenario),
  });
  return { kind: 'assistants.run', threadId, runId: run.id };
}

const sleepSim = (ms: number) => new Promise((r) => setTimeout(r, ms / SPEED));

function options(job: JobRef, extra: Partial<WatchRunOptions> = {}): WatchRunOptions {
  return { client, job, scheduler: simScheduler(sim.clock), maxWaitMs: 600_000, ...extra };
}

/** Watches until the first snapshot in `state`, keeping the last persisted snapshot, then stops watching. */
async function persistAt(
  job: JobRef,
  state: RunSnapshot['state'],
  extra: Partial<WatchRunOptions> = {},
): Promise<PersistedWatch> {
  let persisted: PersistedWatch | undefined;
  await firstValueFrom(
    watchRun(options(job, { ...extra, onPersist: (p) => (persisted = JSON.parse(JSON.stringify(p))) })).pipe(
      filter((s) => s.state === state),
    ),
  );
  expect(persisted).toBeDefined();
  return persisted as PersistedWatch;
}

const ending = (s: RunSnapshot) => ({ state: s.state, status: s.status, at: s.at, done: s.done });

describe('watchRun: resume from a persisted snapshot', () => {
  it('times out at the original deadline when resumed after it passed, like the watch that never stopped', async () => {
    const scenario: Scenario = { phases: { queued: 100, in_progress: 600_000 }, outcome: 'completed' };
    const straightJob = await createRun(scenario);
    const straight = lastValueFrom(watchRun(options(straightJob, { maxWaitMs: 10_000 })));
    const job = await createRun(scenario);
    const persisted = await persistAt(job, 'in_progress', { maxWaitMs: 10_000 });
    await sleepSim(12_000);
    const resumed = await lastValueFrom(
      watchRun(options(job, { snapshot: persisted, maxWaitMs: 10_000 })).pipe(toArray()),
    );
    const last = resumed.at(-1)!;
    const reference = await straight;
    expect(last.state).toBe('timed_out');
    expect(reference.state).toBe('timed_out');
    // Both are stamped at their own deadline: start + maxWaitMs, however late the resumed one woke up.
    const persistedContext = (persisted as unknown as { context: { deadlineAt: number } }).context;
    expect(last.at).toBe(persistedContext.deadlineAt);
    expect(last.note).toBe(reference.note);
  });

  it('confirms expiry on resume when expires_at passed meanwhile, like the watch that never stopped', async () => {
    const scenario: Scenario = {
      phases: { queued: 100, in_progress: 600_000 },
      expiresAfterMs: 4_000,
      outcome: 'completed',
    };
    const straightJob = await createRun(scenario);
    const straight = lastValueFrom(watchRun(options(straightJob)));
    const job = await createRun(scenario);
    const persisted = await persistAt(job, 'in_progress');
    await sleepSim(6_000);
    const last = await lastValueFrom(watchRun(options(job, { snapshot: persisted })));
    const reference = await straight;
    expect(reference.state).toBe('expired');
    expect(ending(last)).toEqual({ ...ending(reference), at: last.at });
  });

  it('goes on watching from where it stopped and ends with the server', async () => {
    const job = await createRun({ phases: { queued: 100, in_progress: 20_000 }, outcome: 'failed' });
    const persisted = await persistAt(job, 'in_progress');
    const snapshots = await lastValueFrom(watchRun(options(job, { snapshot: persisted })).pipe(toArray()));
    expect(snapshots[0]?.state).toBe('in_progress');
    expect(snapshots.at(-1)).toMatchObject({ state: 'failed', status: 'failed', done: true });
  });

  it('refuses a snapshot of another job with a typed error', async () => {
    const a = await createRun({ phases: { queued: 100, in_progress: 600_000 } });
    const b = await createRun({ phases: { queued: 100, in_progress: 3_000 } });
    const persisted = await persistAt(a, 'in_progress');
    const error = await lastValueFrom(watchRun(options(b, { snapshot: persisted }))).catch((e) => e);
    expect(isRunstateError(error) && error.code).toBe('bad_configuration');
  });
});
