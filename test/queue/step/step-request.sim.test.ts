import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError } from '../../../src/errors/aborted-error.js';
import type { JobRef } from '../../../src/index.js';
import { runStep, type StepOptions } from '../../../src/queue/step/step.js';
import { newWatchData, type WatchData } from '../../../src/queue/watch-data.js';
import type { ManualClock, Simulator } from '../../../src/sim/index.js';
import { DEFAULT_POLL_BACKOFF, resolveBackoff } from '../../../src/sources/backoff.js';
import { createAgentSession } from '../../helpers/agent-session.js';
import { createFineTune } from '../../helpers/more-kinds.js';
import { manualSim } from '../../helpers/sim.js';

// A step's first request is counted by BullMQ when it starts the step; each one beyond it must take a slot of the
// fleet's limit before it is sent (issue 18). The slot here records what the server had seen when it was asked.

let sim: Simulator<ManualClock>;
let client: OpenAI;
beforeAll(async () => {
  ({ sim, client } = await manualSim({ seed: 7 }));
});
afterAll(async () => {
  await sim.close();
});

function stepOptions(takeRequestSlot: StepOptions['takeRequestSlot']): StepOptions {
  return {
    client,
    tools: { get_weather: () => 'clear' },
    onToolError: 'report',
    now: () => sim.clock.now(),
    random: () => 0.5,
    poll: DEFAULT_POLL_BACKOFF,
    retry: resolveBackoff({ initialDelayMs: 1000, factor: 2, maxDelayMs: 30_000, jitter: 'none' }),
    save: async () => {},
    signal: new AbortController().signal,
    ...(takeRequestSlot ? { takeRequestSlot } : {}),
  };
}

/** A fine-tune 10 s into its training, and a fresh watch of it that reads its events beside each retrieve. */
async function trainingFineTune(): Promise<{ id: string; data: WatchData }> {
  const { id } = await createFineTune(client, {
    phases: { validating: 100, queued: 100, in_progress: 60_000 },
    requests: 20,
  });
  await sim.clock.advance(10_000);
  return {
    id,
    data: newWatchData({ kind: 'fine_tuning.job', id, progressFrom: 'events' }, sim.clock.now(), 600_000),
  };
}

/** The requests the server saw for `id` beyond its create. */
const served = (id: string) => sim.job(id)!.requests - 1;

describe('a step’s requests beyond its first wait for a slot before they are sent', () => {
  it('a training fine-tune’s events read: the slot is taken after the retrieve, before listEvents', async () => {
    const { id, data } = await trainingFineTune();
    const seenAtSlot: number[] = [];
    const result = await runStep(
      data,
      stepOptions(async () => {
        seenAtSlot.push(served(id));
      }),
    );
    expect(result.next).toBe('wait');
    // One slot, taken when the server had the retrieve only; then the events read went out and was counted.
    expect(seenAtSlot).toEqual([1]);
    expect(served(id)).toBe(2);
    expect(data.calls).toBe(2);
  });

  it('a slot refused (the step abandoned) sends nothing more: the read fails as a dropped connection would', async () => {
    const { id, data } = await trainingFineTune();
    const result = await runStep(
      data,
      stepOptions(async () => {
        throw new AbortedError('the step was abandoned');
      }),
    );
    expect(result.next).toBe('wait');
    expect(served(id)).toBe(1);
    expect(data.calls).toBe(1);
    expect(data.failures).toBe(1);
  });

  it('an agent session: every request beyond a step’s first (the answer, the idle turn) took its slot first', async () => {
    const session = await createAgentSession(client, {
      environment: { type: 'none' },
      input: 'Weather?',
      metadata: {
        sim_scenario: JSON.stringify({
          phases: { in_progress: 1500 },
          toolCalls: [[{ name: 'get_weather' }]],
          outcome: 'completed',
        }),
      },
    });
    const job: JobRef = { kind: 'agent.session', sessionId: session.id };
    let data: WatchData = newWatchData(job, sim.clock.now(), 600_000);
    let slots = 0;
    let firsts = 0;
    // At each slot, what the server had seen against what the watch had counted: equal when nothing went out
    // ahead of its slot. (Kept, not asserted inside: a throwing slot would fail the step's read instead.)
    const atSlot: { served: number; counted: number }[] = [];
    let steps = 0;
    for (; steps < 100; steps++) {
      const step = structuredClone(data);
      const result = await runStep(
        step,
        stepOptions(async () => {
          slots++;
          atSlot.push({ served: served(session.id), counted: step.calls });
        }),
      );
      if (step.calls > data.calls) firsts++;
      data = step;
      if (result.next === 'done') break;
      if (result.next === 'fault') throw result.error;
      await sim.clock.advance(Math.max(1, result.delayMs));
    }
    expect(steps).toBeLessThan(100);
    expect(sim.stats().requests.byRoute['sessions.events.create']?.total).toBeGreaterThan(0);
    // Each step's first request came with the step; every other one took a slot.
    expect(data.calls).toBe(served(session.id));
    expect(slots).toBeGreaterThan(0);
    expect(atSlot.filter((a) => a.served !== a.counted)).toEqual([]);
    expect(slots).toBe(data.calls - firsts);
  });
});
