import type OpenAI from 'openai';
import { NEVER } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunSnapshot, watchRun } from '../../src/index.js';
import { adapters } from '../../src/kinds/index.js';
import type { JobRef, SourceContext, StatusEvent } from '../../src/model/types.js';
import { createRequestMeter } from '../../src/requests/request-meter.js';
import type { ManualClock, Scenario, Simulator, StreamFault } from '../../src/sim/index.js';
import { simScheduler } from '../../src/sim/time/scheduler.js';
import { hybridStream } from '../../src/sources/hybrid.js';
import { poll } from '../../src/sources/poll.js';
import { type StreamOptions, stream } from '../../src/sources/stream.js';
import { CONNECTIONS_THROUGH_ERROR_EVENT } from '../helpers/sdk.js';
import { manualSim, scenarioMeta } from '../helpers/sim.js';
import { seededRandom } from '../helpers/source-context.js';

// stream() against the simulator through the official SDK, in virtual time: the simulator's manual clock is the
// watch's scheduler, and the driver moves it in small steps, letting each step's HTTP traffic through.

let sim: Simulator<ManualClock>;
let client: OpenAI;

afterEach(async () => {
  await sim?.close();
});

const deltas = Array.from({ length: 12 }, (_, i) => `word${i} `);
const TEXT = deltas.join('');
const paced: Scenario = { phases: { queued: 100, in_progress: 100 }, stream: { deltas, everyMs: 150 } };

async function start(faults?: StreamFault, scenario?: Scenario) {
  // Faults on resumed streams only: the test's own create connection is left alone.
  const stream = faults ? { ...faults, routes: ['responses.stream'] } : undefined;
  ({ sim, client } = await manualSim({
    ...(stream ? { faults: { stream } } : {}),
    ...(scenario ? { scenario } : {}),
  }));
}

/** Creates a streamed background response, reads its id from the first event and leaves its stream. */
async function createStreamed(scenario: Scenario | null = paced): Promise<JobRef> {
  const events = await client.responses.create({
    model: 'gpt-4o-mini',
    input: 'Write a haiku',
    background: true,
    stream: true,
    ...(scenario ? { metadata: scenarioMeta(scenario) } : {}),
  });
  for await (const event of events) {
    if (event.type === 'response.created') return { kind: 'response', id: event.response.id };
  }
  throw new Error('no response.created');
}

const wallTick = () => new Promise((resolve) => setTimeout(resolve, 2));

/** Moves the clock in `step` ms steps until `done()` holds (or `maxMs` of clock time passed). */
async function drive(done: () => boolean, { step = 25, maxMs = 120_000 } = {}) {
  for (let t = 0; t < maxMs && !done(); t += step) {
    await sim.clock.advance(step);
    await wallTick();
  }
  expect(done()).toBe(true);
}

/** Watches `job` with `watchRun` on the simulator clock; records every snapshot. */
function watch(job: JobRef, options: StreamOptions = {}) {
  const snapshots: RunSnapshot[] = [];
  let error: unknown;
  let done = false;
  const subscription = watchRun({
    client,
    job,
    source: stream(options),
    scheduler: simScheduler(sim.clock),
    maxWaitMs: 10 * 60_000,
  }).subscribe({
    next: (s) => snapshots.push(s),
    error: (e) => {
      error = e;
      done = true;
    },
    complete: () => {
      done = true;
    },
  });
  return {
    snapshots,
    ended: () => done,
    error: () => error,
    last: () => snapshots.at(-1)!,
    stop: () => subscription.unsubscribe(),
  };
}

/** The source alone, on the simulator clock. */
function source(job: JobRef, options: StreamOptions = {}) {
  const meter = createRequestMeter();
  const stop = new AbortController();
  const ctx: SourceContext = {
    client,
    job,
    adapter: adapters[job.kind],
    meter,
    scheduler: simScheduler(sim.clock),
    random: seededRandom(3),
    deadline: Number.POSITIVE_INFINITY,
    nudge$: NEVER,
    signal: stop.signal,
  };
  const events: StatusEvent[] = [];
  let done = false;
  let error: unknown;
  const subscription = stream(options)
    .watch(ctx)
    .subscribe({
      next: (e) => events.push(e),
      error: (e) => {
        error = e;
        done = true;
      },
      complete: () => {
        done = true;
      },
    });
  return { events, meter, ended: () => done, error: () => error, stop: () => subscription.unsubscribe() };
}

