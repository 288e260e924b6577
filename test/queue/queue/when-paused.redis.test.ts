import { Job, Queue } from 'bullmq';
import { filter, firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobRef } from '../../../src/index.js';
import { watchJobId } from '../../../src/queue/job-id.js';
import { parseWatchData } from '../../../src/queue/watch-data.js';
import { createFineTune } from '../../helpers/more-kinds.js';
import { type QueueFixture, queueFixture, REDIS } from '../fixture.js';

let f: QueueFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

// Clock ms: a minute of training, polled every 500 ms (25 ms of real time at 20×).
const TRAINING = { phases: { validating: 100, queued: 100, in_progress: 60_000 } };
const FAST = { initialDelayMs: 500, factor: 1, maxDelayMs: 500 };

/** The watch's data as BullMQ stores it. */
async function storedData(fixture: QueueFixture, job: JobRef) {
  const queue = new Queue(fixture.name, { connection: REDIS });
  try {
    const found = await Job.fromId(queue, watchJobId(job));
    return parseWatchData(found!.data, found!.id!);
  } finally {
    await queue.close();
  }
}

describe("a durable watch of a paused fine-tune honours whenPaused, as watchRun's does", () => {
  it("with 'stop', stored with the watch, a worker that took over ends it on the paused snapshot", async () => {
    f = await queueFixture('paused-stop');
    const fixture = f;
    const job = await createFineTune(fixture.client, TRAINING);
    const { id } = job as { id: string };
    await fixture.runs.watch(job, { whenPaused: 'stop' });
    expect((await storedData(fixture, job)).whenPaused).toBe('stop');

    // Worker A sees it train, then leaves; the job is paused while no worker runs.
    const a = await fixture.addWorker({ poll: FAST });
    await firstValueFrom(fixture.runs.observe(job).pipe(filter((s) => s.status === 'running')));
    await a.close();
    fixture.workers.splice(fixture.workers.indexOf(a), 1);
    await fixture.client.fineTuning.jobs.pause(id);

    // Worker B knows nothing of the option: it comes from the watch's data.
    await fixture.addWorker({ poll: FAST });
    const last = await fixture.runs.result(job);
    expect(last).toMatchObject({ status: 'paused', paused: true, done: false, state: 'in_progress' });
    expect(last.note).toMatch(/paused \(whenPaused: 'stop'\)/);
    // The watch ended; the job did not: it is still paused on the server, and no worker reads it again.
    const reads = fixture.sim.job(id)!.retrieves;
    await new Promise((resolve) => setTimeout(resolve, 200)); // 4 s of clock time: 8 polls, had it gone on
    expect(fixture.sim.job(id)!.retrieves).toBe(reads);
    expect((await fixture.client.fineTuning.jobs.retrieve(id)).status).toBe('paused');
    expect(await fixture.runs.counts()).toMatchObject({ stopped: 1, delayed: 0, waiting: 0, active: 0 });
  });

  it("with 'wait' (the default), shows the pause and watches on to the end after the resume", async () => {
    f = await queueFixture('paused-wait');
    const fixture = f;
    await fixture.addWorker({ poll: FAST });
    const job = await createFineTune(fixture.client, { phases: { ...TRAINING.phases, in_progress: 20_000 } });
    const { id } = job as { id: string };
    await fixture.runs.watch(job);
    expect((await storedData(fixture, job)).whenPaused).toBeUndefined();
    const observed = lastValueFrom(fixture.runs.observe(job).pipe(toArray()));
    await firstValueFrom(fixture.runs.observe(job).pipe(filter((s) => s.status === 'running')));
    await fixture.client.fineTuning.jobs.pause(id);
    await firstValueFrom(fixture.runs.observe(job).pipe(filter((s) => s.paused === true)));
    await fixture.client.fineTuning.jobs.resume(id);
    const snapshots = await observed;
    expect(await fixture.runs.counts()).toMatchObject({ stopped: 0 });
    expect(snapshots.some((s) => s.paused === true && !s.done)).toBe(true);
    expect(snapshots.at(-1)).toMatchObject({ done: true, state: 'completed', status: 'succeeded' });
    expect(snapshots.at(-1)!.paused).toBeUndefined();
  });

  it('refuses a whenPaused it does not know, and stored data with one', async () => {
    f = await queueFixture('paused-bad');
    const job = await createFineTune(f.client, TRAINING);
    await expect(f.runs.watch(job, { whenPaused: 'pause' as 'stop' })).rejects.toMatchObject({
      code: 'bad_configuration',
      message: expect.stringMatching(/whenPaused must be 'wait' or 'stop'/),
    });
    const data = { v: 1, job, startedAt: 0, maxWaitMs: 1, poll: { attempt: 0 }, calls: 0, failures: 0 };
    expect(parseWatchData({ ...data, whenPaused: 'stop' }, 'w').whenPaused).toBe('stop');
    expect(() => parseWatchData({ ...data, whenPaused: 'later' }, 'w')).toThrow(/whenPaused/);
  });
});
