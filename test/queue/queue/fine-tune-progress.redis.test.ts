import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobRef } from '../../../src/index.js';
import { createFineTune } from '../../helpers/more-kinds.js';
import { type QueueFixture, queueFixture } from '../fixture.js';

let f: QueueFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

describe("a durable watch of a fine-tune with progressFrom: 'events'", () => {
  it('publishes its training steps, keeps them between steps, and counts every events read in calls', async () => {
    f = await queueFixture('ft-progress');
    const fixture = f;
    await fixture.addWorker({ poll: { initialDelayMs: 500, factor: 1, maxDelayMs: 500 } });
    const { id } = (await createFineTune(fixture.client, {
      phases: { validating: 100, queued: 100, in_progress: 10_000 },
      requests: 20,
    })) as { id: string };
    const job: JobRef = { kind: 'fine_tuning.job', id, progressFrom: 'events' };
    await fixture.runs.watch(job);
    // Midway, a step's snapshot (restored from the stored slim job by the next step) carries the progress.
    const midway = await firstValueFrom(
      fixture.runs.observe(job).pipe(filter((s) => (s.progress?.done ?? 0) > 0 && !s.done)),
    );
    expect(midway.progress).toMatchObject({ total: 20, trainLoss: expect.any(Number) });
    const last = await fixture.runs.result(job);
    expect(last).toMatchObject({ done: true, state: 'completed', progress: { done: 20, total: 20 } });
    const events = fixture.sim.stats().requests.byRoute['fine_tuning.jobs.events']?.total ?? 0;
    expect(events).toBeGreaterThan(0);
    expect(last.calls).toBe(fixture.sim.job(id)!.retrieves + events);
  });
});
