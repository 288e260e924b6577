import { lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { backoffSchedule, poll, resolveBackoff, watchRun } from '../src/index.js';
import { startSimulator } from '../src/sim/index.js';
import { simScheduler } from '../src/sim/scheduler.js';
import { scenarioMeta, simClient } from './helpers/sim.js';

/** mulberry32: a seeded random source, so the jitter the watch draws can be replayed by the schedule. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('poll schedule against a scripted run', () => {
  it('makes exactly the retrieves that the default policy computes for that run', async () => {
    // Slow enough (10×) that a request's few ms of latency stay far inside the gap the run ends in.
    const sim = await startSimulator({ clock: { speed: 10 }, seed: 3 });
    try {
      const policy = resolveBackoff();
      const times = backoffSchedule(policy, { random: seeded(42), until: 60_000 });
      // End the run in the middle of the first wide gap after a few polls, so timing noise cannot move a poll
      // across the end.
      const k = times.findIndex((t, i) => i >= 3 && (times[i + 1] ?? 0) - t >= 1_500);
      expect(k).toBeGreaterThanOrEqual(3);
      const endsAt = (times[k]! + times[k + 1]!) / 2;
      const client = simClient(sim);
      const r = await client.responses.create({
        model: 'gpt-4o-mini',
        input: 'count my polls',
        background: true,
        metadata: scenarioMeta({ phases: { queued: 100, in_progress: endsAt - 100 } }),
      });
      const last = await lastValueFrom(
        watchRun({
          client,
          job: { kind: 'response', id: r.id },
          source: poll(),
          random: seeded(42),
          scheduler: simScheduler(sim.clock),
        }),
      );
      expect(last.state).toBe('completed');
      // Polls 0..k read it running; poll k+1 reads it completed.
      expect(sim.job(r.id)!.retrieves).toBe(k + 2);
      expect(last.calls).toBe(k + 2);
    } finally {
      await sim.close();
    }
  });
});
