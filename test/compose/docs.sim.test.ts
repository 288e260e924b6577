import { readdirSync, readFileSync } from 'node:fs';
import type OpenAI from 'openai';
import { connectable, filter, firstValueFrom, lastValueFrom, Subject, tap } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import {
  allSettled,
  firstCompleted,
  isRunstateError,
  type JobRef,
  jobKey,
  poll,
  progress,
  type RunProgress,
  type RunSnapshot,
  type RunUpdate,
  watchRuns,
} from '../../src/index.js';
import { type Scenario, type Simulator, startSimulator } from '../../src/sim/index.js';
import { simClient } from '../helpers/sim.js';
import { createJob, QUICK } from './sim-jobs.js';

// The samples of docs/composing.md, run as written: `{ client }` only, so the watcher keeps real time (first
// retrieve after 500 ms) while the simulator runs 50× faster and jobs of a few simulated seconds have ended by then.
// Each test has its own simulator, so they run concurrently.

async function withSim(run: (sim: Simulator, client: OpenAI) => Promise<void>): Promise<void> {
  const sim = await startSimulator({ clock: { speed: 50 }, seed: 3 });
  try {
    await run(sim, simClient(sim));
  } finally {
    await sim.close();
  }
}

const responses = (client: OpenAI, scenarios: Scenario[]) =>
  Promise.all(scenarios.map((s) => createJob(client, 'response', s)));
const idOf = (job: JobRef) => jobKey(job);

describe.concurrent('docs/composing.md samples, run against the simulator', () => {
  it('quick-start: watchRuns + allSettled gives one outcome per job, in the order given', () =>
    withSim(async (sim, client) => {
      const jobs: JobRef[] = [
        ...(await responses(client, [
          { phases: QUICK },
          { phases: QUICK, outcome: 'failed' },
          { phases: QUICK, outcome: 'incomplete' },
        ])),
        await createJob(client, 'batch', { phases: QUICK, outcome: 'expired', expiresAfterMs: 10_000 }),
        { kind: 'response', id: 'resp_missing' },
      ];
      // sample: quick-start
      const settled = await lastValueFrom(watchRuns(jobs, { client }).pipe(allSettled()));
      const outcomes = settled.map((u) => (u.type === 'error' ? u.error : u.snapshot.state));
      // one per job, in the order given: 'completed', 'failed', 'expired', …, or the error of a watch that failed
      // end sample
      expect(outcomes.slice(0, 4)).toEqual(['completed', 'failed', 'incomplete', 'expired']);
      expect(isRunstateError(outcomes[4]) && outcomes[4].code).toBe('not_found');
      expect(settled.map((u) => u.key)).toEqual(jobs.map(jobKey));
      expect(sim.stats().requests.byRoute['responses.retrieve']?.total).toBe(4);
    }));

  it('retry: a job given again from its error update is watched anew', () =>
    withSim(async (sim, client) => {
      sim.setFaults({ serverError: { next: 2, status: 503, routes: ['responses.retrieve'] } });
      const [job] = await responses(client, [{ phases: QUICK }]);
      // sample: retry
      const jobs$ = new Subject<JobRef>();
      const updates$ = watchRuns(jobs$, { client, source: poll({ maxRetries: 1 }) }).pipe(
        tap((u) => {
          if (u.type !== 'error') return;
          if (isRunstateError(u.error) && u.error.code === 'retries_exhausted') jobs$.next(u.job);
        }),
      );
      // end sample
      const seen: RunUpdate[] = [];
      const finished = firstValueFrom(
        updates$.pipe(
          tap((u) => seen.push(u)),
          filter((u) => u.type === 'snapshot' && u.snapshot.done),
        ),
      );
      jobs$.next(job!);
      const last = await finished;
      expect(last.type === 'snapshot' && last.snapshot.state).toBe('completed');
      expect(seen.filter((u) => u.type === 'error')).toHaveLength(1);
      // Two 503s ended the first watch; the second watch's first retrieve saw the end.
      expect(sim.job(idOf(job!))!.retrieves).toBe(3);
    }));

  it('on-the-fly: jobs created as we go, two watched at a time', () =>
    withSim(async (sim, client) => {
      const inputs = ['one', 'two', 'three', 'four', 'five'];
      // sample: on-the-fly
      const jobs$ = new Subject<JobRef>();
      const settled = lastValueFrom(watchRuns(jobs$, { client, concurrency: 2 }).pipe(allSettled()));
      for (const input of inputs) {
        const response = await client.responses.create({ model: 'gpt-4o-mini', input, background: true });
        jobs$.next({ kind: 'response', id: response.id });
      }
      jobs$.complete(); // no more jobs: the stream completes when the last watch ends
      const results = await settled;
      // end sample
      expect(results.map((u) => u.type === 'snapshot' && u.snapshot.state)).toEqual(
        inputs.map(() => 'completed'),
      );
      expect(Object.keys(sim.stats().jobs)).toEqual(results.map((u) => u.key));
    }));

  it('progress: one shared watch feeds progress() and allSettled()', () =>
    withSim(async (_sim, client) => {
      const outcomes = ['completed', 'failed', 'cancelled', 'incomplete'] as const;
      const jobs = await responses(
        client,
        Array.from({ length: 12 }, (_, i) => ({ phases: QUICK, outcome: outcomes[i % 4]! })),
      );
      const seen: RunProgress[] = [];
      const render = (p: RunProgress) => seen.push(p);
      // sample: progress
      const updates$ = connectable(watchRuns(jobs, { client, concurrency: 10 }));
      updates$.pipe(progress()).subscribe(render);
      const settled = lastValueFrom(updates$.pipe(allSettled()));
      updates$.connect();
      // end sample
      expect((await settled).map((u) => u.type === 'snapshot' && u.snapshot.state)).toEqual(
        jobs.map((_, i) => outcomes[i % 4]),
      );
      // Twelve jobs known up front, ten watched at a time: total is 12 from the first emission on.
      expect(seen.map((p) => p.total)).toEqual(seen.map(() => 12));
      expect(seen[0]!.waiting).toBe(11);
      expect(seen.at(-1)).toEqual({
        total: 12,
        waiting: 0,
        done: 12,
        errors: 0,
        byState: expect.objectContaining({ completed: 3, failed: 3, cancelled: 3, incomplete: 3, queued: 0 }),
      });
      for (const p of seen) {
        expect(Object.values(p.byState).reduce((a, b) => a + b) + p.errors + p.waiting).toBe(p.total);
      }
    }));

  it('first-completed: the quickest job wins; the others are left running', () =>
    withSim(async (sim, client) => {
      const slow = { phases: { queued: 200, in_progress: 600_000 } };
      const jobs = await responses(client, [slow, { phases: QUICK }, slow, slow]);
      // sample: first-completed
      const winner = await firstValueFrom(watchRuns(jobs, { client }).pipe(firstCompleted()), {
        defaultValue: undefined,
      });
      // end sample
      expect(winner?.key).toBe(idOf(jobs[1]!));
      expect(winner?.snapshot.state).toBe('completed');
      expect([0, 2, 3].map((i) => sim.job(idOf(jobs[i]!))!.status)).toEqual([
        'in_progress',
        'in_progress',
        'in_progress',
      ]);
      expect(sim.stats().requests.byRoute['responses.cancel']).toBeUndefined();
    }));

  it('hedge: the quickest wins and the others are cancelled before the winner is handed over', () =>
    withSim(async (sim, client) => {
      const slow = { phases: { queued: 200, in_progress: 600_000 } };
      const jobs = await responses(client, [slow, slow, { phases: QUICK }, slow]);
      // sample: hedge
      const abort = new AbortController();
      const updates$ = watchRuns(jobs, { client, signal: abort.signal, cancelOnAbort: true });
      const winner = await firstValueFrom(updates$.pipe(firstCompleted({ abort })));
      // end sample
      expect(winner.key).toBe(idOf(jobs[2]!));
      expect([0, 1, 3].map((i) => sim.job(idOf(jobs[i]!))!.status)).toEqual([
        'cancelled',
        'cancelled',
        'cancelled',
      ]);
      expect(sim.stats().requests.byRoute['responses.cancel']?.total).toBe(3);
    }));

  it('keep-watching: the winner is handed over at once, the others are watched to their end', () =>
    withSim(async (_sim, client) => {
      const jobs = await responses(client, [
        { phases: { queued: 200, in_progress: 40_000 } },
        { phases: QUICK },
        { phases: { queued: 200, in_progress: 20_000 }, outcome: 'failed' },
      ]);
      const replies: unknown[] = [];
      const reply = (job: unknown) => replies.push(job);
      // sample: keep-watching
      const finals = new Map<string, RunSnapshot>();
      watchRuns(jobs, { client })
        .pipe(
          tap((u) => u.type === 'snapshot' && u.snapshot.done && finals.set(u.key, u.snapshot)),
          firstCompleted({ keepWatching: true }),
        )
        .subscribe((winner) => reply(winner.snapshot.job));
      // end sample
      await vi.waitFor(() => expect(finals.size).toBe(3), { timeout: 5000, interval: 50 });
      expect(replies).toEqual([expect.objectContaining({ id: idOf(jobs[1]!), status: 'completed' })]);
      expect(jobs.map((j) => finals.get(idOf(j))?.state)).toEqual(['completed', 'completed', 'failed']);
    }));
});

