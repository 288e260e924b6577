import { afterEach, describe, expect, it } from 'vitest';
import type { JobRef, RunSnapshot } from '../../src/model/types.js';
import type { Simulator } from '../../src/sim/index.js';
import { simScheduler } from '../../src/sim/time/scheduler.js';
import { watchRun } from '../../src/watch/watch-run.js';
import { createResponse } from '../helpers/agent-session.js';
import { type DrivenSim, drivenSim } from '../helpers/manual-driver.js';
import { scenarioMeta } from '../helpers/sim.js';

// A discounted 8-hour response watched end to end through the SDK, on the simulator's manual clock.

const HOUR = 60 * 60_000;
let sims: Simulator[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

async function createEightHour(
  d: DrivenSim,
  inProgressMs: number,
): Promise<{ id: string; createdAt: number }> {
  const created = await createResponse(d.client, {
    model: 'gpt-4o-mini',
    input: 'Summarise the archive',
    background: true,
    background_options: { completion_window: '8h' },
    metadata: scenarioMeta({ phases: { queued: 1000, in_progress: inProgressMs } }),
  });
  return { id: created.id, createdAt: created.created_at * 1000 };
}

function watchToEnd(d: DrivenSim, job: JobRef, maxWaitMs?: number) {
  const seen: { last?: RunSnapshot; done: boolean; error?: unknown } = { done: false };
  watchRun({
    client: d.client,
    job,
    scheduler: simScheduler(d.sim.clock),
    random: () => 0.5,
    ...(maxWaitMs ? { maxWaitMs } : {}),
  }).subscribe({
    next: (s) => {
      seen.last = s;
    },
    error: (e) => {
      seen.error = e;
      seen.done = true;
    },
    complete: () => {
      seen.done = true;
    },
  });
  return seen;
}

describe('watchRun of a response with completionWindow 8h', () => {
  // About 620 retrieves over HTTP: a few seconds alone, more on a loaded machine.
  it('sees it end at its deadline with the retrieves of a batch, not of a 10-second answer', {
    timeout: 60_000,
  }, async () => {
    const d = await drivenSim();
    sims.push(d.sim);
    const windowed = await createEightHour(d, 9 * HOUR);
    const plain = await createEightHour(d, 9 * HOUR);
    const a = watchToEnd(d, { kind: 'response', id: windowed.id, completionWindow: '8h' });
    // The same response watched without its window must be given the wait a window implies.
    const b = watchToEnd(d, { kind: 'response', id: plain.id }, 9 * HOUR);
    await d.jump(() => a.done && b.done, 10 * HOUR);
    expect(a.error).toBeUndefined();
    expect(a.last).toMatchObject({ state: 'failed', status: 'failed', source: 'poll' });
    // The expiry guard reads at the deadline itself: the outcome is known at once, not at the next poll.
    expect(a.last!.at).toBe(windowed.createdAt + 8 * HOUR);
    expect((a.last!.job as { error?: { message?: string } }).error?.message).toMatch(/8h completion window/);
    expect(b.last).toMatchObject({ state: 'failed' });
    // Figures (deterministic: random 0.5): docs/polling.md, "Discounted background windows".
    expect(a.last!.calls).toBeLessThan(80);
    expect(b.last!.calls).toBeGreaterThan(5 * a.last!.calls);
  });

  it('completes as any response when it finishes inside the window', async () => {
    const d = await drivenSim();
    sims.push(d.sim);
    const { id } = await createEightHour(d, 3 * HOUR);
    const seen = watchToEnd(d, { kind: 'response', id, completionWindow: '8h' });
    await d.jump(() => seen.done, 4 * HOUR);
    expect(seen.last).toMatchObject({ state: 'completed', status: 'completed' });
  });
});