/** Every text the watch showed grows from the one before: no delta lost, none applied twice, none out of order. */
function expectGrowingText(texts: readonly string[]) {
  for (let i = 1; i < texts.length; i++) {
    expect(texts[i]!.startsWith(texts[i - 1]!)).toBe(true);
    expect(texts[i]!.length).toBeGreaterThan(texts[i - 1]!.length);
  }
}

describe('stream()', () => {
  it('watches a streamed response to completed over one connection, with its text as it comes', async () => {
    await start();
    const w = watch(await createStreamed());
    await drive(w.ended);
    const last = w.last();
    expect(last).toMatchObject({ state: 'completed', source: 'stream', done: true, text: TEXT });
    expect(last.textLength).toBe(TEXT.length);
    expect(last.calls).toBe(1);
    expect(sim.stats().requests.byRoute['responses.stream']?.total).toBe(1);
    expect(sim.job(last.id)?.retrieves).toBe(0);
    const texts = w.snapshots.map((s) => s.text ?? '').filter((t, i, all) => t !== all[i - 1]);
    expectGrowingText(texts);
    // Deltas come every 150 ms, slower than the 100 ms bound: every one of them is shown.
    expect(texts.length).toBeGreaterThanOrEqual(deltas.length);
  });

  it.each([
    // A failed response's stream has an `error` event before `response.failed`: see CONNECTIONS_THROUGH_ERROR_EVENT.
    ['failed', { outcome: 'failed' }, deltas.slice(0, 6).join(''), CONNECTIONS_THROUGH_ERROR_EVENT],
    ['incomplete', { outcome: 'incomplete' }, deltas.slice(0, 6).join(''), 1],
  ] as const)('ends %s with the text written before the end', async (state, outcome, text, calls) => {
    await start();
    const w = watch(await createStreamed({ ...paced, ...outcome }));
    await drive(w.ended);
    expect(w.last()).toMatchObject({ state, status: state, source: 'stream', done: true, text, calls });
  });

  it('ends cancelled: the stream ends with no final event, and one retrieve says why', async () => {
    await start();
    const job = await createStreamed();
    const w = watch(job);
    await drive(() => (w.last().textLength ?? 0) > 0);
    if (job.kind === 'response') await client.responses.cancel(job.id);
    await drive(w.ended);
    expect(w.last()).toMatchObject({ state: 'cancelled', source: 'poll', done: true, calls: 2 });
    expect(w.last().note).toMatch(/ended without a final event/);
  });

  it('resumes after three drops mid-stream: every delta once, in order, and the whole text at the end', async () => {
    await start({ next: 3, dropAfter: 5 });
    const s = source(await createStreamed());
    await drive(s.ended);
    expect(s.error()).toBeUndefined();
    const texts = s.events.map((e) => (e.job as { output_text: string }).output_text);
    expectGrowingText(texts.filter((t, i) => t !== texts[i - 1]));
    expect(texts.at(-1)).toBe(TEXT);
    expect(s.events.at(-1)).toMatchObject({ state: 'completed', source: 'stream' });
    // Four connections: the first three dropped after 5 events each; no retrieve was needed.
    expect(s.meter.count).toBe(4);
    expect(sim.stats().requests.byRoute['responses.stream']?.total).toBe(4);
    expect(sim.stats().dropped).toBe(0);
  });

  it('falls back to polling, and says so, when the server refuses to stream the response', async () => {
    await start();
    const created = await client.responses.create({
      model: 'gpt-4o-mini',
      input: 'hi',
      background: true,
      metadata: scenarioMeta({ phases: { queued: 100, in_progress: 1000 }, reply: 'Polled' }),
    });
    const w = watch({ kind: 'response', id: created.id }, { fallback: poll({ jitter: 'none' }) });
    await drive(w.ended);
    expect(w.error()).toBeUndefined();
    expect(w.last()).toMatchObject({ state: 'completed', source: 'poll', text: 'Polled' });
    expect(w.last().note).toMatch(/refused to stream response resp_\w+ .*400.*: watched by polling instead/);
    expect(sim.stats().requests.byRoute['responses.stream']?.byStatus).toEqual({ 400: 1 });
  });

  it('catches a stalled stream with the watchdog: a retrieve, then a new connection after the last event', async () => {
    await start({ next: 1, stallAfter: 7, stallMs: 600_000 });
    // A delta a second: the response is still writing when the watchdog looks, 5 s into the stall.
    const s = source(await createStreamed({ ...paced, stream: { deltas, everyMs: 1000 } }), {
      watchdogMs: 5000,
    });
    await drive(s.ended, { step: 100 });
    const checked = s.events.find((e) => e.source === 'poll');
    expect(checked).toMatchObject({
      status: 'in_progress',
      note: expect.stringMatching(/silent for 5000 ms/),
    });
    expect(s.events.at(-1)).toMatchObject({ state: 'completed', source: 'stream' });
    expect((s.events.at(-1)!.job as { output_text: string }).output_text).toBe(TEXT);
    // The stalled connection, the watchdog's retrieve, and the connection that resumed.
    expect(s.meter.count).toBe(3);
  });

  it('gives a batch to the fallback poll, and says so on every snapshot', async () => {
    await start();
    const file = await client.files.create({ file: new File(['{}'], 'in.jsonl'), purpose: 'batch' });
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/responses',
      completion_window: '24h',
      metadata: scenarioMeta({ phases: { validating: 100, in_progress: 500, finalizing: 100 } }),
    });
    const w = watch({ kind: 'batch', id: batch.id });
    await drive(w.ended, { step: 100 });
    expect(w.last()).toMatchObject({ state: 'completed', source: 'poll', done: true });
    expect(w.last().text).toBeUndefined();
    for (const s of w.snapshots.slice(1))
      expect(s.note).toMatch(/cannot stream .*: watched by polling instead/);
    expect(sim.stats().requests.byRoute['responses.stream']).toBeUndefined();
  });

  it('shows fast text at most once per textIntervalMs, and the whole text at the end', async () => {
    const many = Array.from({ length: 200 }, (_, i) => `${i} `);
    await start(undefined, { phases: { queued: 0, in_progress: 0 }, stream: { deltas: many, everyMs: 5 } });
    const s = source(await createStreamed(null));
    await drive(s.ended, { step: 10 });
    const textOf = (e: StatusEvent) => (e.job as { output_text: string }).output_text;
    // Events that brought text while the status stayed in_progress (lifecycle events carry text too, but are few).
    const textOnly = s.events.filter(
      (e, i) => i > 0 && e.status === 'in_progress' && textOf(e) !== textOf(s.events[i - 1]!),
    );
    const gaps = textOnly.slice(1).map((e, i) => e.at - textOnly[i]!.at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(100);
    // 1 s of deltas: a dozen text events, not 200.
    expect(textOnly.length).toBeLessThanOrEqual(13);
    expect((s.events.at(-1)!.job as { output_text: string }).output_text).toBe(many.join(''));
  });

  it('hybridStream(): streams first, and falls back to the slow poll when the response cannot stream', async () => {
    await start();
    const created = await client.responses.create({
      model: 'gpt-4o-mini',
      input: 'hi',
      background: true,
      metadata: scenarioMeta({ phases: { queued: 100, in_progress: 1000 } }),
    });
    const job: JobRef = { kind: 'response', id: created.id };
    const startedAt = sim.clock.now();
    const snapshots: RunSnapshot[] = [];
    const sub = watchRun({
      client,
      job,
      source: hybridStream(),
      scheduler: simScheduler(sim.clock),
    }).subscribe((x) => snapshots.push(x));
    await drive(() => snapshots.at(-1)?.done === true, { step: 1000 });
    sub.unsubscribe();
    const last = snapshots.at(-1)!;
    expect(last).toMatchObject({ state: 'completed', source: 'poll', calls: 2 });
    expect(last.note).toMatch(/refused to stream/);
    // The hybrid's slow poll: its first look at a response comes 90 s in.
    expect(last.at - startedAt).toBeGreaterThanOrEqual(90_000);
  });

  it('refuses bad options at once', () => {
    expect(() => stream({ watchdogMs: 0 })).toThrow(/watchdogMs must be a number of ms > 0/);
    expect(() => stream({ maxReconnects: -1 })).toThrow(/maxReconnects/);
    expect(() => stream({ textIntervalMs: Number.NaN })).toThrow(/textIntervalMs/);
  });
});
