import type OpenAI from 'openai';
import { connectable, lastValueFrom, Subject, tap } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  allSettled,
  isRunstateError,
  type JobRef,
  jobKey,
  progress,
  type RunProgress,
  type RunState,
  type RunUpdate,
  type WatchRunsOptions,
  watchRuns,
} from '../../src/index.js';
import type { BatchProgress } from '../../src/model/types.js';
import type { Scenario, Simulator } from '../../src/sim/index.js';
import { startSimulator } from '../../src/sim/index.js';
import { simScheduler } from '../../src/sim/time/scheduler.js';
import { simClient } from '../helpers/sim.js';
import { createJob, loggingClient, maxOverlap, QUICK } from './sim-jobs.js';

// The simulator and the watchers share one clock at 50× real time (simScheduler), so expiries and maxWaitMs take
// their real simulated length: 60 s of waiting is 1.2 s of wall clock.
const SPEED = 50;

let sim: Simulator;
let client: OpenAI;

beforeEach(async () => {
  sim = await startSimulator({ clock: { speed: SPEED }, seed: 11 });
  client = simClient(sim);
});
afterEach(async () => {
  await sim.close();
});

const shared = (): Pick<WatchRunsOptions, 'client' | 'scheduler'> => ({
  client,
  scheduler: simScheduler(sim.clock),
});

/** One planned job: its kind, its script, and the state its watch must end in. */
type Plan = [kind: JobRef['kind'], scenario: Scenario, expected: RunState];

const SLOW = { queued: 200, in_progress: 600_000 };
const PLANS: Plan[] = [
  ['assistants.run', { phases: QUICK }, 'completed'],
  ['assistants.run', { phases: QUICK, outcome: 'failed' }, 'failed'],
  ['assistants.run', { phases: QUICK, outcome: 'cancelled' }, 'cancelled'],
  ['assistants.run', { phases: QUICK, outcome: 'incomplete' }, 'incomplete'],
  ['assistants.run', { phases: SLOW, expiresAfterMs: 20_000 }, 'expired'],
  ['assistants.run', { phases: SLOW }, 'timed_out'],
  [
    'assistants.run',
    { phases: QUICK, toolCalls: [[{ name: 'lookup', arguments: { q: 'x' } }]] },
    'completed',
  ],
  ['response', { phases: QUICK }, 'completed'],
  ['response', { phases: QUICK, outcome: 'failed' }, 'failed'],
  ['response', { phases: QUICK, outcome: 'cancelled' }, 'cancelled'],
  ['response', { phases: QUICK, outcome: 'incomplete' }, 'incomplete'],
  ['response', { phases: SLOW }, 'timed_out'],
  ['batch', { phases: QUICK }, 'completed'],
  ['batch', { phases: QUICK, outcome: 'failed' }, 'failed'],
  ['batch', { phases: QUICK, outcome: 'cancelled' }, 'cancelled'],
  ['batch', { phases: SLOW, expiresAfterMs: 20_000 }, 'expired'],
];

