import type OpenAI from 'openai';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, type RunSnapshot, stream, watchRun } from '../../src/index.js';
import type { ManualClock, Simulator } from '../../src/sim/index.js';
import { simScheduler } from '../../src/sim/time/scheduler.js';
import { manualSim, scenarioMeta } from '../helpers/sim.js';

// watchRun's `seed`: a watch that starts from a read of the caller's own, through the official SDK against the
// simulator, on the simulator's manual clock (the watch's scheduler too), moved in small steps.

let sim: Simulator<ManualClock>;
let client: OpenAI;
beforeAll(async () => {
  ({ sim, client } = await manualSim());
});
afterAll(async () => {
  await sim?.close();
});

const deltas = ['Autumn ', 'moon, ', 'a quiet ', 'pond'];

async function streamed(phases: { queued: number; in_progress: number }): Promise<string> {
  const events = await client.responses.create({
    model: 'gpt-4o-mini',
    input: 'hi',
    background: true,
    stream: true,
    metadata: scenarioMeta({ phases, stream: { deltas, everyMs: 100 } }),
  });
  for await (const event of events) if (event.type === 'response.created') return event.response.id;
  throw new Error('no response.created');
}

/** Moves the clock `ms` in 25 ms steps, letting each step's HTTP traffic through. */
async function advance(ms: number) {
  for (let t = 0; t < ms; t += 25) {
    await sim.clock.advance(25);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
const RANK = ['queued', 'in_progress', 'completed'];

describe('watchRun({ seed })', () => {
  it('starts from the seed and never goes back from it, though the stream replays from queued', async () => {
    const id = await streamed({ queued: 150, in_progress: 200 });
    await advance(400);
    const first = await client.responses.retrieve(id);
    expect(first.status).toBe('in_progress');
    // As a server that reports the text written so far would: the first two pieces.
    const seen = { ...first, output_text: 'Autumn moon, ' };
    const snapshots: RunSnapshot[] = [];
    let done = false;
    watchRun({
      client,
      job: { kind: 'response', id },
      source: stream(),
      seed: { job: seen },
      scheduler: simScheduler(sim.clock),
    }).subscribe({ next: (s) => snapshots.push(s), complete: () => (done = true) });
    for (let t = 0; t < 5_000 && !done; t += 100) await advance(100);
    expect(done).toBe(true);
    expect(snapshots[0]).toMatchObject({
      state: 'in_progress',
      status: 'in_progress',
      textLength: 13,
    });
    const ranks = snapshots.map((s) => RANK.indexOf(s.state));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    const lengths = snapshots.map((s) => s.textLength ?? 0);
    expect(lengths).toEqual([...lengths].sort((a, b) => a - b));
    expect(snapshots.at(-1)).toMatchObject({ state: 'completed', done: true, text: deltas.join('') });
  });

  it('ends at once, with no request, when the seed is terminal', async () => {
    const id = await streamed({ queued: 0, in_progress: 50 });
    await advance(600);
    const ended = await client.responses.retrieve(id);
    expect(ended.status).toBe('completed');
    const before = sim.stats().requests.total;
    const snapshots = await lastValueFrom(
      watchRun({ client, job: { kind: 'response', id }, source: stream(), seed: { job: ended } }).pipe(
        toArray(),
      ),
    );
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]).toMatchObject({ state: 'completed', done: true, calls: 0, text: deltas.join('') });
    expect(sim.stats().requests.total).toBe(before);
  });

  it("refuses a seed that is not the job's own object, with a ConfigurationError", async () => {
    const other = await client.responses.retrieve(await streamed({ queued: 0, in_progress: 50 }));
    const watch = watchRun({ client, job: { kind: 'response', id: 'resp_else' }, seed: { job: other } });
    await expect(lastValueFrom(watch)).rejects.toBeInstanceOf(ConfigurationError);
  });
});
