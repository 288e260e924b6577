import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateTally } from '../../../src/queue/state-tally.js';
import { readStep, writeStep } from '../../../src/queue/worker/step-redis.js';
import { REDIS, uniqueQueueName } from '../fixture.js';

// A step's two round trips against the real Redis, with a job fetched as a worker fetches it: what the sequential
// calls did (BullMQ's scripts, their refusals, the tally, the inbox) must hold with every command sent at once.
const name = uniqueQueueName('step-redis');
const queue = new Queue(name, { connection: REDIS });
const worker = new Worker(name, null, { connection: REDIS, autorun: false });
// What a bridge does to the inbox meanwhile, on a connection of its own.
const bridge = new Redis(REDIS);
beforeAll(async () => {
  await worker.waitUntilReady();
});
afterAll(async () => {
  bridge.disconnect();
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
});

async function fetched(id: string, token: string) {
  await queue.add('watch', { v: 1 }, { jobId: id });
  const job = await worker.getNextJob(token, { block: false });
  expect(job?.id).toBe(id);
  return job!;
}

/** Counts the writes to the connection's socket while `run` sends (each write a syscall, where one per command was). */
async function socketWrites<T>(
  redis: unknown,
  run: () => Promise<T>,
): Promise<{ result: T; writes: number }> {
  const socket = (redis as { stream: Record<'_write' | '_writev', (...args: unknown[]) => unknown> }).stream;
  const own = { _write: socket._write, _writev: socket._writev };
  let writes = 0;
  for (const method of ['_write', '_writev'] as const) {
    socket[method] = function (this: unknown, ...args: unknown[]) {
      writes++;
      return own[method].apply(this, args);
    };
  }
  try {
    return { result: await run(), writes };
  } finally {
    socket._write = own._write;
    socket._writev = own._writev;
  }
}

const keys = (id: string) => ({
  job: worker.toKey(id),
  events: worker.keys.events!,
  meta: worker.keys.meta!,
});

describe('a step’s Redis round trips', () => {
  it('reads the stop request and the inbox, saves, notifies, tallies, trims and delays the job in one', async () => {
    const redis = await worker.backend.client;
    const tally = stateTally(redis, (type) => worker.toKey(type));
    const job = await fetched('response.a', 'token-a');
    const inbox = worker.toKey('inbox-a');
    const cancel = worker.toKey('cancel-a');
    await redis.set(cancel, 'stop');
    await bridge.rpush(inbox, 'e1', 'e2');

    const { result: read, writes: readWrites } = await socketWrites(redis, () =>
      readStep(redis, { cancel, inbox }, tally, { jobId: 'response.a', state: 'queued' }),
    );
    expect(read).toEqual({ cancelRequest: 'stop', inbox: ['e1', 'e2'] });
    // Three commands, one write.
    expect(readWrites).toBe(1);
    expect(await tally.read()).toEqual({ live: { queued: 1 }, ended: {} });

    // An event a bridge adds while the step runs stays, and the answer says it waits.
    await bridge.rpush(inbox, 'e3');
    const at = Date.now() + 60_000;
    const { result, writes } = await socketWrites(redis, () =>
      writeStep(redis, worker.backend, job, keys('response.a'), tally, {
        data: { v: 2 },
        progress: { state: 'in_progress' },
        tally: { jobId: 'response.a', state: 'in_progress' },
        cancelKey: cancel,
        inbox: { key: inbox, taken: 2 },
        delayUntil: { at, token: 'token-a' },
      }),
    );
    expect(result.inboxLeft).toBe(1);
    // Seven commands, one write.
    expect(writes).toBe(1);
    expect(await redis.lrange(inbox, 0, -1)).toEqual(['e3']);
    expect(await redis.get(cancel)).toBeNull();
    expect(await tally.read()).toEqual({ live: { in_progress: 1 }, ended: {} });
    const stored = await queue.getJob('response.a');
    expect(stored?.data).toEqual({ v: 2 });
    expect(stored?.progress).toEqual({ state: 'in_progress' });
    expect(await stored?.getState()).toBe('delayed');
    // No attempt counted, as Job.moveToDelayed.
    expect(stored?.attemptsMade).toBe(0);
    expect(job.data).toEqual({ v: 2 });
  });

  it("throws BullMQ's own error when its script refuses (a lost lock), after the writes before it", async () => {
    const redis = await worker.backend.client;
    const tally = stateTally(redis, (type) => worker.toKey(type));
    const job = await fetched('response.b', 'token-b');
    const write = writeStep(redis, worker.backend, job, keys('response.b'), tally, {
      data: { v: 3 },
      tally: { jobId: 'response.b', outcome: 'completed' },
      inbox: { key: worker.toKey('inbox-b'), taken: 0 },
      delayUntil: { at: Date.now() + 60_000, token: 'not-the-lock' },
    });
    await expect(write).rejects.toThrow(/lock/i);
    // Sent in order: the data was saved before the refused move, as the awaited calls did.
    expect((await queue.getJob('response.b'))?.data).toEqual({ v: 3 });
    expect(await (await queue.getJob('response.b'))?.getState()).toBe('active');
  });
});