describe('watchRuns: many jobs through the SDK and the simulator', () => {
  it('32 jobs of three kinds with mixed outcomes and a missing one: allSettled and progress get every one right', async () => {
    // Each plan twice, the second time with random phase lengths, so ends interleave across kinds.
    const plans: Plan[] = [
      ...PLANS,
      ...PLANS.map(
        ([kind, s, expected]): Plan => [
          kind,
          { ...s, phases: { ...s.phases, in_progress: s.phases === SLOW ? SLOW.in_progress : [500, 8000] } },
          expected,
        ],
      ),
    ];
    const jobs: JobRef[] = await Promise.all(
      plans.map(([kind, scenario]) => createJob(client, kind, scenario)),
    );
    const missing: JobRef = { kind: 'batch', id: 'batch_missing' };
    jobs.splice(5, 0, missing);
    const expected = new Map(plans.map(([, , state], i) => [jobKey(jobs[i < 5 ? i : i + 1]!), state]));

    const updates$ = connectable(
      // 3 simulated minutes (3.6 s of wall clock): a loaded machine that delays a first read by a second must not
      // turn a quick job's outcome, or the missing job's not_found, into timed_out.
      watchRuns([...jobs], { ...shared(), maxWaitMs: 180_000, tools: { lookup: () => 'found' } }),
    );
    const counts: RunProgress[] = [];
    updates$.pipe(progress()).subscribe((p) => counts.push(p));
    const settled = lastValueFrom(updates$.pipe(allSettled()));
    updates$.connect();
    const results = await settled;

    expect(results.map((u) => u.key)).toEqual(jobs.map(jobKey));
    const error = results[5]!;
    expect(error.type === 'error' && isRunstateError(error.error) && error.error.code).toBe('not_found');
    for (const update of results.filter((u) => u !== error)) {
      if (update.type !== 'snapshot') throw new Error(`unexpected error for ${update.key}: ${update.error}`);
      expect([update.key, update.snapshot.state, update.snapshot.done]).toEqual([
        update.key,
        expected.get(update.key),
        true,
      ]);
      // Every request of each watch is counted, and all but at most one reached the simulator and named that job
      // (create aside): a retrieve in flight can be aborted before it reaches the server (a nudge after a submission
      // restarts the poll cycle; the deadline ends the watch), and `calls` counts it, since it was made.
      const reached = sim.job(update.key)!.requests - 1;
      expect(update.snapshot.calls - reached, update.key).toBeGreaterThanOrEqual(0);
      expect(update.snapshot.calls - reached, update.key).toBeLessThanOrEqual(1);
    }

    // progress: one emission per change; the counts add up at every step and end on the outcomes.
    for (const p of counts) {
      expect(Object.values(p.byState).reduce((a, b) => a + b) + p.errors + p.waiting).toBe(p.total);
      expect(p.done).toBeLessThanOrEqual(p.total);
    }
    expect(counts.map((p) => p.done)).toEqual([...counts.map((p) => p.done)].sort((a, b) => a - b));
    const byOutcome: Partial<Record<RunState, number>> = {};
    for (const state of expected.values()) byOutcome[state] = (byOutcome[state] ?? 0) + 1;
    // The batches' requests: the sum of their last request_counts.
    const requests = { done: 0, completed: 0, failed: 0, total: 0 };
    for (const u of results) {
      const p = (u.type === 'snapshot' ? u.snapshot.progress : undefined) as BatchProgress | undefined;
      for (const k of ['done', 'completed', 'failed', 'total'] as const) requests[k] += p?.[k] ?? 0;
    }
    expect(requests.total).toBeGreaterThan(0);
    expect(counts.at(-1)).toEqual({
      total: 33,
      waiting: 0,
      done: 33,
      errors: 1,
      byState: { queued: 0, in_progress: 0, requires_action: 0, cancelling: 0, ...byOutcome },
      requests,
    });
  });

  it('watches at most `concurrency` jobs at once, starting the waiting ones in order as others end', async () => {
    const logged = loggingClient(sim);
    const jobs = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        createJob(logged.client, 'response', { phases: { queued: 200, in_progress: 1000 + (i % 4) * 1500 } }),
      ),
    );
    let active = 0;
    let mostActive = 0;
    const started: string[] = [];
    const results = await lastValueFrom(
      watchRuns(jobs, { ...shared(), client: logged.client, concurrency: 3 }).pipe(
        tap((u) => {
          if (u.type !== 'snapshot') return;
          if (u.snapshot.calls === 0 && !started.includes(u.key)) {
            started.push(u.key);
            mostActive = Math.max(mostActive, ++active);
          }
          if (u.snapshot.done) active--;
        }),
        allSettled(),
      ),
    );
    expect(results.every((u) => u.type === 'snapshot' && u.snapshot.state === 'completed')).toBe(true);
    expect(mostActive).toBe(3);
    expect(started).toEqual(jobs.map(jobKey));
    // What the server saw: never more than 3 jobs with retrieves in flight between their first and last.
    const overlap = maxOverlap(logged.log, jobs.map(jobKey));
    expect(overlap).toBeLessThanOrEqual(3);
    expect(overlap).toBeGreaterThan(1);
  });

  it('takes jobs created on the fly from a Subject, within the limit, and completes after the Subject and the watches', async () => {
    const jobs$ = new Subject<JobRef>();
    const updates: RunUpdate[] = [];
    let active = 0;
    let mostActive = 0;
    const settled = lastValueFrom(
      watchRuns(jobs$, { ...shared(), concurrency: 2 }).pipe(
        tap((u) => {
          updates.push(u);
          if (u.type !== 'snapshot') return;
          if (u.snapshot.calls === 0 && u.snapshot.status === undefined)
            mostActive = Math.max(mostActive, ++active);
          if (u.snapshot.done) active--;
        }),
        allSettled(),
      ),
    );
    const given: JobRef[] = [];
    for (let i = 0; i < 6; i++) {
      const job = await createJob(client, i % 2 ? 'batch' : 'response', { phases: QUICK });
      given.push(job);
      jobs$.next(job);
      jobs$.next(job); // already watched or waiting: ignored
      // Let time pass between arrivals, so some watches end before the next job arrives.
      await new Promise((r) => setTimeout(r, 30));
    }
    jobs$.complete();
    const results = await settled;
    expect(results.map((u) => u.key)).toEqual(given.map(jobKey));
    expect(results.every((u) => u.type === 'snapshot' && u.snapshot.state === 'completed')).toBe(true);
    expect(updates.filter((u) => u.type === 'snapshot' && u.snapshot.done)).toHaveLength(6);
    expect(mostActive).toBeLessThanOrEqual(2);
  });

  it('on abort, stops every watch and, with cancelOnAbort, cancels running and waiting jobs alike', async () => {
    const jobs$ = new Subject<JobRef>();
    const abort = new AbortController();
    const settled = lastValueFrom(
      watchRuns(jobs$, { ...shared(), concurrency: 2, signal: abort.signal, cancelOnAbort: true }).pipe(
        allSettled(),
      ),
    );
    const jobs = await Promise.all(
      Array.from({ length: 5 }, () => createJob(client, 'response', { phases: SLOW })),
    );
    for (const job of jobs) jobs$.next(job);
    await new Promise((r) => setTimeout(r, 100));
    abort.abort();
    // The Subject never completes: the abort alone ends the stream.
    const results = await settled;
    jobs$.next(await createJob(client, 'response', { phases: SLOW }));
    expect(results.map((u) => u.key)).toEqual(jobs.map(jobKey));
    // Each cancel was answered with a final status: each watch ended done.
    expect(results.map((u) => u.type === 'snapshot' && [u.snapshot.done, u.snapshot.status])).toEqual(
      jobs.map(() => [true, 'cancelled']),
    );
    expect(jobs.map((j) => sim.job(jobKey(j))!.status)).toEqual(jobs.map(() => 'cancelled'));
    expect(sim.stats().requests.byRoute['responses.cancel']?.total).toBe(5);
  });

  it('errors as a whole only for a bad concurrency or jobs input', async () => {
    for (const concurrency of [0, 1.5, -1, Number.NaN]) {
      const error = await lastValueFrom(watchRuns([], { ...shared(), concurrency })).catch((e: unknown) => e);
      expect(isRunstateError(error) && error.code).toBe('bad_configuration');
    }
    const error = await lastValueFrom(watchRuns(null as never, shared())).catch((e: unknown) => e);
    expect(isRunstateError(error) && error.code).toBe('bad_configuration');
    // A bad job is that job's error update.
    const [bad] = await lastValueFrom(
      watchRuns([{ kind: 'fine_tune', id: 'x' } as unknown as JobRef], shared()).pipe(allSettled()),
    );
    expect(bad?.type === 'error' && isRunstateError(bad.error) && bad.error.code).toBe('bad_configuration');
    expect(sim.stats().requests.total).toBe(0);
  });
});
