import type OpenAI from 'openai';
import { filter, firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  adaptivePoll,
  createDurationModel,
  createPollBudget,
  createWebhookHub,
  hybrid,
  type JobRef,
  poll,
  type RunSnapshot,
  replayRun,
  type Source,
  stream,
  type WebhookHub,
  watchRun,
  webhookSource,
} from '../../src/index.js';
import type { Outcome, Scenario, Simulator } from '../../src/sim/index.js';
import { startSimulator } from '../../src/sim/index.js';
import { simScheduler } from '../../src/sim/time/scheduler.js';
import { createEvalRun, createFileBatch, createFineTune } from '../helpers/more-kinds.js';
import { makeWebhookSecret } from '../helpers/sign-webhook.js';
import { simClient } from '../helpers/sim.js';
import { listenHub } from '../helpers/webhook-server.js';

const SPEED = 50;
// Clock ms: each job ends a few seconds after its creation.
const QUICK: Scenario['phases'] = { validating: 300, queued: 300, in_progress: 3000 };

let sim: Simulator;
let running: Simulator | undefined;
let client: OpenAI;
let hub: WebhookHub;
let closeHub: (() => Promise<void>) | undefined;

async function start(): Promise<void> {
  const secret = makeWebhookSecret();
  hub = createWebhookHub({ secret });
  const server = await listenHub(hub);
  closeHub = server.close;
  sim = await startSimulator({
    clock: { speed: SPEED },
    seed: 18,
    scenario: { phases: QUICK },
    webhooks: { url: server.url, secret },
  });
  running = sim;
  client = simClient(sim);
}

afterEach(async () => {
  await running?.close();
  running = undefined;
  await closeHub?.();
  closeHub = undefined;
});

const CREATE = {
  'fine_tuning.job': createFineTune,
  'eval.run': (c: OpenAI, s: Scenario) => createEvalRun(c, s),
  'vector_store.file_batch': (c: OpenAI, s: Scenario) => createFileBatch(c, s),
} as const;
type NewKind = keyof typeof CREATE;

// What each kind's server says at each end, verbatim (`canceled` has one l for eval runs).
const STATUS: Record<NewKind, Record<'completed' | 'failed' | 'cancelled', string>> = {
  'fine_tuning.job': { completed: 'succeeded', failed: 'failed', cancelled: 'cancelled' },
  'eval.run': { completed: 'completed', failed: 'failed', cancelled: 'canceled' },
  'vector_store.file_batch': { completed: 'completed', failed: 'failed', cancelled: 'cancelled' },
};

const fastPoll = () => poll({ initialDelayMs: 400, factor: 1.5, maxDelayMs: 1000, jitter: 'none' });
const SOURCES: Record<string, () => Source> = {
  poll: fastPoll,
  webhook: () => webhookSource(hub, { fetch: 'when-needed', createdJustNow: true }),
  hybrid: () => hybrid(hub, fastPoll(), { fetch: 'when-needed', createdJustNow: true }),
};

const watchAll = (job: JobRef, source: Source, extra: { whenPaused?: 'wait' | 'stop' } = {}) =>
  lastValueFrom(
    watchRun({ client, job, source, scheduler: simScheduler(sim.clock), ...extra }).pipe(toArray()),
  );

const OUTCOMES = ['completed', 'failed', 'cancelled'] as const satisfies readonly Outcome[];
const cases = (Object.keys(CREATE) as NewKind[]).flatMap((kind) =>
  OUTCOMES.flatMap((outcome) =>
    Object.keys(SOURCES)
      // OpenAI sends no webhook for file batches: only polls watch them.
      .filter((source) => kind !== 'vector_store.file_batch' || source !== 'webhook')
      .map((source) => [kind, outcome, source] as const),
  ),
);

describe('fine-tunes, eval runs and file batches against the simulator, through the official SDK', () => {
  it.each(cases)('a %s that ends %s is seen to end so by %s', async (kind, outcome, source) => {
    await start();
    const job = await CREATE[kind](client, { outcome });
    const snapshots = await watchAll(job, SOURCES[source]!());
    const last = snapshots.at(-1)!;
    expect(last).toMatchObject({ done: true, state: outcome, status: STATUS[kind][outcome], kind });
    expect(snapshots.filter((s) => s.done)).toHaveLength(1);
    if (source === 'webhook') {
      expect(last.source).toBe('webhook');
      expect(sim.job(last.id)!.retrieves).toBe(last.calls);
    }
    // Polled eval runs and file batches say how far they got, in the one shape every kind shares.
    if (source !== 'webhook' && kind !== 'fine_tuning.job') {
      const progress = snapshots.filter((s) => s.progress).map((s) => s.progress!);
      expect(progress.length).toBeGreaterThan(0);
      for (const p of progress) expect(p.done).toBeLessThanOrEqual(p.total);
      expect(progress.at(-1)!.total).toBeGreaterThan(0);
      // A webhook's end carries no counts: only a poll's read is sure to have the last ones.
      if (outcome === 'completed' && source === 'poll')
        expect(progress.at(-1)!.done).toBe(progress.at(-1)!.total);
    }
  });

  it('watches counts move: an eval run grading 40 items, one snapshot per change', async () => {
    await start();
    const job = await createEvalRun(
      client,
      { phases: { queued: 200, in_progress: 20_000 }, failedRequests: 5 },
      40,
    );
    const snapshots = await watchAll(job, fastPoll());
    const done = snapshots.filter((s) => s.progress).map((s) => s.progress!.done);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    // Several reads while it grades (a loaded machine reads fewer: the clock runs in real time ×50).
    expect(new Set(done).size).toBeGreaterThanOrEqual(3);
    expect(snapshots.at(-1)!.progress).toEqual({ done: 40, total: 40, passed: 35, failed: 5, errored: 0 });
  });

  it.each(Object.keys(CREATE) as NewKind[])('cancels a %s through its spec (cancelOnAbort)', async (kind) => {
    await start();
    const job = await CREATE[kind](client, { phases: { ...QUICK, in_progress: 60_000 } });
    const abort = new AbortController();
    const run$ = watchRun({
      client,
      job,
      source: fastPoll(),
      scheduler: simScheduler(sim.clock),
      signal: abort.signal,
      cancelOnAbort: true,
    });
    const all = lastValueFrom(run$.pipe(toArray()));
    await firstValueFrom(run$.pipe(filter((s) => s.state === 'in_progress')));
    abort.abort();
    const last = (await all).at(-1)!;
    expect(last).toMatchObject({ state: 'cancelled', status: STATUS[kind].cancelled, done: true });
  });
});

