import { lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, NotFoundError } from '../../src/errors/index.js';
import { createWebhookHub, hybrid, poll, watchRun } from '../../src/index.js';
import { defineKind } from '../../src/kinds/public.js';
import { findKindSpec } from '../../src/kinds/registry.js';
import { createRunWorker } from '../../src/queue/index.js';

type Export = { id: string; state: 'running' | 'done' | 'broken'; created_at: number };

// Each test's kind has a name of its own: defined kinds live for the process, and files share it.
let serial = 0;
const name = (label: string) => `test.${label}.${process.pid}.${serial++}`;

describe('defineKind', () => {
  it('refuses a definition it cannot serve, with a typed error naming what is wrong', () => {
    const base = {
      ids: ['id'] as ['id'],
      retrieve: async () => ({ id: 'x', state: 'done' }),
      status: (job: { state: string }) => job.state,
      states: { done: 'completed' } as const,
    };
    expect(() => defineKind({ ...base, kind: 'batch' })).toThrow(/a kind runstate ships/);
    expect(() => defineKind({ ...base, kind: '' })).toThrow(ConfigurationError);
    expect(() => defineKind({ ...base, kind: name('ids'), ids: [] as unknown as ['id'] })).toThrow(/ids/);
    expect(() => defineKind({ ...base, kind: name('ids'), ids: ['kind'] })).toThrow(/ids/);
    expect(() =>
      defineKind({ ...base, kind: name('state'), states: { done: 'finished' as 'completed' } }),
    ).toThrow(/status 'done' maps onto "finished"/);
    expect(() => defineKind({ ...base, kind: name('wait'), maxWaitMs: -1 })).toThrow(/maxWaitMs/);
    // A webhook announcing a status `states` does not map would leave a webhook-fed watch waiting on nothing.
    expect(() =>
      defineKind({ ...base, kind: name('hooks'), webhooks: { 'export.finished': 'finished' } }),
    ).toThrow(/webhook 'export.finished' announces "finished", which `states` does not map/);
    expect(() =>
      defineKind({ ...base, kind: name('hooks'), webhookJobId: 'data.export_id' as never }),
    ).toThrow(/`webhookJobId` must be a function/);
    // A name is defined once: a second definition would change how watches already running read their jobs.
    const kind = name('twice');
    const definition = { ...base, kind };
    const first = defineKind(definition);
    expect(defineKind(definition)).toBe(first);
    expect(() => defineKind({ ...base, kind })).toThrow(/already defined/);
    expect(findKindSpec(kind)).toBe(first);
  });

  it('makes refs that carry its ids, and refuses ids that are missing', () => {
    const kind = defineKind({
      kind: name('refs'),
      ids: ['projectId', 'exportId'],
      retrieve: async () => ({ state: 'done' }),
      status: (job: { state: string }) => job.state,
      states: { done: 'completed' },
    });
    const ref = kind.ref({ projectId: 'p1', exportId: 'e1' });
    expect(ref).toEqual({ kind: kind.kind, projectId: 'p1', exportId: 'e1' });
    // The last id is the job's own: the key of snapshots, compose and the queue.
    expect(kind.jobId(ref)).toBe('e1');
    expect(kind.describe(ref)).toBe(`${kind.kind} p1/e1`);
    expect(kind.refFromJobId('e2', 'p2')).toEqual({ kind: kind.kind, projectId: 'p2', exportId: 'e2' });
    expect(() => kind.ref({ projectId: 'p1', exportId: '' })).toThrow(ConfigurationError);
    expect(kind.mapStatus('done')).toBe('completed');
    expect(kind.mapStatus('unheard-of')).toBeUndefined();
    // Without webhooks, no event type is the kind's: a hub counts such events as ignored.
    expect(kind.webhookStatus('export.done')).toBeUndefined();
  });

  it("reads its webhooks: the table first, then webhookStatus, and the job's id where webhookJobId says", () => {
    const kind = defineKind({
      kind: name('hooks'),
      ids: ['id'],
      retrieve: async () => ({ state: 'done' }),
      status: (job: { state: string }) => job.state,
      states: { running: 'in_progress', done: 'completed', broken: 'failed' },
      webhooks: { 'export.done': 'done' },
      webhookStatus: (type) => (type.startsWith('export.broken.') ? 'broken' : undefined),
      webhookJobId: (event) => (event.data.export as { id?: string } | undefined)?.id,
    });
    expect(kind.webhookStatus('export.done')).toBe('done');
    expect(kind.webhookStatus('export.broken.disk')).toBe('broken');
    expect(kind.webhookStatus('toString')).toBeUndefined();
    expect(kind.webhookJobId?.({ type: 'export.done', data: { export: { id: 'e1' } } })).toBe('e1');
    // The job a webhook announced is runstate's stub: its status is read from it, and it has no expiry.
    const stub = kind.announced(kind.ref({ id: 'e1' }), 'done');
    expect(kind.status(stub as never)).toBe('done');
    expect(kind.expiresAt(stub as never)).toBeNull();
  });

  it('is refused by a worker given something defineKind did not return', async () => {
    await expect(
      createRunWorker({
        connection: { host: '127.0.0.1', port: 6379 },
        client: { baseURL: 'http://127.0.0.1:1' } as never,
        kinds: [{ kind: 'made.up' } as never],
      }),
    ).rejects.toThrow(/each of kinds must be what defineKind returned/);
  });
});

