import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { JobRef } from '../../../src/index.js';
import { runStep, type StepOptions, type StepResult } from '../../../src/queue/step/step.js';
import { stepMachine } from '../../../src/queue/step/step-machine.js';
import { newWatchData, parseWatchData, type WatchData } from '../../../src/queue/watch-data.js';
import { storedForm } from '../../../src/queue/worker/slim-job.js';
import type { ManualClock, Scenario, Simulator } from '../../../src/sim/index.js';
import { resolveBackoff } from '../../../src/sources/backoff.js';
import { createEvalRun } from '../../helpers/more-kinds.js';
import { createBatch, manualSim, scenarioMeta } from '../../helpers/sim.js';

// A step of a watch at rest applies its tick and its read with the machine's pure transition, not a restored actor
// (src/queue/step/idle-step.ts). The proof that this changes nothing: two watches of the same job stepped in
// lockstep, one with every step on an actor (actorOnly), store the same machine and ask for the same next step at
// every step, through state changes, the expiry and the deadline, each step on data that went through Redis's form.

let sim: Simulator<ManualClock>;
let client: OpenAI;
beforeAll(async () => {
  ({ sim, client } = await manualSim({ seed: 21 }));
});
afterAll(async () => {
  await sim.close();
});

const options = (actorOnly: boolean): StepOptions => ({
  client,
  tools: {},
  onToolError: 'report',
  now: () => sim.clock.now(),
  random: () => 0.5,
  retry: resolveBackoff({ initialDelayMs: 1000, factor: 2, maxDelayMs: 30_000, jitter: 'none' }),
  save: async () => {},
  signal: new AbortController().signal,
  actorOnly,
});

const restarted = (d: WatchData): WatchData =>
  parseWatchData(JSON.parse(JSON.stringify(storedForm(d))), 'restart');

/** Steps both watches until they end; the results of each step, and how many steps took the pure path. */
async function lockstep(job: JobRef, maxWaitMs: number) {
  let pure = newWatchData(job, sim.clock.now(), maxWaitMs);
  let actor = newWatchData(job, sim.clock.now(), maxWaitMs);
  // An actor restored from a stored machine restores its snapshot; a step on the pure path restores none.
  const restores = vi.spyOn(stepMachine, 'restoreSnapshot');
  const results: StepResult['next'][] = [];
  const published: StepResult['snapshot'][] = [];
  let pureSteps = 0;
  try {
    for (let step = 0; step < 200; step++) {
      pure = restarted(pure);
      actor = restarted(actor);
      const stored = pure.machine !== undefined;
      const a = await runStep(actor, options(true));
      restores.mockClear();
      const p = await runStep(pure, options(false));
      if (stored && restores.mock.calls.length === 0) pureSteps++;
      // The same stored machine, the same published snapshot, the same next step; only `calls` may differ by the
      // reads of the other watch, none here since each read is its own.
      expect(storedForm(pure).machine).toEqual(storedForm(actor).machine);
      expect(p).toEqual(a);
      results.push(p.next);
      published.push(p.snapshot);
      if (p.next === 'done' || p.next === 'fault') return { results, pureSteps, last: p, published };
      if (p.next !== 'wait') throw new Error(`unexpected ${p.next}`);
      await sim.clock.advance(p.delayMs);
    }
  } finally {
    restores.mockRestore();
  }
  throw new Error('did not end in 200 steps');
}

describe('an idle step on the pure transition', () => {
  it('stores and answers as the actor does, queued to in progress to completed', async () => {
    const r = await client.responses.create({
      model: 'gpt-4o-mini',
      input: 'hi',
      background: true,
      metadata: scenarioMeta({ phases: { queued: 5_000, in_progress: 120_000 }, outcome: 'completed' }),
    });
    const { pureSteps, last, results } = await lockstep({ kind: 'response', id: r.id }, 60 * 60_000);
    expect(last.snapshot.state).toBe('completed');
    // Every step but the first (no machine yet), the change to in_progress and the end rested.
    expect(pureSteps).toBeGreaterThan(results.length / 2);
  });

  it('records each new object of a job whose counts move within one status, as the actor does', async () => {
    const job = await createEvalRun(client, { phases: { queued: 1_000, in_progress: 60_000 } }, 12);
    const { last, pureSteps, published } = await lockstep(job, 60 * 60_000);
    expect(last.snapshot.state).toBe('completed');
    expect(pureSteps).toBeGreaterThan(0);
    // The counts moved while in progress: steps that stayed in_progress published more than one count.
    expect(
      new Set(published.filter((s) => s.state === 'in_progress').map((s) => s.progress?.done)).size,
    ).toBeGreaterThan(2);
  });

  it('leaves the expiry check and a failure to the actor, with the same outcome', async () => {
    const job = await createBatch(client, {
      phases: { validating: 1_000, in_progress: 600_000 },
      outcome: 'expired',
      expiresAfterMs: 90_000,
    } as Scenario);
    const { last, pureSteps } = await lockstep(job, 60 * 60_000);
    expect(last.snapshot.state).toBe('expired');
    expect(pureSteps).toBeGreaterThan(0);
  });

  it('times out at the deadline as the actor does', async () => {
    const r = await client.responses.create({
      model: 'gpt-4o-mini',
      input: 'hi',
      background: true,
      metadata: scenarioMeta({ phases: { queued: 1_000, in_progress: 3_600_000 } }),
    });
    const { last, pureSteps } = await lockstep({ kind: 'response', id: r.id }, 90_000);
    expect(last.snapshot.state).toBe('timed_out');
    expect(pureSteps).toBeGreaterThan(0);
  });
});
