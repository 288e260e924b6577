import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { isRunstateError, type JobRef } from '../../src/index.js';
import {
  createRunQueue,
  createRunWorker,
  type RunQueue,
  type RunWorker,
  watchJobId,
} from '../../src/queue/index.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { simClient } from '../helpers/sim.js';
import { type QueueFixture, queueFixture, REDIS, uniqueQueueName } from './fixture.js';
import { freePort, startCuttableProxy, startPrivateRedis } from './redis-private.js';

let f: QueueFixture | undefined;
let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
  await f?.close();
  f = undefined;
});

const OUTAGE_MS = 10_000;

// ioredis reconnects after BullMQ's default backoff, e^n seconds up to 20 s: after a 10 s outage the next try can
// come 20 s later. A short, capped backoff reconnects within a second of Redis coming back.
const RECONNECT = { retryStrategy: (times: number) => Math.min(250 * times, 1_000) };

/** The outcome of the i-th job `alternatingResponses` makes. */
const outcomeOf = (i: number) => (i % 2 === 0 ? 'completed' : 'failed');

/** N background responses that end completed and failed in turn, the i-th after `inProgressMs(i)` of clock. */
async function alternatingResponses(client: OpenAI, n: number, inProgressMs: (i: number) => number) {
  const jobs: JobRef[] = [];
  for (let i = 0; i < n; i++) {
    const r = await client.responses.create({
      model: 'gpt-4o-mini',
      input: 'hi',
      background: true,
      metadata: {
        sim_scenario: JSON.stringify({
          phases: { queued: 100, in_progress: inProgressMs(i) },
          outcome: outcomeOf(i),
        }),
      },
    });
    jobs.push({ kind: 'response', id: r.id });
  }
  return jobs;
}

/** A private Redis behind a proxy that can cut it, and a simulator at ×20; all removed after the test. */
async function outageBench(seed: number) {
  const redis = await startPrivateRedis();
  cleanup.push(() => redis.stop());
  const proxy = await startCuttableProxy(redis.port);
  cleanup.push(() => proxy.close());
  const speed = 20;
  const sim: Simulator = await startSimulator({ clock: { speed }, seed });
  cleanup.push(() => sim.close());
  return { redis, proxy, sim, speed };
}

const codeOf = (e: unknown) => (isRunstateError(e) ? e.code : e);

