import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { JobRef } from '../../../src/index.js';
import { idleStart, idleTransition } from '../../../src/queue/step/idle-step.js';
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
  // The initial machine and the pure transitions' scope are made once each, by an actor: made here, so that no
  // watch's step counts them.
  const warm = idleStart(newWatchData({ kind: 'response', id: 'resp_warm' }, 0, 60_000), []);
  if (!warm) throw new Error('no initial machine for a pure first step');
  idleTransition(warm.snapshot, { type: 'tick', at: 0 });
});
afterAll(async () => {
  await sim.close();
});

const options = (actorOnly: boolean, tools: StepOptions['tools'] = {}): StepOptions => ({
  client,
  tools,
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

/** Steps both watches until they end; the results of each step, and which steps ran on an actor. */
async function lockstep(job: JobRef, maxWaitMs: number, tools: StepOptions['tools'] = {}) {
  let pure = newWatchData(job, sim.clock.now(), maxWaitMs);
  let actor = newWatchData(job, sim.clock.now(), maxWaitMs);
  // A step on an actor restores its snapshot, or makes the initial one (the first step); a pure step does neither.
  const restores = vi.spyOn(stepMachine, 'restoreSnapshot');
  const creates = vi.spyOn(stepMachine, 'getInitialSnapshot');
  const results: StepResult['next'][] = [];
  const published: StepResult['snapshot'][] = [];
  // The steps that ran on an actor.
  const actorSteps: number[] = [];
  try {
    for (let step = 0; step < 200; step++) {
      pure = restarted(pure);
      actor = restarted(actor);
      const a = await runStep(actor, options(true, tools));
      restores.mockClear();
      creates.mockClear();
      const p = await runStep(pure, options(false, tools));
      if (restores.mock.calls.length > 0 || creates.mock.calls.length > 0) actorSteps.push(step);
      // The same stored machine, the same published snapshot, the same next step; only `calls` may differ by the
      // reads of the other watch, none here since each read is its own.
      expect(storedForm(pure).machine).toEqual(storedForm(actor).machine);
      expect(p).toEqual(a);
      results.push(p.next);
      published.push(p.snapshot);
      if (p.next === 'done' || p.next === 'fault') return { results, actorSteps, last: p, published };
      if (p.next !== 'wait') throw new Error(`unexpected ${p.next}`);
      await sim.clock.advance(p.delayMs);
    }
  } finally {
    restores.mockRestore();
    creates.mockRestore();
  }
  throw new Error('did not end in 200 steps');
}

/** A background response that goes through `scenario` on the simulator. */
const backgroundResponse = (scenario: Scenario) =>
  client.responses.create({
    model: 'gpt-4o-mini',
    input: 'hi',
    background: true,
    metadata: scenarioMeta(scenario),
  });

describe('an idle step on the pure transition', () => {
  it('stores and answers as the actor does, queued to in progress to completed', async () => {
    const r = await backgroundResponse({
      phases: { queued: 5_000, in_progress: 120_000 },
      outcome: 'completed',
    });
    const { actorSteps, last, results, published } = await lockstep(
      { kind: 'response', id: r.id },
      60 * 60_000,
    );
    expect(last.snapshot.state).toBe('completed');
    // The first step (no stored machine yet) and the change from queued to in_progress rested too: only the
    // step that saw the end, which enters a final state, ran on an actor.
    expect(published[0]?.state).toBe('queued');
    expect(published.some((s) => s.state === 'in_progress')).toBe(true);
    expect(actorSteps).toEqual([results.length - 1]);
  });

  it('records each new object of a job whose counts move within one status, as the actor does', async () => {
    const job = await createEvalRun(client, { phases: { queued: 1_000, in_progress: 60_000 } }, 12);
    const { last, actorSteps, published, results } = await lockstep(job, 60 * 60_000);
    expect(last.snapshot.state).toBe('completed');
    expect(actorSteps).toEqual([results.length - 1]);
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
    const { last, actorSteps, results } = await lockstep(job, 60 * 60_000);
    expect(last.snapshot.state).toBe('expired');
    // The tick past expires_at starts the confirming read: an actor's, at the last step.
    expect(actorSteps).toEqual([results.length - 1]);
  });

  it('times out at the deadline as the actor does', async () => {
    const r = await backgroundResponse({ phases: { queued: 1_000, in_progress: 3_600_000 } });
    const { last, actorSteps, results } = await lockstep({ kind: 'response', id: r.id }, 90_000);
    expect(last.snapshot.state).toBe('timed_out');
    expect(actorSteps).toEqual([results.length - 1]);
  });

  it('stores the names of the tools with handlers from the first step, as the actor does', async () => {
    const r = await backgroundResponse({
      phases: { queued: 1_000, in_progress: 20_000 },
      outcome: 'completed',
    });
    const tools = { get_weather: () => 'sunny', get_time: () => 'noon' };
    const { last, actorSteps, results } = await lockstep({ kind: 'response', id: r.id }, 60 * 60_000, tools);
    expect(last.snapshot.state).toBe('completed');
    // The initial machine made for no tools is not the one for these: made once more, by an actor, at step 0.
    expect(actorSteps).toEqual([0, results.length - 1]);
  });
});
