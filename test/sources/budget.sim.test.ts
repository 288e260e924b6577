import type OpenAI from 'openai';
import { lastValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createPollBudget, RetriesExhaustedError, type RunSnapshot, watchRun } from '../../src/index.js';
import type { PollBudget } from '../../src/polling/index.js';
import { type SimFaults, type Simulator, simScheduler, startSimulator } from '../../src/sim/index.js';
import { simClient } from '../helpers/sim.js';

// The simulator and every watch share one clock running 25× real time, so the budget's token bucket and the
// simulator's rpm bucket refill on the same clock. The watches' maxWaitMs is far away: on a loaded machine the
// clock runs on while the CPU is busy elsewhere, and that must not turn into timeouts.
const SPEED = 25;

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** Starts the simulator, creates `n` background responses, then sets `faults` (so creates never meet them). */
async function start(n: number, faults: SimFaults, createFaults: SimFaults = {}) {
  sim = await startSimulator({
    clock: { speed: SPEED },
    seed: 21,
    scenario: { phases: { queued: [200, 2000], in_progress: [2000, 30_000] } },
    faults: createFaults,
  });
  const client = simClient(sim);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await client.responses.create({ model: 'gpt-4o-mini', input: `job ${i}`, background: true });
    ids.push(r.id);
  }
  sim.setFaults(faults);
  return { sim, client, ids };
}

async function watchAll(s: Simulator, client: OpenAI, ids: readonly string[], budget: PollBudget) {
  const scheduler = simScheduler(s.clock);
  return Promise.all(
    ids.map((id) =>
      lastValueFrom(
        watchRun({
          client,
          job: { kind: 'response', id },
          source: budget.poll(),
          scheduler,
          maxWaitMs: 60 * 60_000,
        }),
      ),
    ),
  );
}

function expectAllEnded(s: Simulator, lasts: readonly RunSnapshot[]) {
  for (const last of lasts) {
    expect(last.done).toBe(true);
    expect(last.state).toBe('completed');
    // Detected after the job ended, and every request the watch made is one the simulator saw.
    const job = s.job(last.id)!;
    expect(last.at).toBeGreaterThanOrEqual(job.endedAt!);
    expect(last.calls).toBe(job.retrieves);
  }
}

describe('createPollBudget against the simulator, through the real SDK', () => {
  it('watches 120 jobs at 300 rpm to the end with no 429, spending at most the budget', async () => {
    const { sim: s, client, ids } = await start(120, { rpm: 300 });
    const scheduler = simScheduler(s.clock);
    const budget = createPollBudget({ rpm: 300, scheduler });
    // The largest backlog seen: watches due and waiting for a token.
    let backlog = 0;
    const sampler = setInterval(() => {
      backlog = Math.max(backlog, budget.stats().due);
    }, 5);
    const startedAt = s.clock.now();
    const lasts = await watchAll(s, client, ids, budget).finally(() => clearInterval(sampler));
    const elapsed = s.clock.now() - startedAt;

    expectAllEnded(s, lasts);
    const stats = s.stats();
    expect(stats.rateLimited).toBe(0);
    const retrieves = stats.requests.byRoute['responses.retrieve']!.total;
    expect(retrieves).toBe(lasts.reduce((sum, l) => sum + l.calls, 0));
    expect(budget.stats()).toMatchObject({ requests: retrieves, rateLimited: 0, watches: 0, inFlight: 0 });
    // The budget was short (120 default pollers want ~40 requests a second), and held the line: burst + rate × T.
    expect(backlog).toBeGreaterThan(10);
    expect(retrieves).toBeLessThanOrEqual(5 + (300 * elapsed) / 60_000 + 1);
  });

  it('set above the server limit, learns the limit from the x-ratelimit headers and still serves no 429', async () => {
    const { sim: s, client, ids } = await start(100, { rpm: 120 });
    const budget = createPollBudget({ rpm: 600, scheduler: simScheduler(s.clock) });
    const lasts = await watchAll(s, client, ids, budget);
    expectAllEnded(s, lasts);
    expect(s.stats().rateLimited).toBe(0);
    expect(budget.stats().rpm).toBeLessThanOrEqual(120);
  });

  it('backs everyone off on injected 429s, and every run still ends', async () => {
    const {
      sim: s,
      client,
      ids,
    } = await start(100, {
      rpm: 600,
      rateLimit: { next: 3, routes: ['responses.retrieve'], retryAfterMs: 2000 },
    });
    const budget = createPollBudget({ rpm: 600, scheduler: simScheduler(s.clock) });
    const lasts = await watchAll(s, client, ids, budget);
    expectAllEnded(s, lasts);
    // The three injected, and none from the rpm limit.
    expect(s.stats().rateLimited).toBe(3);
    expect(budget.stats().rateLimited).toBe(3);
  });

  it('counts toward maxRetries a 429 of an exhausted quota, but not one that paces the key', async () => {
    const watchOne = async (code: 'rate_limit_exceeded' | 'insufficient_quota') => {
      const {
        sim: s,
        client,
        ids,
      } = await start(1, {
        rateLimit: { next: 6, routes: ['responses.retrieve'], retryAfterMs: 100, code },
      });
      const budget = createPollBudget({ rpm: 600, scheduler: simScheduler(s.clock) });
      const source = budget.poll({ maxRetries: 2, retryBackoff: { initialDelayMs: 100, maxDelayMs: 200 } });
      const snapshots = await lastValueFrom(
        watchRun({
          client,
          job: { kind: 'response', id: ids[0]! },
          source,
          scheduler: simScheduler(s.clock),
        }).pipe(toArray()),
      ).catch((error: unknown) => error);
      const served = s.stats().rateLimited;
      await s.close();
      return { snapshots, served };
    };
    // Six pacing 429s in a row, twice maxRetries + 1: the watch waits them out and sees the job end.
    const paced = await watchOne('rate_limit_exceeded');
    expect(paced.served).toBe(6);
    expect((paced.snapshots as RunSnapshot[]).at(-1)).toMatchObject({ state: 'completed', done: true });
    // Out of credit: three in a row end the watch saying the outcome is unknown.
    const quota = await watchOne('insufficient_quota');
    expect(quota.served).toBe(3);
    expect(quota.snapshots).toBeInstanceOf(RetriesExhaustedError);
    expect(quota.snapshots).toMatchObject({ code: 'retries_exhausted', attempts: 3 });
  });
});
