import { lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { poll, watchRun } from '../../src/index.js';
import { backoffSchedule, resolveBackoff } from '../../src/polling/index.js';
import { startSimulator } from '../../src/sim/index.js';
import { simScheduler } from '../../src/sim/time/scheduler.js';
import { scenarioMeta, simClient } from '../helpers/sim.js';
import { seededRandom as seeded } from '../helpers/source-context.js';

describe('poll schedule against a scripted run', () => {
  it.each(['none', 'full'] as const)(
    'with jitter %s, makes exactly the retrieves the policy computes for the run',
    async (jitter) => {
      // A manual clock that moves only between requests, in 10 ms steps: the schedule cannot drift with CPU load.
      const sim = await startSimulator({ clock: 'manual', seed: 3 });
      try {
        const policy = resolveBackoff({ jitter });
        const times = backoffSchedule(policy, { random: seeded(42), until: 60_000 });
        // End the run in the middle of the first wide gap after a few polls, so timing noise cannot move a poll
        // across the end.
        const k = times.findIndex((t, i) => i >= 3 && (times[i + 1] ?? 0) - t >= 1_500);
        expect(k).toBeGreaterThanOrEqual(3);
        const endsAt = (times[k]! + times[k + 1]!) / 2;
        const inFlight = new Set<Promise<unknown>>();
        const client = simClient(sim, {
          fetch: (url, init) => {
            const p = fetch(url, init);
            const tracked = p.finally(() => inFlight.delete(tracked));
            inFlight.add(tracked);
            return p;
          },
        });
        const r = await client.responses.create({
          model: 'gpt-4o-mini',
          input: 'count my polls',
          background: true,
          metadata: scenarioMeta({ phases: { queued: 100, in_progress: endsAt - 100 } }),
        });
        let ended = false;
        const watching = lastValueFrom(
          watchRun({
            client,
            job: { kind: 'response', id: r.id },
            source: poll({ jitter }),
            random: seeded(42),
            scheduler: simScheduler(sim.clock),
          }),
        ).finally(() => {
          ended = true;
        });
        // A poll that fires reaches `fetch` only after the SDK's own awaits: give it two turns before moving on.
        const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
        while (!ended) {
          if (inFlight.size > 0) await Promise.allSettled([...inFlight]);
          else await sim.clock.advance(10);
          await turn();
          await turn();
        }
        const last = await watching;
        expect(last.state).toBe('completed');
        // Polls 0..k read it running; poll k+1 reads it completed.
        expect(sim.job(r.id)!.retrieves).toBe(k + 2);
        expect(last.calls).toBe(k + 2);
      } finally {
        await sim.close();
      }
    },
  );
});
