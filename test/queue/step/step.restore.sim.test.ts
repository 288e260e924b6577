import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRef, RunSnapshot } from '../../../src/index.js';
import { runStep, type StepOptions } from '../../../src/queue/step/step.js';
import { restoreMachine } from '../../../src/queue/stored-machine.js';
import { newWatchData, type WatchData } from '../../../src/queue/watch-data.js';
import type { ManualClock, Scenario, Simulator } from '../../../src/sim/index.js';
import { DEFAULT_POLL_BACKOFF, resolveBackoff } from '../../../src/sources/backoff.js';
import { assistantAndThread, manualSim, scenarioMeta } from '../../helpers/sim.js';

// Every step of a queued watch restores it from data. Here a worker dies at each step in turn, after its
// request reached the server but before it persisted: the next worker takes over from the data as last
// saved. Each interrupted watch must end exactly as the uninterrupted one, with no double submission.

let sim: Simulator<ManualClock>;
let client: OpenAI;
beforeAll(async () => {
  ({ sim, client } = await manualSim({ seed: 5 }));
});
afterAll(async () => {
  await sim.close();
});

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const handled: string[] = [];

function stepOptions(save: (d: WatchData) => void): StepOptions {
  return {
    client,
    tools: {
      get_weather: (_args, call) => {
        handled.push(call.id);
        return 'sunny';
      },
    },
    onToolError: 'report',
    now: () => sim.clock.now(),
    random: () => 0.5,
    poll: DEFAULT_POLL_BACKOFF,
    retry: resolveBackoff({ initialDelayMs: 1000, factor: 2, maxDelayMs: 30_000, jitter: 'none' }),
    save: async (d) => save(d),
    signal: new AbortController().signal,
  };
}

interface Drive {
  last: RunSnapshot;
  steps: number;
  states: string[];
}

/** The data as a worker stored it before the slim form: the machine's snapshot whole, as XState persists it. */
const wholeForm = (d: WatchData): WatchData =>
  d.machine ? { ...d, machine: restoreMachine(d.machine, d) } : d;

/**
 * Steps a watch to its end; with `crashAt`, that step's final persist is lost and the next starts from the last
 * save; with `whole`, every step starts from data stored in the earlier, whole form.
 */
async function drive(job: JobRef, maxWaitMs: number, crashAt?: number, whole = false): Promise<Drive> {
  let persisted = newWatchData(job, sim.clock.now(), maxWaitMs);
  const states: string[] = [];
  for (let step = 0; step < 500; step++) {
    let saved = clone(persisted);
    const data = clone(whole ? wholeForm(persisted) : persisted);
    const result = await runStep(
      data,
      stepOptions((d) => (saved = clone(d))),
    );
    states.push(JSON.stringify((data.machine as { value: unknown } | undefined)?.value));
    if (result.next === 'done') return { last: result.snapshot, steps: step + 1, states };
    if (result.next === 'fault') throw result.error;
    persisted = step === crashAt ? saved : data;
    await sim.clock.advance(Math.max(1, result.delayMs));
  }
  throw new Error('watch did not end in 500 steps');
}

async function createRun(scenario: Scenario): Promise<JobRef> {
  const { assistantId, threadId } = await assistantAndThread(client);
  const run = await client.beta.threads.runs.create(threadId, {
    assistant_id: assistantId,
    metadata: scenarioMeta(scenario),
  });
  return { kind: 'assistants.run', threadId, runId: run.id };
}

const submissions = () => sim.stats().requests.byRoute['runs.submitToolOutputs']?.total ?? 0;

const ending = (s: RunSnapshot) => ({
  state: s.state,
  status: s.status,
  done: s.done,
  note: s.note,
  pending: s.pendingToolCalls.length,
});

const scenarios: Record<string, { scenario: Scenario; maxWaitMs: number }> = {
  'two rounds of tool calls, then completed': {
    scenario: {
      phases: { queued: 100, in_progress: 600 },
      toolCalls: [
        [{ name: 'get_weather', arguments: { city: 'Paris' } }],
        [{ name: 'get_weather' }, { name: 'get_weather' }],
      ],
      submitLagMs: 200,
      outcome: 'completed',
    },
    maxWaitMs: 600_000,
  },
  'expires while in progress (confirmed by a read)': {
    scenario: { phases: { queued: 300, in_progress: 120_000 }, expiresAfterMs: 8_000, outcome: 'completed' },
    maxWaitMs: 600_000,
  },
  'outlives the watch (timed_out)': {
    scenario: { phases: { queued: 300, in_progress: 600_000 }, outcome: 'completed' },
    maxWaitMs: 8_000,
  },
};

describe('queued watch: restored at every step, it ends like the uninterrupted one', () => {
  for (const [title, { scenario, maxWaitMs }] of Object.entries(scenarios)) {
    it(title, async () => {
      const reference = await drive(await createRun(scenario), maxWaitMs);
      const rounds = scenario.toolCalls?.length ?? 0;
      expect(reference.last.done).toBe(true);
      for (let crashAt = 0; crashAt < reference.steps - 1; crashAt++) {
        const job = await createRun(scenario);
        const before = handled.length;
        const submitsBefore = submissions();
        const run = await drive(job, maxWaitMs, crashAt);
        expect({ crashAt, ...ending(run.last) }).toEqual({ crashAt, ...ending(reference.last) });
        // One submission per round: a takeover after a sent submission reads before it writes again.
        expect({ crashAt, submits: submissions() - submitsBefore }).toEqual({ crashAt, submits: rounds });
        // Recorded outputs are never recomputed: one handler run per call.
        expect(handled.length - before).toBe(rounds === 0 ? 0 : 3);
      }
      // The restores did pass through the states the scenario visits.
      if (rounds > 0) expect(reference.states.join()).toContain('submitted');
      // Data a worker stored before the slim form restores too: restarted from it at every step, the watch ends
      // the same, crash or not.
      for (const crashAt of [undefined, Math.floor(reference.steps / 2)]) {
        const before = handled.length;
        const run = await drive(await createRun(scenario), maxWaitMs, crashAt, true);
        expect({ crashAt, ...ending(run.last) }).toEqual({ crashAt, ...ending(reference.last) });
        expect(handled.length - before).toBe(rounds === 0 ? 0 : 3);
      }
    });
  }
});
