import { describe, expect, it } from 'vitest';
import { createIds } from '../../../src/sim/ids.js';
import type { SimJob } from '../../../src/sim/jobs/job.js';
import type { Step } from '../../../src/sim/jobs/plan.js';
import { JobRegistry } from '../../../src/sim/jobs/registry.js';
import { ResponseJob } from '../../../src/sim/jobs/response/response-job.js';
import { createRandom } from '../../../src/sim/scenario/random.js';
import { createManualClock } from '../../../src/sim/time/clock.js';

describe('JobRegistry', () => {
  it('announces every step of 10,000 jobs exactly once, in time order, at the time the script reaches it', async () => {
    const clock = createManualClock(0);
    const ids = createIds(createRandom(1));
    const heard: [SimJob, Step, number][] = [];
    const registry = new JobRegistry(clock, (job, step) => heard.push([job, step, clock.now()]));
    for (let i = 0; i < 10_000; i++) {
      const job = new ResponseJob(ids.make('resp_'), {
        background: true,
        model: 'm',
        instructions: null,
        metadata: null,
        scenario: { phases: { queued: [0, 5000], in_progress: [1000, 60_000] } },
        random: createRandom(i),
        ids,
        now: 0,
      });
      registry.add(job);
    }
    // One pending timer per job, not one per step: the registry arms each job's next step only.
    expect(clock.pending).toBe(10_000);
    await clock.advance(70_000);
    expect(heard).toHaveLength(30_000);
    expect(heard.every(([, step, heardAt]) => step.at === heardAt)).toBe(true);
    expect(heard.map(([, , at]) => at)).toEqual(heard.map(([, , at]) => at).sort((a, b) => a - b));
    expect(clock.pending).toBe(0);
  });

  it('follows a replanned job: a cancel drops the planned steps it replaced', async () => {
    const clock = createManualClock(0);
    const ids = createIds(createRandom(1));
    const heard: string[] = [];
    const registry = new JobRegistry(clock, (_job, step) => heard.push(`${step.status}@${step.at}`));
    const job = new ResponseJob('resp_1', {
      background: true,
      model: 'm',
      instructions: null,
      metadata: null,
      scenario: { phases: { queued: 100, in_progress: 1000 } },
      random: createRandom(1),
      ids,
      now: 0,
    });
    registry.add(job);
    await clock.advance(500);
    job.cancel(clock.now());
    registry.replanned(job);
    await clock.advance(5000);
    expect(heard).toEqual(['queued@0', 'in_progress@100', 'cancelled@500']);
  });
});
