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
  });

  it('goes on with every watch after Redis was unreachable for a while mid-run', async () => {
    const redis = await startPrivateRedis();
    cleanup.push(() => redis.stop());
    const proxy = await startCuttableProxy(redis.port);
    cleanup.push(() => proxy.close());
    const speed = 20;
    const sim: Simulator = await startSimulator({ clock: { speed }, seed: 9 });
    cleanup.push(() => sim.close());
    const connection = { host: '127.0.0.1', port: proxy.port };
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
    const jobs: JobRef[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await client.responses.create({
        model: 'gpt-4o-mini',
        input: 'hi',
        background: true,
        metadata: {
          sim_scenario: JSON.stringify({ phases: { queued: 100, in_progress: 20_000 + i * 10_000 } }),
        },
      });
      jobs.push({ kind: 'response', id: r.id });
    }
    await Promise.all(jobs.map((j) => runs.watch(j)));
    const results = Promise.all(jobs.map((j) => runs.result(j)));
    await new Promise((r) => setTimeout(r, 400));
    await proxy.cut();
    await new Promise((r) => setTimeout(r, 3_000));
    await proxy.restore();
    const ends = await results;
    expect(ends.map((s) => s.state)).toEqual(jobs.map(() => 'completed'));
    expect(await runs.counts()).toMatchObject({ completed: 6, failed: 0 });
  });
});