describe('the other sources and helpers follow the spec', () => {
  it.each(Object.keys(CREATE) as NewKind[])(
    'a %s ends under the shared budget, under stream() (which falls back and says so), and under adaptivePoll()',
    async (kind) => {
      await start();
      const scheduler = simScheduler(sim.clock);
      const budget = createPollBudget({ rpm: 600, scheduler });
      const sources: Source[] = [budget.poll(), stream(), adaptivePoll(createDurationModel())];
      const jobs = await Promise.all(sources.map(() => CREATE[kind](client, { outcome: 'completed' })));
      const results = await Promise.all(jobs.map((job, i) => watchAll(job, sources[i]!)));
      for (const snapshots of results)
        expect(snapshots.at(-1)).toMatchObject({ state: 'completed', done: true });
      expect(results[1]!.some((s) => /polling/.test(s.note ?? ''))).toBe(true);
    },
  );

  it('replays a scripted fine-tune, eval run and file batch through the same machine', async () => {
    for (const [kind, statuses, end] of [
      ['fine_tuning.job', ['validating_files', 'running', 'paused', 'running', 'succeeded'], 'completed'],
      ['eval.run', ['queued', 'in_progress', 'canceled'], 'cancelled'],
      ['vector_store.file_batch', ['in_progress', 'failed'], 'failed'],
    ] as const) {
      const snapshots = await lastValueFrom(
        replayRun({ kind, statuses: [...statuses], intervalMs: 1 }).pipe(toArray()),
      );
      expect(snapshots.at(-1)).toMatchObject({ state: end, done: true, kind });
      if (kind === 'fine_tuning.job') expect(snapshots.some((s) => s.paused)).toBe(true);
    }
  });
});

describe('a paused fine-tune', () => {
  async function pausedWhileWatched(whenPaused: 'wait' | 'stop'): Promise<RunSnapshot[]> {
    const job = await createFineTune(client, { phases: { ...QUICK, in_progress: 20_000 } });
    const run$ = watchRun({
      client,
      job,
      source: fastPoll(),
      scheduler: simScheduler(sim.clock),
      whenPaused,
    });
    const all = lastValueFrom(run$.pipe(toArray()));
    const id = (job as { id: string }).id;
    await firstValueFrom(run$.pipe(filter((s) => s.status === 'running')));
    await client.fineTuning.jobs.pause(id);
    if (whenPaused === 'wait') {
      await firstValueFrom(run$.pipe(filter((s) => s.paused === true)));
      await client.fineTuning.jobs.resume(id);
    }
    return all;
  }

  it('is neither ended nor running: the snapshot says paused, and the watch waits for the resume', async () => {
    await start();
    const snapshots = await pausedWhileWatched('wait');
    const paused = snapshots.filter((s) => s.paused);
    expect(paused.length).toBeGreaterThan(0);
    expect(paused.every((s) => s.status === 'paused' && !s.done && s.state === 'in_progress')).toBe(true);
    const last = snapshots.at(-1)!;
    expect(last).toMatchObject({ state: 'completed', status: 'succeeded', done: true });
    expect(last.paused).toBeUndefined();
  });

  it('refuses a whenPaused it does not know, as a ConfigurationError', async () => {
    await start();
    const job = await createFineTune(client, {});
    const run$ = watchRun({ client, job, whenPaused: 'pause' as 'stop' });
    await expect(lastValueFrom(run$)).rejects.toMatchObject({
      code: 'bad_configuration',
      message: expect.stringMatching(/whenPaused must be 'wait' or 'stop'/),
    });
  });

  it("with whenPaused: 'stop', the watch ends on the paused snapshot and says why", async () => {
    await start();
    const snapshots = await pausedWhileWatched('stop');
    const last = snapshots.at(-1)!;
    expect(last).toMatchObject({ paused: true, done: false, status: 'paused' });
    expect(last.note).toMatch(/paused/);
  });
});
