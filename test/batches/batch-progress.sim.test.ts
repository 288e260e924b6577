import type OpenAI from 'openai';
import { lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { progress } from '../../src/compose/progress.js';
import { watchRuns } from '../../src/compose/watch-runs.js';
import type { BatchProgress, JobRef } from '../../src/model/types.js';
import { type Scenario, type Simulator, startSimulator } from '../../src/sim/index.js';
import { simScheduler } from '../../src/sim/time/scheduler.js';
import { poll } from '../../src/sources/poll.js';
import { watchRun } from '../../src/watch/watch-run.js';
import { scenarioMeta, simClient } from '../helpers/sim.js';

// The simulator and the watcher share one clock at 50× real time: a minute of batch work takes 1.2 s.
let sim: Simulator;
let client: OpenAI;

beforeEach(async () => {
  sim = await startSimulator({ clock: { speed: 50 }, seed: 13 });
  client = simClient(sim);
});
afterEach(async () => {
  await sim.close();
});

async function createBatch(scenario: Scenario): Promise<JobRef & { kind: 'batch' }> {
  const b = await client.batches.create({
    input_file_id: 'file-abc',
    endpoint: '/v1/responses',
    completion_window: '24h',
    metadata: scenarioMeta({ anyInputFile: true, phases: { validating: 300, finalizing: 300 }, ...scenario }),
  });
  return { kind: 'batch', id: b.id };
}

/** A poll every 5 s: several looks while the requests finish. */
const everyFiveSeconds = () => poll({ initialDelayMs: 5000, factor: 1, maxDelayMs: 5000 });

describe("batch snapshots carry the batch's progress (request_counts)", () => {
  it('moves while the batch runs, one snapshot per change even within one status, failed counted', async () => {
    const job = await createBatch({ requests: 20, failedRequests: 4, workMs: 60_000 });
    const snapshots = await lastValueFrom(
      watchRun({ client, job, source: everyFiveSeconds(), scheduler: simScheduler(sim.clock) }).pipe(
        toArray(),
      ),
    );
    // Nothing observed yet: no progress.
    expect(snapshots[0]!.progress).toBeUndefined();
    const seen = snapshots.filter((s) => s.progress !== undefined);
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) {
      expect((s.progress as BatchProgress).total).toBe(20);
      // The counts are the API object's own.
      const counts = (s.job as { request_counts: { completed: number; failed: number } }).request_counts;
      expect(s.progress).toEqual({ ...counts, done: counts.completed + counts.failed });
    }
    const finished = seen.map(
      (s) => (s.progress as BatchProgress).completed + (s.progress as BatchProgress).failed,
    );
    expect(finished).toEqual([...finished].sort((a, b) => a - b));
    const whileRunning = seen.filter((s) => s.status === 'in_progress');
    expect(
      new Set(whileRunning.map((s) => (s.progress as BatchProgress).completed)).size,
    ).toBeGreaterThanOrEqual(5);
    expect(seen.at(-1)!).toMatchObject({
      state: 'completed',
      progress: { completed: 16, failed: 4, total: 20 },
    });
  });

  it('keeps the partial counts of a cancelled batch, and none on a response', async () => {
    const job = await createBatch({
      requests: 10,
      workMs: 60_000,
      outcome: 'cancelled',
      phases: { in_progress: 30_000 },
    });
    const last = await lastValueFrom(
      watchRun({ client, job, source: everyFiveSeconds(), scheduler: simScheduler(sim.clock) }),
    );
    expect(last.state).toBe('cancelled');
    expect((last.progress as BatchProgress).total).toBe(10);
    expect((last.progress as BatchProgress).completed).toBeGreaterThan(0);
    expect((last.progress as BatchProgress).completed).toBeLessThan(10);

    const r = await client.responses.create({ model: 'gpt-4o-mini', input: 'hi', background: true });
    const response = await lastValueFrom(
      watchRun({ client, job: { kind: 'response', id: r.id }, scheduler: simScheduler(sim.clock) }),
    );
    expect(response.state).toBe('completed');
    expect(response.progress).toBeUndefined();
  });

  it('progress() sums the requests of several batches', async () => {
    const jobs = [
      await createBatch({ requests: 10, failedRequests: 1, workMs: 20_000 }),
      await createBatch({ requests: 30, failedRequests: [0, 1], workMs: 40_000 }),
    ];
    const counts = await lastValueFrom(
      watchRuns(jobs, { client, source: everyFiveSeconds(), scheduler: simScheduler(sim.clock) }).pipe(
        progress(),
        toArray(),
      ),
    );
    const requests = counts.flatMap((c) => (c.requests ? [c.requests] : []));
    expect(requests.at(-1)).toEqual({ done: 40, completed: 37, failed: 3, total: 40 });
    expect(counts.at(-1)).toMatchObject({ total: 2, done: 2 });
    // It moved in between, not only at the end.
    expect(new Set(requests.map((r) => r.completed)).size).toBeGreaterThan(3);
  });
});
