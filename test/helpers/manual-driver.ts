import type OpenAI from 'openai';
import { type ManualClock, type SimFaults, type Simulator, startSimulator } from '../../src/sim/index.js';
import { simClient } from './sim.js';

/** A manual-clock simulator, a client whose requests are tracked, and a driver that moves time between them. */
export interface DrivenSim {
  sim: Simulator<ManualClock>;
  client: OpenAI;
  /**
   * Moves the clock in `stepMs` steps, letting every request in flight finish first, until `done()`: a fault then
   * lands on the request it is meant for, whatever the machine's load.
   */
  until(done: () => boolean, stepMs?: number): Promise<void>;
  /**
   * Like `until`, for watches of hours: each move goes straight to the next callback waiting on the clock (at most
   * `maxStepMs`), so a poll every 30 minutes costs one move, not 18 000.
   */
  jump(done: () => boolean, limitMs: number, maxStepMs?: number): Promise<void>;
}

/** Starts a manual-clock simulator with `faults`; close it with `sim.close()`. */
export async function drivenSim(faults: SimFaults = {}, seed = 9): Promise<DrivenSim> {
  const sim = await startSimulator({ clock: 'manual', seed, faults });
  const inFlight = new Set<Promise<unknown>>();
  const client = simClient(sim, {
    fetch: (url, init) => {
      const p = fetch(url, init);
      const tracked: Promise<unknown> = p.then(
        () => inFlight.delete(tracked),
        () => inFlight.delete(tracked),
      );
      inFlight.add(tracked);
      return p;
    },
  });
  // A request that fires reaches `fetch` only after the SDK's own awaits: two turns before moving on.
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    sim,
    client,
    async until(done, stepMs = 100) {
      const limit = sim.clock.now() + 2 * 60 * 60_000;
      while (!done()) {
        if (sim.clock.now() > limit) throw new Error('not done within 2 simulated hours');
        if (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        else await sim.clock.advance(stepMs);
        await turn();
        await turn();
      }
    },
    async jump(done, limitMs, maxStepMs = 60_000) {
      const limit = sim.clock.now() + limitMs;
      while (!done()) {
        const now = sim.clock.now();
        if (now > limit) throw new Error(`not done within ${limitMs} simulated ms`);
        if (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        else
          await sim.clock.advance(
            Math.max(1, Math.min(maxStepMs, (sim.clock.nextAt ?? now + maxStepMs) - now)),
          );
        await turn();
        await turn();
      }
    },
  };
}
