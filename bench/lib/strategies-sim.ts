/**
 * The one validation run of the virtual-time model: a sample of jobs through the real simulator over HTTP, each
 * watched by `watchRun` with a real poll source on a sped-up clock, against the replay of the same jobs (same
 * durations, same jitter draws) in virtual time.
 */
import OpenAI from 'openai';
import { lastValueFrom } from 'rxjs';
import type { Source } from '../../src/model/types.js';
import { startSimulator } from '../../src/sim/index.js';
import { deriveSeed, mulberry32 } from '../../src/sim/scenario/random.js';
import { simScheduler } from '../../src/sim/time/scheduler.js';
import { watchRun } from '../../src/watch/watch-run.js';
import type { Strategy } from './strategies-replay.js';

/** One strategy through the simulator and through the replay. */
export interface Agreement {
  label: string;
  runs: number;
  /** Mean retrieves per run, replayed in virtual time and counted by the simulator. */
  virtual: number;
  real: number;
  /** Runs whose two counts are equal. */
  sameRuns: number;
  /** Mean detection delay in the simulator (first terminal snapshot minus the job's end, simulator ms). */
  realDelayP50: number;
}

/**
 * Watches `durations.length` background responses scripted to last exactly those durations, all at once, on a
 * simulator running `speed` times faster than real time, with `source`; the virtual replay uses `replay` with the
 * same per-run random streams.
 */
export async function validateOnSimulator(options: {
  label: string;
  source: Source;
  replay: Strategy;
  durations: readonly number[];
  seed: number;
  speed: number;
}): Promise<Agreement> {
  const { label, source, replay, durations, seed, speed } = options;
  const sim = await startSimulator({ clock: { speed }, seed });
  const client = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim', maxRetries: 0 });
  const scheduler = simScheduler(sim.clock);
  const randomFor = (i: number) => mulberry32(deriveSeed(seed, `validation:${label}:${i}`));
  try {
    const results = await Promise.all(
      durations.map(async (d, i) => {
        const queued = Math.min(200, d);
        const created = await client.responses.create({
          model: 'gpt-4o-mini',
          input: 'validation',
          background: true,
          metadata: { sim_scenario: JSON.stringify({ phases: { queued, in_progress: d - queued } }) },
        });
        const last = await lastValueFrom(
          watchRun({
            client,
            job: { kind: 'response', id: created.id },
            source,
            random: randomFor(i),
            scheduler,
            maxWaitMs: 60 * 60_000,
          }),
        );
        const stats = sim.job(created.id);
        return {
          real: stats?.retrieves ?? last.calls,
          virtual: replay.replay(d, randomFor(i), i).calls,
          delay: last.at - (stats?.endedAt ?? last.at),
        };
      }),
    );
    const delays = results.map((r) => r.delay).sort((a, b) => a - b);
    return {
      label,
      runs: durations.length,
      virtual: results.reduce((s, r) => s + r.virtual, 0) / durations.length,
      real: results.reduce((s, r) => s + r.real, 0) / durations.length,
      sameRuns: results.filter((r) => r.real === r.virtual).length,
      realDelayP50: delays[Math.floor(delays.length / 2)] ?? Number.NaN,
    };
  } finally {
    await sim.close();
  }
}
