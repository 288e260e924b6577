import OpenAI from 'openai';
import type { Run } from 'openai/resources/beta/threads/runs/runs';
import { lastValueFrom, NEVER } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type JobRef,
  poll,
  type RunSnapshot,
  type Source,
  type WatchRunOptions,
  waitForRun,
  watchRun,
} from '../../src/index.js';
import { EXPIRY_GRACE_MS } from '../../src/requests/confirm-expiry.js';
import { type Scenario, type SimFaults, type Simulator, startSimulator } from '../../src/sim/index.js';
import { simScheduler } from '../../src/sim/time/scheduler.js';
import { toolCallRegistry } from '../../src/tools/tool-call-registry.js';
import { type DrivenSim, drivenSim } from '../helpers/manual-driver.js';
import { assistantAndThread, scenarioMeta, simClient } from '../helpers/sim.js';

// The wrong outcomes of issue 9, items 1–6: each case is what was reproduced against the simulator, driven through
// the official SDK. A manual clock moves only while no request is in flight, so every fault lands on the request
// it is meant for, whatever the machine's load.

type RunRef = JobRef & { kind: 'assistants.run' };

interface World extends DrivenSim {
  base(): Pick<WatchRunOptions, 'client' | 'scheduler' | 'random'>;
}

let sims: Simulator[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

async function world(faults: SimFaults = {}): Promise<World> {
  const driven = await drivenSim(faults);
  sims.push(driven.sim);
  return {
    ...driven,
    base: () => ({ client: driven.client, scheduler: simScheduler(driven.sim.clock), random: () => 0.5 }),
  };
}

async function createRun(client: OpenAI, scenario: Scenario): Promise<RunRef> {
  const { assistantId, threadId } = await assistantAndThread(client);
  const run = await client.beta.threads.runs.create(threadId, {
    assistant_id: assistantId,
    metadata: scenarioMeta(scenario),
  });
  return { kind: 'assistants.run', threadId, runId: run.id };
}

/** A subscription that records everything it sees. */
function record(options: WatchRunOptions) {
  const snapshots: RunSnapshot[] = [];
  const seen = { snapshots, error: undefined as unknown, done: false, last: () => snapshots.at(-1)! };
  watchRun(options).subscribe({
    next: (s) => snapshots.push(s),
    error: (e: unknown) => {
      seen.error = e;
      seen.done = true;
    },
    complete: () => {
      seen.done = true;
    },
  });
  return seen;
}

/** One retrieve right after the start, then none for an hour: the expiry check is the only read near expiry. */
const oneEarlyPoll = () => poll({ delays: (attempt) => (attempt === 0 ? 1000 : 3_600_000) });
/** Reads every 100 ms, so two watches look at the same moments. */
const everyTick = () => poll({ initialDelayMs: 100, factor: 1, maxDelayMs: 100 });
const byStatus = (sim: Simulator, route: string) => sim.stats().requests.byRoute[route]?.byStatus ?? {};
const quick = { queued: 100, in_progress: 1000 };

describe('1. a transient error at expiry is not an expiry', () => {
  it.each([
    ['a 503', { serverError: { next: 1, status: 503, routes: ['runs.retrieve'] } }],
    ['a dropped connection', { drop: { next: 1, routes: ['runs.retrieve'] } }],
  ] as const)(
    '%s on the expiry check is retried: the run completed at 59 s ends completed',
    async (_, fault) => {
      const w = await world();
      // Completes at 59 s; expires_at is at 60 s; the only poll (at 1 s) reads in_progress.
      const job = await createRun(w.client, {
        phases: { queued: 100, in_progress: 58_900 },
        expiresAfterMs: 60_000,
      });
      const watch = record({ ...w.base(), job, source: oneEarlyPoll() });
      await w.until(() => watch.last()?.state === 'in_progress');
      w.sim.setFaults(fault as SimFaults);
      await w.until(() => watch.done);
      expect(watch.error).toBeUndefined();
      expect(w.sim.job(job.runId)!.status).toBe('completed');
      expect(watch.last().state).toBe('completed');
      // The poll at 1 s, the failed check at 60 s, and its retry.
      expect(w.sim.job(job.runId)!.retrieves).toBe(3);
    },
  );

  it('declares expired without the server only when it stays unreachable long after expires_at, and says so', async () => {
    const w = await world();
    const job = await createRun(w.client, {
      phases: { queued: 100, in_progress: 3_600_000 },
      expiresAfterMs: 60_000,
    });
    const watch = record({ ...w.base(), job, source: oneEarlyPoll() });
    await w.until(() => watch.last()?.state === 'in_progress');
    const start = w.sim.clock.now() - 1000;
    w.sim.setFaults({ serverError: { probability: 1, status: 503, routes: ['runs.retrieve'] } });
    await w.until(() => watch.done, 500);
    expect(watch.error).toBeUndefined();
    const last = watch.last();
    expect(last.state).toBe('expired');
    expect(last.status).toBe('in_progress');
    expect(last.note).toMatch(/could not be reached/);
    expect(last.note).toMatch(/unknown/);
    // It kept asking through the grace period before giving up.
    expect(byStatus(w.sim, 'runs.retrieve')['503']).toBeGreaterThan(5);
    expect(w.sim.clock.now() - start).toBeGreaterThanOrEqual(60_000 + EXPIRY_GRACE_MS - 30_000);
  });

  it('retries the cancel and the read after it: an abort with cancelOnAbort cancels the run despite a 503', async () => {
    const w = await world();
    const job = await createRun(w.client, { phases: { queued: 100, in_progress: 3_600_000 } });
    const controller = new AbortController();
    const watch = record({
      ...w.base(),
      job,
      source: oneEarlyPoll(),
      signal: controller.signal,
      cancelOnAbort: true,
    });
    await w.until(() => watch.last()?.state === 'in_progress');
    w.sim.setFaults({
      serverError: [
        { next: 1, status: 503, routes: ['runs.cancel'] },
        { next: 1, status: 502, routes: ['runs.retrieve'] },
      ],
    });
    controller.abort();
    await w.until(() => watch.done);
    expect(watch.error).toBeUndefined();
    expect(['cancelling', 'cancelled']).toContain(w.sim.job(job.runId)!.status);
    expect(['cancelling', 'cancelled']).toContain(watch.last().status);
    expect(byStatus(w.sim, 'runs.cancel')).toEqual({ 503: 1, 200: 1 });
    expect(byStatus(w.sim, 'runs.retrieve')['502']).toBe(1);
  });
});

describe('2. maxWaitMs past 2^31 − 1 ms', () => {
  it('waits for a job of a few hundred ms with maxWaitMs of 30 days or Number.MAX_SAFE_INTEGER', async () => {
    // Real timers: the bug is Node's, which fires a timer longer than 2^31 − 1 ms at once.
    const sim = await startSimulator({ seed: 3 });
    sims.push(sim);
    const client = simClient(sim);
    const ends = await Promise.all(
      [30 * 24 * 60 * 60_000, Number.MAX_SAFE_INTEGER].map(async (maxWaitMs) => {
        const r = await client.responses.create({
          model: 'gpt-4o-mini',
          input: 'hi',
          background: true,
          metadata: scenarioMeta({ phases: { queued: 50, in_progress: 300 } }),
        });
        return lastValueFrom(watchRun({ client, job: { kind: 'response', id: r.id }, maxWaitMs }));
      }),
    );
    expect(ends.map((s) => s.state)).toEqual(['completed', 'completed']);
  });

  it('gives up exactly at maxWaitMs of 30 days, and not before (fake timers)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const silent: Source = { name: 'poll', watch: () => NEVER };
    const client = new OpenAI({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9/v1' });
    const days = (n: number) => n * 24 * 60 * 60_000;
    const thirty: RunSnapshot[] = [];
    const forever: RunSnapshot[] = [];
    const a = watchRun({
      client,
      job: { kind: 'response', id: 'resp_a' },
      source: silent,
      maxWaitMs: days(30),
    });
    const b = watchRun({
      client,
      job: { kind: 'response', id: 'resp_b' },
      source: silent,
      maxWaitMs: Number.MAX_SAFE_INTEGER,
    });
    a.subscribe((s) => thirty.push(s));
    const sub = b.subscribe((s) => forever.push(s));
    const start = thirty[0]!.at;
    await vi.advanceTimersByTimeAsync(days(30) - 1);
    expect(thirty.at(-1)!.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(thirty.at(-1)).toMatchObject({ state: 'timed_out', done: true, at: start + days(30) });
    await vi.advanceTimersByTimeAsync(days(60));
    expect(forever.at(-1)!.done).toBe(false);
    sub.unsubscribe();
  });
});

describe('3. a finished run lists no work to do', () => {
  it('an expired run that waited for a tool with no handler: no pending calls, a note about the end', async () => {
    const w = await world();
    const job = await createRun(w.client, {
      phases: quick,
      toolCalls: [[{ name: 'delete_account', arguments: {} }]],
      expiresAfterMs: 20_000,
    });
    const watch = record({ ...w.base(), job, tools: { something_else: () => 'x' } });
    await w.until(() => watch.done);
    expect(watch.snapshots.some((s) => s.missingHandlers.includes('delete_account'))).toBe(true);
    const last = watch.last();
    expect(last).toMatchObject({ state: 'expired', done: true, pendingToolCalls: [], missingHandlers: [] });
    expect(last.note).not.toMatch(/submit them yourself/);
    expect(last.note).toMatch(/ended expired.*delete_account/);
  });

  it('an expired run whose handler was still running: no pending calls, and the handler was told to stop', async () => {
    const w = await world();
    const job = await createRun(w.client, {
      phases: quick,
      toolCalls: [[{ name: 'slow', arguments: {} }]],
      expiresAfterMs: 20_000,
    });
    let aborted = false;
    const watch = record({
      ...w.base(),
      job,
      tools: {
        slow: (_args, call) =>
          new Promise((resolve) => {
            call.signal.addEventListener('abort', () => {
              aborted = true;
              resolve('too late');
            });
          }),
      },
    });
    await w.until(() => watch.done);
    const last = watch.last();
    expect(last).toMatchObject({ state: 'expired', pendingToolCalls: [], missingHandlers: [] });
    expect(last.note).toMatch(/slow.*not answered/);
    expect(aborted).toBe(true);
    expect(byStatus(w.sim, 'runs.submitToolOutputs')).toEqual({});
  });
});

describe('4. several watches of one run', () => {
  it('a watchRun and a waitForRun with the same tools run the handler once and submit once', async () => {
    const w = await world();
    const job = await createRun(w.client, {
      phases: quick,
      toolCalls: [[{ name: 'lookup', arguments: { q: 'x' } }]],
    });
    let handled = 0;
    const tools = {
      lookup: async () => {
        handled++;
        return 'found';
      },
    };
    const watch = record({ ...w.base(), job, tools, source: everyTick() });
    let waited: unknown;
    void waitForRun({ ...w.base(), job, tools, source: everyTick() }).then(
      (run) => {
        waited = run;
      },
      (e: unknown) => {
        waited = e;
      },
    );
    await w.until(() => watch.done && waited !== undefined);
    expect(watch.error).toBeUndefined();
    expect(watch.last().state).toBe('completed');
    expect((waited as Run).status).toBe('completed');
    expect(handled).toBe(1);
    expect(byStatus(w.sim, 'runs.submitToolOutputs')).toEqual({ 200: 1 });
    // The registry forgets the run with its last watch.
    expect(toolCallRegistry.size).toBe(0);
  });

  it('a 400 because someone else answered means: read the run and keep watching', async () => {
    const w = await world();
    const job = await createRun(w.client, {
      phases: quick,
      toolCalls: [[{ name: 'lookup', arguments: { q: 'x' } }]],
    });
    let callId: string | undefined;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const watch = record({
      ...w.base(),
      job,
      tools: {
        lookup: async (_args, call) => {
          callId = call.id;
          await gate;
          return 'ours';
        },
      },
    });
    await w.until(() => callId !== undefined);
    // Another process answers first.
    await w.client.beta.threads.runs.submitToolOutputs(job.runId, {
      thread_id: job.threadId,
      tool_outputs: [{ tool_call_id: callId!, output: 'theirs' }],
    });
    release();
    await w.until(() => watch.done);
    expect(watch.error).toBeUndefined();
    expect(watch.last().state).toBe('completed');
    expect(byStatus(w.sim, 'runs.submitToolOutputs')).toEqual({ 200: 1, 400: 1 });
  });
});

describe('5–6. submissions under faults', () => {
  const toolRun = (w: World) =>
    createRun(w.client, { phases: quick, toolCalls: [[{ name: 'lookup', arguments: { q: 'x' } }]] });

  it('5. six 429s in a row on the submission: retried with the hints until it lands', async () => {
    const w = await world({
      rateLimit: { next: 6, retryAfterMs: 2000, routes: ['runs.submitToolOutputs'] },
    });
    const job = await toolRun(w);
    let handled = 0;
    const watch = record({ ...w.base(), job, tools: { lookup: () => `found ${++handled}` } });
    await w.until(() => watch.done);
    expect(watch.error).toBeUndefined();
    expect(watch.last().state).toBe('completed');
    expect(handled).toBe(1);
    expect(byStatus(w.sim, 'runs.submitToolOutputs')).toEqual({ 429: 6, 200: 1 });
  });

  it.each([
    ['a 503 before it was applied', { serverError: { next: 1, status: 503 } }, { 503: 1, 200: 1 }],
    ['a dropped connection before it was applied', { drop: { next: 1 } }, { dropped: 1, 200: 1 }],
    [
      'a 503 after it was applied',
      { serverError: { next: 1, status: 503, afterHandling: true } },
      { 503: 1 },
    ],
    ['a dropped connection after it was applied', { drop: { next: 1, afterHandling: true } }, { dropped: 1 }],
  ] as const)('6. %s: read the run, then submit again only if it still waits', async (_, fault, expected) => {
    const routes = ['runs.submitToolOutputs'];
    const w = await world(
      'serverError' in fault
        ? { serverError: { ...fault.serverError, routes } }
        : { drop: { ...fault.drop, routes } },
    );
    const job = await toolRun(w);
    let handled = 0;
    const watch = record({ ...w.base(), job, tools: { lookup: () => `found ${++handled}` } });
    await w.until(() => watch.done);
    expect(watch.error).toBeUndefined();
    expect(watch.last().state).toBe('completed');
    expect(handled).toBe(1);
    expect(byStatus(w.sim, 'runs.submitToolOutputs')).toEqual(expected);
    // One round of outputs was accepted, whatever the client was told.
    const timeline = w.sim.job(job.runId)!.timeline.map((s) => s.status);
    expect(timeline.filter((s) => s === 'requires_action')).toHaveLength(1);
  });
});
