import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRef } from '../../../src/index.js';
import { defineKind } from '../../../src/kinds/public.js';
import { runStep, type StepOptions } from '../../../src/queue/step/step.js';
import { newWatchData, parseWatchData, type WatchData } from '../../../src/queue/watch-data.js';
import { storedForm } from '../../../src/queue/worker/slim-job.js';
import type { ManualClock, Scenario, Simulator } from '../../../src/sim/index.js';
import { DEFAULT_POLL_BACKOFF, resolveBackoff } from '../../../src/sources/backoff.js';
import { createFineTune } from '../../helpers/more-kinds.js';
import { createBatch, manualSim } from '../../helpers/sim.js';
import type { MessageBatch } from '../../kinds/message-batch-server.js';
import { startMessageBatchServer } from '../../kinds/message-batch-server.js';

// A queued watch's next delay is its kind's own poll schedule, as poll() resolves it in process: for a fine-tune
// or a batch, a floor, then 15% of the job's age (from its created_at), capped at 30 minutes. Every step here runs
// on data that went through the stored form and back, as a new worker reads it after a restart.

let sim: Simulator<ManualClock>;
let client: OpenAI;
let batches: Awaited<ReturnType<typeof startMessageBatchServer>>;
beforeAll(async () => {
  ({ sim, client } = await manualSim({ seed: 18 }));
  batches = await startMessageBatchServer();
});
afterAll(async () => {
  await sim.close();
  await batches.close();
});

// A kind of the user's own, with a jittered backoff: its server (message-batch-server.ts) moves one step per read.
const jittered = defineKind({
  kind: 'test.jittered_batch',
  ids: ['id'],
  retrieve: (ref, { signal }) =>
    fetch(`${batches.baseURL}/v1/messages/batches/${ref.id}`, {
      headers: { 'x-api-key': 'test-key' },
      signal,
    }),
  status: (batch: MessageBatch) => batch.processing_status,
  states: { in_progress: 'in_progress', canceling: 'cancelling', ended: 'completed' },
  poll: { initialDelayMs: 4000, factor: 2, maxDelayMs: 60_000, jitter: 'full' },
});

function stepOptions(poll?: StepOptions['poll'], random = () => 0.5): StepOptions {
  return {
    client,
    tools: {},
    onToolError: 'report',
    now: () => sim.clock.now(),
    random,
    ...(poll ? { poll } : {}),
    retry: resolveBackoff({ initialDelayMs: 1000, factor: 2, maxDelayMs: 30_000, jitter: 'none' }),
    save: async () => {},
    signal: new AbortController().signal,
  };
}

/** The data as a worker that just started reads it from Redis: the stored (slim) form, through JSON. */
const restarted = (d: WatchData): WatchData =>
  parseWatchData(JSON.parse(JSON.stringify(storedForm(d))), 'restart');

interface Wait {
  at: number;
  delayMs: number;
}

/** Steps the watch to its end, each step on restarted data; the delay each step asked for, and when. */
async function drive(
  job: JobRef,
  poll?: StepOptions['poll'],
  random?: () => number,
): Promise<{ waits: Wait[]; state: string }> {
  let data = newWatchData(job, sim.clock.now(), 48 * 60 * 60_000);
  const waits: Wait[] = [];
  for (let step = 0; step < 400; step++) {
    data = restarted(data);
    const at = sim.clock.now();
    const result = await runStep(data, stepOptions(poll, random));
    if (result.next === 'done') return { waits, state: result.snapshot.state };
    if (result.next !== 'wait') throw new Error(`unexpected step result ${result.next}`);
    waits.push({ at, delayMs: result.delayMs });
    await sim.clock.advance(result.delayMs);
  }
  throw new Error('watch did not end in 400 steps');
}

const HOUR = 60 * 60_000;

const cases = [
  {
    kind: 'fine_tuning.job',
    floorMs: 30_000,
    create: (s: Scenario) => createFineTune(client, s),
    createdAt: async (id: string) => (await client.fineTuning.jobs.retrieve(id)).created_at,
  },
  {
    kind: 'batch',
    floorMs: 10_000,
    create: (s: Scenario) => createBatch(client, s),
    createdAt: async (id: string) => (await client.batches.retrieve(id)).created_at,
  },
] as const;

describe('a queued watch with no poll option follows its kind’s schedule, across restarts', () => {
  it.each(cases)('$kind: the floor, then 15% of the job’s age up to 30 minutes', async (c) => {
    const job = await c.create({
      phases: { validating: 60_000, in_progress: 6 * HOUR },
      outcome: 'completed',
    });
    const createdMs = (await c.createdAt(job.id)) * 1000;
    // Watched from an hour after its creation: the age comes from created_at, not from the watch's start.
    await sim.clock.advance(HOUR);
    const { waits, state } = await drive(job);
    expect(state).toBe('completed');
    // created_at has whole seconds: the schedule takes the middle of that second.
    const expected = ({ at }: Wait) =>
      Math.max(c.floorMs, Math.min(30 * 60_000, Math.ceil(0.15 * (at - (createdMs + 500)))));
    expect(waits.map((w) => w.delayMs)).toEqual(waits.map(expected));
    // From 9 minutes (15% of an hour) the delays grow to the 30-minute cap: a handful of reads for 6 hours.
    expect(waits[0]!.delayMs).toBeGreaterThan(0.15 * HOUR - 1000);
    expect(waits.at(-1)!.delayMs).toBe(30 * 60_000);
    expect(waits.length).toBeLessThan(20);
  });

  it.each(cases)('$kind: a job watched from its creation ages from the watch’s start', async (c) => {
    const job = await c.create({ phases: { validating: 60_000, in_progress: HOUR }, outcome: 'completed' });
    const start = sim.clock.now();
    const { waits } = await drive(job);
    const expected = ({ at }: Wait) =>
      Math.max(c.floorMs, Math.min(30 * 60_000, Math.ceil(0.15 * (at - start))));
    expect(waits.map((w) => w.delayMs)).toEqual(waits.map(expected));
    expect(waits.length).toBeGreaterThan(10);
  });

  it('a kind defined with defineKind: its own backoff, jittered with the worker’s random', async () => {
    const created = await batches.create(6);
    const { waits, state } = await drive(
      jittered.ref({ id: created.id }) as unknown as JobRef,
      undefined,
      () => 0.25,
    );
    expect(state).toBe('completed');
    // Full jitter: the floor (100 ms) plus a quarter of the rest of 4 s ×2^attempt, capped at 60 s.
    const expected = waits.map((_, attempt) => {
      const base = Math.min(60_000, 4000 * 2 ** attempt);
      return Math.ceil(100 + 0.25 * (base - 100));
    });
    expect(waits.map((w) => w.delayMs)).toEqual(expected);
    expect(waits.length).toBeGreaterThan(5);
  });

  it('a worker given poll uses that backoff for every kind, as before', async () => {
    const job = await createFineTune(client, { phases: { validating: 1000, in_progress: 60_000 } });
    const { waits } = await drive(job, DEFAULT_POLL_BACKOFF);
    // 500 ms ×1.5, capped at 5 s: the state changes (validating → running) start it over.
    expect(Math.max(...waits.map((w) => w.delayMs))).toBe(5000);
    expect(waits.length).toBeGreaterThan(12);
  });
});