describe('a defined kind under poll()', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 100_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("polls on the kind's own schedule when poll() is given none, and needs no OpenAI client", async () => {
    const seen: number[] = [];
    let reads = 0;
    const kind = defineKind({
      kind: name('schedule'),
      ids: ['id'],
      retrieve: async (ref): Promise<Export> => {
        seen.push(Date.now());
        reads++;
        return { id: ref.id, state: reads < 4 ? 'running' : 'done', created_at: 100_000 };
      },
      status: (job) => job.state,
      states: { running: 'in_progress', done: 'completed', broken: 'failed' },
      poll: { initialDelayMs: 7_000, factor: 2, maxDelayMs: 60_000, jitter: 'none' },
    });
    const done = lastValueFrom(watchRun({ job: kind.ref({ id: 'x1' }), source: poll() }).pipe(toArray()));
    await vi.advanceTimersByTimeAsync(120_000);
    const snapshots = await done;
    expect(snapshots.at(-1)).toMatchObject({ state: 'completed', status: 'done', calls: 4 });
    // 7 s, then ×2 up to 60 s: the kind's numbers, not the responses' 500 ms ×1.5.
    expect(seen.map((t) => t - 100_000_000)).toEqual([7_000, 21_000, 49_000, 105_000]);
  });

  it("polls as hybrid()'s safety net on its hybridPoll schedule, else on its poll schedule", async () => {
    const seen = new Map<string, number[]>();
    let reads = 0;
    const define = (label: string, extra: object) =>
      defineKind({
        kind: name(label),
        ids: ['id'],
        retrieve: async (ref): Promise<Export> => {
          seen.set(ref.id, [...(seen.get(ref.id) ?? []), Date.now() - 100_000_000]);
          reads++;
          return {
            id: ref.id,
            state: seen.get(ref.id)!.length < 3 ? 'running' : 'done',
            created_at: 100_000,
          };
        },
        status: (job) => job.state,
        states: { running: 'in_progress', done: 'completed' },
        webhooks: { 'export.done': 'done' },
        poll: { initialDelayMs: 7_000, factor: 1, maxDelayMs: 7_000, jitter: 'none' },
        ...extra,
      });
    const netted = define('net', {
      hybridPoll: { initialDelayMs: 60_000, factor: 2, maxDelayMs: 600_000, jitter: 'none' },
    });
    const plain = define('no-net', {});
    // No webhook ever comes: only the safety net reads the jobs (createdJustNow skips the read at start).
    const hub = createWebhookHub({ secret: 'whsec_dGVzdA==' });
    const source = hybrid(hub, undefined, { createdJustNow: true });
    const done = Promise.all([
      lastValueFrom(watchRun({ job: netted.ref({ id: 'n1' }), source })),
      lastValueFrom(watchRun({ job: plain.ref({ id: 'p1' }), source })),
      lastValueFrom(watchRun({ job: netted.ref({ id: 'n2' }), source: poll() })),
    ]);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect((await done).map((s) => s.state)).toEqual(['completed', 'completed', 'completed']);
    expect(seen.get('n1')).toEqual([60_000, 180_000, 420_000]);
    expect(seen.get('p1')).toEqual([7_000, 14_000, 21_000]);
    // poll() keeps the kind's poll schedule: hybridPoll is the net's alone.
    expect(seen.get('n2')).toEqual([7_000, 14_000, 21_000]);
    expect(reads).toBe(9);
  });

  it('sorts a fetch Response as the SDK would: a 404 fails at once with NotFoundError', async () => {
    let reads = 0;
    const kind = defineKind({
      kind: name('missing'),
      ids: ['id'],
      retrieve: async () => {
        reads++;
        return new Response(JSON.stringify({ error: { message: 'no such export' } }), { status: 404 });
      },
      status: (job: Export) => job.state,
      states: { done: 'completed' },
    });
    const ended = lastValueFrom(watchRun({ job: kind.ref({ id: 'x1' }), source: poll() })).catch((e) => e);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await ended).toBeInstanceOf(NotFoundError);
    expect(reads).toBe(1);
  });
});