describe('docs/composing.md', () => {
  /** Code lines without imports and blank lines, dedented. */
  const normalize = (lines: string[]): string[] => {
    const code = lines.filter((l) => l.trim() !== '' && !l.trimStart().startsWith('import '));
    const indent = Math.min(...code.map((l) => l.length - l.trimStart().length));
    return code.map((l) => l.slice(indent).trimEnd());
  };

  it('shows each sample exactly as a test runs it', () => {
    const page = readFileSync(new URL('../../docs/composing.md', import.meta.url), 'utf8');
    const documented = new Map<string, string[]>();
    for (const [, name, body] of page.matchAll(/<!-- sample: ([\w-]+) -->\n```ts\n([\s\S]*?)```/g)) {
      documented.set(name!, normalize(body!.split('\n')));
    }
    const tested = new Map<string, string[]>();
    const dir = new URL('./', import.meta.url);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.test.ts'))) {
      const source = readFileSync(new URL(file, dir), 'utf8');
      for (const [, name, body] of source.matchAll(
        /\/\/ sample: ([\w-]+)\n([\s\S]*?)\n\s*\/\/ end sample/g,
      )) {
        tested.set(name!, normalize(body!.split('\n')));
      }
    }
    expect(documented.size).toBeGreaterThanOrEqual(7);
    expect([...documented.keys()].sort()).toEqual([...tested.keys()].sort());
    for (const [name, lines] of documented) expect(lines, name).toEqual(tested.get(name));
  });
});