describe('runstate/queue: bad input and faults', () => {
  it('refuses a bad job and a bad connection with typed errors', async () => {
    f = await queueFixture('bad-input');
    await expect(f.runs.watch({ kind: 'response', id: '' })).rejects.toMatchObject({
      code: 'bad_configuration',
    });
    await expect(f.runs.watch({ kind: 'fax' } as unknown as JobRef)).rejects.toMatchObject({
      code: 'bad_configuration',
    });
    const error = await new Promise((resolve) =>
      f!.runs.observe({ kind: 'batch' } as unknown as JobRef).subscribe({ error: resolve }),
    );
    expect(codeOf(error)).toBe('bad_configuration');
    await expect(createRunQueue({ connection: 'redis://x' as never })).rejects.toMatchObject({
      code: 'bad_configuration',
    });
    await expect(createRunQueue({ connection: { host: '127.0.0.1', port: 99_999 } })).rejects.toMatchObject({
      code: 'bad_configuration',
    });
    await expect(createRunQueue({ connection: REDIS, name: 'a:b' })).rejects.toMatchObject({
      code: 'bad_configuration',
    });
    await expect(
      createRunWorker({ connection: REDIS, client: {} as never, name: f.name }),
    ).rejects.toMatchObject({ code: 'bad_configuration' });
    await expect(
      createRunWorker({ connection: REDIS, client: f.client, name: f.name, rpm: 1 }),
    ).rejects.toMatchObject({ code: 'bad_configuration' });
    // Watching an unknown watch says so.
    await expect(f.runs.result({ kind: 'response', id: 'resp_never_watched' })).rejects.toMatchObject({
      code: 'watch_not_found',
    });
  });

  it('says Redis is unreachable at start with a typed error, for the queue and the worker', async () => {
    const port = await freePort();
    const connection = { host: '127.0.0.1', port };
    const sim = await startSimulator();
    cleanup.push(() => sim.close());
    const started = Date.now();
    await expect(createRunQueue({ connection, connectTimeoutMs: 300 })).rejects.toMatchObject({
      code: 'queue_unavailable',
    });
    await expect(
      createRunWorker({ connection, client: simClient(sim), connectTimeoutMs: 300 }),
    ).rejects.toMatchObject({
      code: 'queue_unavailable',
      message: expect.stringContaining(`127.0.0.1:${port}`),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('ends a watch whose stored data is poisoned with a typed error, without retrying it', async () => {
    f = await queueFixture('poison');
    await f.addWorker();
    const job: JobRef = { kind: 'response', id: 'resp_poisoned' };
    await f.runs.queue.add(
      'watch',
      { v: 1, job: { kind: 'response' }, startedAt: 'soon' },
      { jobId: watchJobId(job) },
    );
    const error = await f.runs.result(job).catch((e: unknown) => e);
    expect(codeOf(error)).toBe('bad_watch_data');
    expect((error as Error).message).toContain('stored data is not a runstate watch');
    expect((await f.runs.queue.getJob(watchJobId(job)))?.attemptsMade).toBe(1);
    expect(f.sim.stats().requests.total).toBe(0);
    expect(await f.runs.counts()).toMatchObject({ errors: 1, failed: 1, starting: 0 });
  });

  it('goes on with every watch after Redis was unreachable for 10 s mid-run, each ending as scripted', async () => {
    const { proxy, sim, speed } = await outageBench(9);
    const connection = { host: '127.0.0.1', port: proxy.port, ...RECONNECT };
    const now = () => sim.clock.now();
    const name = uniqueQueueName('outage');
    const runs: RunQueue = await createRunQueue({ connection, name, now, speed });
    cleanup.push(() => runs.close());
    const client = simClient(sim);
    const workers: RunWorker[] = [];
    for (let i = 0; i < 2; i++) {
      workers.push(await createRunWorker({ connection, name, client, now, speed, lockDurationMs: 2_000 }));
    }
    cleanup.push(() => Promise.all(workers.map((w) => w.close())));
    // Jobs that end every 2 s of wall time (40 s of clock): the first before the cut, most during the outage,
    // the last about when Redis comes back.
    const jobs = await alternatingResponses(client, 7, (i) => 5_000 + i * 40_000);
    await Promise.all(jobs.map((j) => runs.watch(j)));
    const results = Promise.all(jobs.map((j) => runs.result(j)));
    await new Promise((r) => setTimeout(r, 400));
    await proxy.cut();
    const cutAt = sim.clock.now();
    // No CPU spent: 10 s of wall time with every connection to Redis refused.
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await proxy.restore();
    const restoredAt = sim.clock.now();
    const ends = await results;
    const scripted = jobs.map((_, i) => outcomeOf(i));
    expect(ends.map((s) => s.state)).toEqual(scripted);
    for (const s of ends) {
      const job = sim.job(s.id)!;
      // The outcome the server has, seen no earlier than the job ended there.
      expect(s.status).toBe(job.status);
      expect(s.at).toBeGreaterThanOrEqual(job.endedAt!);
    }
    // Most jobs ended while no worker could reach Redis: their watches learnt it after the reconnect.
    const during = ends.filter((s) => {
      const endedAt = sim.job(s.id)!.endedAt!;
      return endedAt > cutAt && endedAt < restoredAt;
    });
    expect(during.length).toBeGreaterThanOrEqual(3);
    expect(await runs.counts()).toMatchObject({ completed: 7, failed: 0, waiting: 0, delayed: 0, active: 0 });
  });

  it('ends every observer after it was cut from Redis while the capped event stream rolled over', async () => {
    const { redis, proxy, sim, speed } = await outageBench(11);
    const now = () => sim.clock.now();
    const name = uniqueQueueName('gap');
    // The observer reaches Redis through the proxy; the worker directly, so it goes on during the cut.
    const runs = await createRunQueue({
      connection: { host: '127.0.0.1', port: proxy.port, ...RECONNECT },
      name,
      now,
      speed,
    });
    cleanup.push(() => runs.close());
    const direct = { host: '127.0.0.1', port: redis.port };
    // A cap of 20 events (BullMQ trims whole stream nodes of 100): a few hundred events roll it over.
    const capped = new Queue(name, { connection: direct, streams: { events: { maxLen: 20 } } });
    await capped.waitUntilReady();
    cleanup.push(() => capped.close());
    const plain = new Redis(redis.port);
    cleanup.push(async () => plain.disconnect());
    while ((await plain.hget(capped.keys.meta!, 'opts.maxLenEvents')) !== '20') {
      await new Promise((r) => setTimeout(r, 20));
    }
    const simulated = simClient(sim);
    const worker = await createRunWorker({
      connection: direct,
      name,
      client: simulated,
      now,
      speed,
      concurrency: 50,
    });
    cleanup.push(() => worker.close());

    const jobs = await alternatingResponses(simulated, 40, (i) => 8_000 + i * 500);
    for (const job of jobs) await runs.watch(job);
    const seen: string[][] = jobs.map(() => []);
    const ends = Promise.all(
      jobs.map(
        (job, i) =>
          new Promise<string>((resolve, reject) =>
            runs.observe(job).subscribe({
              next: (s) => seen[i]!.push(s.state),
              error: reject,
              complete: () => resolve(seen[i]!.at(-1)!),
            }),
          ),
      ),
    );
    await new Promise((r) => setTimeout(r, 100));
    await proxy.cut();
    // Every job ends while the observer cannot read: hundreds of events, most trimmed before it reads again.
    while (!jobs.every((j) => sim.job((j as { id: string }).id)!.endedAt)) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 500));
    // What the stream holds against what was ever added to it: Redis counts both (XINFO STREAM, Redis 7).
    const info = (await plain.call('XINFO', 'STREAM', capped.keys.events!)) as unknown[];
    const added = Number(info[info.indexOf('entries-added') + 1]);
    const stream = await plain.xlen(capped.keys.events!);
    await proxy.restore();
    expect(await ends).toEqual(jobs.map((_, i) => outcomeOf(i)));
    // The stream rolled over while the observer was away: events were trimmed before it could read them. (Counted
    // from Redis itself, not from the worker's steps, which a loaded machine makes fewer.)
    expect(added).toBeGreaterThan(stream);
  }, 60_000);
});
