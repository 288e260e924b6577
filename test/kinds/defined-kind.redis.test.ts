// A kind runstate does not ship, defined outside src/ with the public defineKind (message-batch-kind.ts), watched
// against a real HTTP server of its own by poll, the shared poll budget and the durable queue (real Redis).
import OpenAI from 'openai';
import { lastValueFrom, share, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  allSettled,
  createPollBudget,
  NotFoundError,
  poll,
  progress,
  type RunSnapshot,
  waitForRun,
  watchRun,
  watchRuns,
} from '../../src/index.js';
import { createRunQueue, createRunWorker } from '../../src/queue/index.js';
import { REDIS, uniqueQueueName } from '../queue/fixture.js';
import { api, messageBatch } from './message-batch-kind.js';
import {
  type MessageBatch,
  type MessageBatchServer,
  startMessageBatchServer,
} from './message-batch-server.js';

let server: MessageBatchServer;
beforeAll(async () => {
  server = await startMessageBatchServer();
  api.baseURL = server.baseURL;
});
afterAll(async () => {
  api.baseURL = '';
  await server?.close();
});

// One schedule for every kind, short: the server moves one step per retrieve, so no clock is involved.
const quick = () => poll({ initialDelayMs: 5, factor: 1, maxDelayMs: 5 });

describe('a kind defined with defineKind, served like the kinds runstate ships', () => {
  it('is watched by poll to its end, with its own statuses, progress and request count, typed by its ref', async () => {
    const created = await server.create(3, { rateLimitFirst: true });
    const run$ = watchRun({ job: messageBatch.ref({ id: created.id }), source: quick() });
    expectTypeOf<RunSnapshot<MessageBatch>['job']>().toEqualTypeOf<MessageBatch | undefined>();
    const snapshots = await lastValueFrom(run$.pipe(toArray()));
    expectTypeOf(snapshots[0]!.kind).toEqualTypeOf<'anthropic.message_batch'>();
    expectTypeOf(snapshots[0]!.job).toEqualTypeOf<MessageBatch | undefined>();
    const last = snapshots.at(-1)!;
    expect(last).toMatchObject({
      kind: 'anthropic.message_batch',
      id: created.id,
      state: 'completed',
      status: 'ended',
      done: true,
      progress: { completed: 3, failed: 0, total: 3 },
    });
    // Each count that moved is a snapshot of its own, and so is the end, in order.
    const seenProgress = snapshots
      .filter((s) => s.progress)
      .map((s) => [s.status, (s.progress as { completed: number }).completed]);
    expect(seenProgress).toEqual([
      ['in_progress', 1],
      ['in_progress', 2],
      ['in_progress', 3],
      ['ended', 3],
    ]);
    // The 429 was retried, and counted: every request the watch counted reached the server.
    const seen = server.requests(created.id);
    expect(seen.limited).toBe(1);
    expect(last.calls).toBe(seen.retrieves);
  });

  it('fails fast with a typed error on a 404, and cancels on abort with its own cancel', async () => {
    await expect(
      waitForRun({ job: messageBatch.ref({ id: 'msgbatch_missing' }), source: quick() }),
    ).rejects.toThrow(NotFoundError);
    const created = await server.create(1000);
    const abort = new AbortController();
    const snapshots: { state: string; status: string | undefined }[] = [];
    const done = new Promise<void>((resolve, reject) =>
      watchRun({
        job: messageBatch.ref({ id: created.id }),
        source: quick(),
        signal: abort.signal,
        cancelOnAbort: true,
      }).subscribe({
        next: (s) => {
          snapshots.push(s);
          if (s.state === 'in_progress') abort.abort();
        },
        error: reject,
        complete: resolve,
      }),
    );
    await done;
    expect(server.requests(created.id).cancels).toBe(1);
    expect(snapshots.at(-1)).toMatchObject({ state: 'cancelling', status: 'canceling' });
  });

  it('shares a poll budget with other watches: every batch ends, within the budget', async () => {
    const budget = createPollBudget({ rpm: 60_000, burst: 4 });
    const batches = await Promise.all([2, 3, 4].map((n) => server.create(n)));
    const source = budget.poll({ initialDelayMs: 5, factor: 1, maxDelayMs: 5 });
    const ends = await Promise.all(
      batches.map((b) => waitForRun({ job: messageBatch.ref({ id: b.id }), source })),
    );
    expectTypeOf(ends[0]!).toEqualTypeOf<MessageBatch>();
    expect(ends.map((b) => [b.processing_status, b.request_counts.succeeded])).toEqual([
      ['ended', 2],
      ['ended', 3],
      ['ended', 4],
    ]);
    // Each retrieve the server answered went through the budget.
    const retrieves = batches.reduce((n, b) => n + server.requests(b.id).retrieves, 0);
    expect(budget.stats().requests).toBe(retrieves);
  });

  it('is composed with watchRuns, allSettled and progress, typed by its ref without a cast', async () => {
    const batches = await Promise.all([1, 2].map((n) => server.create(n)));
    const refs = batches.map((b) => messageBatch.ref({ id: b.id }));
    // No client: the kind makes its own requests. The snapshots carry the kind's name and its job type.
    // One watch per batch, shared by both operators.
    const updates$ = watchRuns(refs, { source: quick() }).pipe(share());
    const [settled, counts] = await Promise.all([
      lastValueFrom(updates$.pipe(allSettled())),
      lastValueFrom(updates$.pipe(progress())),
    ]);
    expect(
      settled.map((u) =>
        u.type === 'snapshot'
          ? [u.key, u.snapshot.state, u.snapshot.kind, u.snapshot.job?.request_counts.succeeded]
          : [u.key, u.error],
      ),
    ).toEqual([
      [batches[0]!.id, 'completed', 'anthropic.message_batch', 1],
      [batches[1]!.id, 'completed', 'anthropic.message_batch', 2],
    ]);
    // progress() sums the kind's request counts as it does a batch's (the shape every kind's progress shares).
    expect(counts).toMatchObject({ total: 2, done: 2, byState: { completed: 2 } });
    expect(counts.requests).toEqual({ done: 3, completed: 3, failed: 0, total: 3 });
  });

  it('is watched durably by the queue, whose worker is given the kind', async () => {
    const name = uniqueQueueName('defined-kind');
    const runs = await createRunQueue({ connection: REDIS, name });
    // The worker's OpenAI client serves the kinds runstate ships; this kind makes its own requests.
    const client = new OpenAI({ apiKey: 'unused', baseURL: `${server.baseURL}/openai` });
    const worker = await createRunWorker({
      connection: REDIS,
      name,
      client,
      kinds: [messageBatch],
      poll: { initialDelayMs: 5, factor: 1, maxDelayMs: 5 },
    });
    try {
      const created = await server.create(3);
      const ref = messageBatch.ref({ id: created.id });
      await runs.watch(ref);
      const last = await runs.result(ref);
      // Typed by the ref, as watchRun's snapshots are.
      expectTypeOf(last.job).toEqualTypeOf<MessageBatch | undefined>();
      expect(last).toMatchObject({
        kind: 'anthropic.message_batch',
        state: 'completed',
        status: 'ended',
        done: true,
        progress: { completed: 3, failed: 0, total: 3 },
      });
      // The terminal snapshot carries the full object, though an idle watch stores only the slim fields.
      expect(last.job).toMatchObject({ id: created.id, created_at: created.created_at });
      expect(last.calls).toBe(server.requests(created.id).retrieves);
    } finally {
      await worker.close();
      await runs.obliterate();
      await runs.close();
    }
  });
});
