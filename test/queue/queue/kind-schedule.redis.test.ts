import { Job, Queue } from 'bullmq';
import { lastValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { poll, watchRun } from '../../../src/index.js';
import { kindSpec } from '../../../src/kinds/registry.js';
import { watchJobId } from '../../../src/queue/index.js';
import { simScheduler } from '../../../src/sim/time/scheduler.js';
import { createFineTune } from '../../helpers/more-kinds.js';
import { type QueueFixture, queueFixture, REDIS } from '../fixture.js';

// A worker given no `poll` follows each kind's own schedule, as `poll()` does in process: a fine-tune that trains
// for hours is read a few dozen times, not every 5 s (the one backoff the queue used for every kind).

let f: QueueFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

// Simulated time runs 2000× real time: three hours of training pass in about 5.4 s.
const SPEED = 2000;
const TRAINING_MS = 3 * 60 * 60_000;
const PHASES = { validating: 60_000, queued: 120_000, in_progress: TRAINING_MS };
// What the queue's old schedule (500 ms ×1.5, capped at 5 s) reads over the job's life, as a bound to stay far from.
const CAPPED_READS = (PHASES.validating + PHASES.queued + TRAINING_MS) / 5000;

describe('a durable watch follows its kind’s poll schedule', () => {
  it('reads a three-hour fine-tune about as often as poll() does in process, far below every 5 s', async () => {
    f = await queueFixture('kind-schedule', { speed: SPEED });
    const { sim, client, runs } = f;
    await f.addWorker();
    // Two fine-tunes with the same script, created together: one watched in process, one through the queue.
    const inProcess = await createFineTune(client, { phases: PHASES, outcome: 'completed' });
    const queued = await createFineTune(client, { phases: PHASES, outcome: 'completed' });
    await runs.watch(queued);
    // Given no maxWaitMs, the watch waits as long as the kind's default (two days for a fine-tune), as in process.
    const queue = new Queue(f.name, { connection: REDIS });
    const stored = await Job.fromId(queue, watchJobId(queued));
    await queue.close();
    expect(stored?.data.maxWaitMs).toBe(kindSpec('fine_tuning.job').defaults.maxWaitMs);
    const [local, durable] = await Promise.all([
      lastValueFrom(watchRun({ client, job: inProcess, source: poll(), scheduler: simScheduler(sim.clock) })),
      runs.result(queued),
    ]);
    expect(local).toMatchObject({ done: true, state: 'completed' });
    expect(durable).toMatchObject({ done: true, state: 'completed' });
    const localReads = sim.job(inProcess.id)!.retrieves;
    const durableReads = sim.job(queued.id)!.retrieves;
    // In process: 30 s apart, then 15% of the age (36 reads over the 3 h 3 min, with no delay); the queue reads once more at
    // 500 ms (its first step, due before it knows the worker's schedule). A loaded machine makes either late,
    // which only lowers its count.
    expect(localReads).toBeGreaterThan(10);
    expect(localReads).toBeLessThan(60);
    expect(durableReads).toBeLessThanOrEqual(localReads * 1.5 + 3);
    // It did poll along the way (a step late under load reads less, never more).
    expect(durableReads).toBeGreaterThanOrEqual(localReads / 3);
    expect(durableReads).toBeLessThan(CAPPED_READS / 20);
    expect(durable.calls).toBe(durableReads);
  }, 60_000);
});
