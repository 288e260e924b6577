import type OpenAI from 'openai';
import { firstValueFrom, lastValueFrom, tap, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  firstCompleted,
  type JobRef,
  jobKey,
  poll,
  type RunUpdate,
  type WatchRunsOptions,
  watchRuns,
} from '../../src/index.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { simScheduler } from '../../src/sim/time/scheduler.js';
import { simClient } from '../helpers/sim.js';
import { createJob } from './sim-jobs.js';

const SPEED = 50;

let sim: Simulator;
let client: OpenAI;

beforeEach(async () => {
  sim = await startSimulator({ clock: { speed: SPEED }, seed: 5 });
  client = simClient(sim);
});
afterEach(async () => {
  await sim.close();
});

// A fixed 200 ms poll (simulated time) so that the order of ends is the order of durations, and a watch that
// kept polling would show it within a few hundred ms of wall clock.
const options = (): WatchRunsOptions => ({
  client,
  scheduler: simScheduler(sim.clock),
  source: poll({ initialDelayMs: 200, factor: 1, maxDelayMs: 200, jitter: 'none' }),
});

const phases = (inProgressMs: number) => ({ phases: { queued: 200, in_progress: inProgressMs } });
const wall = (ms: number) => new Promise((r) => setTimeout(r, ms));
const retrieves = (jobs: readonly JobRef[]) => jobs.map((j) => sim.job(jobKey(j))!.retrieves);
/** Retrieve counts once a request already on the wire when its watch stopped has had time to land. */
const settledRetrieves = async (jobs: readonly JobRef[]) => {
  await wall(50);
  return retrieves(jobs);
};
/**
 * The retrieves each job got since `before`: none, or one that was already on the wire when its watch stopped and
 * landed after the 50 ms a loaded machine may need more than (a watch that kept polling would add dozens).
 */
const expectNoMorePolls = (jobs: readonly JobRef[], before: readonly number[]) => {
  const after = retrieves(jobs);
  for (const [i, n] of after.entries()) expect(n - before[i]!, jobKey(jobs[i]!)).toBeLessThanOrEqual(1);
};

describe('firstCompleted through the SDK and the simulator', () => {
  it('picks the quickest job and stops polling the others, leaving them running', async () => {
    // The quickest is neither first nor last; a failed job ends sooner still, and must not win.
    const jobs = await Promise.all([
      createJob(client, 'response', phases(60_000)),
      createJob(client, 'response', { ...phases(2000), outcome: 'failed' }),
      createJob(client, 'batch', phases(50_000)),
      createJob(client, 'response', phases(10_000)),
      createJob(client, 'response', phases(80_000)),
    ]);
    const winner = await firstValueFrom(watchRuns(jobs, options()).pipe(firstCompleted()));
    expect(winner.key).toBe(jobKey(jobs[3]!));
    expect(winner.snapshot.state).toBe('completed');

    const others = [jobs[0]!, jobs[2]!, jobs[4]!];
    const stopped = await settledRetrieves(others);
    // They were being polled every 200 ms up to the end of the race...
    expect(stopped.every((n) => n >= winner.snapshot.calls - 1)).toBe(true);
    await wall(300); // 15 s of simulated time: 75 more polls each, had they gone on
    expectNoMorePolls(others, stopped);
    expect(others.map((j) => sim.job(jobKey(j))!.status)).toEqual([
      'in_progress',
      'in_progress',
      'in_progress',
    ]);
    expect(sim.stats().requests.byRoute['responses.cancel']).toBeUndefined();
  });

  it('with abort and cancelOnAbort, cancels every other job (of each kind) before handing the winner over', async () => {
    const jobs = await Promise.all([
      createJob(client, 'assistants.run', phases(600_000)),
      createJob(client, 'batch', phases(600_000)),
      createJob(client, 'response', phases(2000)),
      createJob(client, 'response', phases(600_000)),
    ]);
    const abort = new AbortController();
    const updates: RunUpdate[] = [];
    const winner = await firstValueFrom(
      watchRuns(jobs, { ...options(), signal: abort.signal, cancelOnAbort: true }).pipe(
        tap((u) => updates.push(u)),
        firstCompleted({ abort }),
      ),
    );
    expect(winner.key).toBe(jobKey(jobs[2]!));
    const routes = sim.stats().requests.byRoute;
    expect([
      routes['runs.cancel']?.total,
      routes['batches.cancel']?.total,
      routes['responses.cancel']?.total,
    ]).toEqual([1, 1, 1]);
    // Each loser's watch ended on its cancel answer (runs and batches pass through `cancelling`).
    const lastOf = (job: JobRef) => updates.filter((u) => u.key === jobKey(job)).at(-1);
    expect(
      [jobs[0]!, jobs[1]!, jobs[3]!].map(
        (j) => lastOf(j)?.type === 'snapshot' && lastOf(j)?.snapshot?.status,
      ),
    ).toEqual(['cancelling', 'cancelling', 'cancelled']);
    const before = await settledRetrieves(jobs);
    await wall(200);
    expectNoMorePolls(jobs, before);
    expect(jobs.map((j) => sim.job(jobKey(j))!.status)).toEqual([
      'cancelled',
      'cancelled',
      'completed',
      'cancelled',
    ]);
  });

  it('with keepWatching, emits the winner at once and completes only when the others have ended', async () => {
    const jobs = await Promise.all([
      createJob(client, 'response', phases(8000)),
      createJob(client, 'response', phases(1000)),
      createJob(client, 'response', { ...phases(5000), outcome: 'incomplete' }),
    ]);
    const finals = new Map<string, string>();
    const emitted: [string, number][] = [];
    const winners = await lastValueFrom(
      watchRuns(jobs, options()).pipe(
        tap((u) => u.type === 'snapshot' && u.snapshot.done && finals.set(u.key, u.snapshot.state)),
        firstCompleted({ keepWatching: true }),
        tap((w) => emitted.push([w.key, finals.size])),
        toArray(),
      ),
    );
    expect(winners.map((w) => w.key)).toEqual([jobKey(jobs[1]!)]);
    // The winner came out while the two others were still being watched.
    expect(emitted).toEqual([[jobKey(jobs[1]!), 1]]);
    expect(jobs.map((j) => finals.get(jobKey(j)))).toEqual(['completed', 'completed', 'incomplete']);
  });

  it('completes without a winner when no job completes', async () => {
    const jobs = await Promise.all([
      createJob(client, 'response', { ...phases(1000), outcome: 'failed' }),
      createJob(client, 'batch', { ...phases(1000), outcome: 'cancelled' }),
    ]);
    const winner = await firstValueFrom(watchRuns(jobs, options()).pipe(firstCompleted()), {
      defaultValue: undefined,
    });
    expect(winner).toBeUndefined();
  });
});
