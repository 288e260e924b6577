import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isRunstateError } from '../../../src/errors/index.js';
import { requestSlots } from '../../../src/queue/worker/request-slots.js';
import { REDIS, uniqueQueueName } from '../fixture.js';

// A queue of its own: the slots live in its BullMQ limiter key, which obliterate and the afterEach remove.
const queue = new Queue(uniqueQueueName('slots'), { connection: REDIS });
const key = queue.toKey('limiter');
const raw = new Redis(REDIS);

afterEach(async () => {
  await raw.del(key);
});
afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  raw.disconnect();
});

const slotsOf = async (max: number, duration: number) =>
  requestSlots(await queue.backend.client, key, { max, duration });

describe('requestSlots: a request takes a slot of BullMQ’s limiter window', () => {
  it('counts each slot, opens the window with its duration, and past max says how long the window has left', async () => {
    const slots = await slotsOf(2, 5000);
    expect(await slots.tryTake()).toBe(0);
    expect(await raw.get(key)).toBe('1');
    const ttl = await raw.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5000);
    expect(await slots.tryTake()).toBe(0);
    expect(await raw.get(key)).toBe('2');
    const wait = await slots.tryTake();
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(ttl);
    // A refused slot is not counted: the window is not made any fuller by a request that did not go out.
    expect(await raw.get(key)).toBe('2');
  });

  it('waits out a 429’s manual rate limit (BullMQ sets the counter to MAX_SAFE_INTEGER)', async () => {
    const slots = await slotsOf(1_000_000_000, 60_000);
    await queue.rateLimit(30_000);
    const wait = await slots.tryTake();
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(30_000);
  });

  it('take() waits for the next window when this one is full, and takes the slot there', async () => {
    const slots = await slotsOf(1, 200);
    expect(await slots.tryTake()).toBe(0);
    await slots.take(new AbortController().signal);
    // The old window expired; the slot opened a new one, in which it is the only one.
    expect(await raw.get(key)).toBe('1');
    expect(await raw.pttl(key)).toBeGreaterThan(0);
  });

  it('take() gives up with an AbortedError when the step is abandoned during its wait', async () => {
    const slots = await slotsOf(1, 60_000);
    expect(await slots.tryTake()).toBe(0);
    const abandon = new AbortController();
    const taking = slots.take(abandon.signal);
    abandon.abort();
    const error = await taking.catch((e: unknown) => e);
    expect(isRunstateError(error) && error.code).toBe('aborted');
    expect(await raw.get(key)).toBe('1');
  });
});

// What request-slots.ts relies on in BullMQ (6.7): an upgrade that changes any of it fails here.
describe('BullMQ’s limiter counter, as request slots rely on it', () => {
  it('counts each job a limited worker starts in `<prefix>:<queue>:limiter`, and a counter at max stops the queue', async () => {
    const max = 3;
    const duration = 60_000;
    const done = new Promise<void>((resolve) => {
      const worker = new Worker(queue.name, async () => {}, {
        connection: REDIS,
        limiter: { max, duration },
      });
      worker.on('completed', () => void worker.close().then(resolve));
    });
    await queue.add('one', {});
    await done;
    // The job's start: INCR, and PEXPIRE with the limiter's duration on the first.
    expect(await raw.get(key)).toBe('1');
    const ttl = await raw.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(duration);
    expect(await queue.getRateLimitTtl(max)).toBe(0);
    // Two request slots fill the window: BullMQ's own check (getRateLimitTTL, which moveToActive runs before it
    // starts a job) now says the queue is rate limited until the window ends.
    const slots = await slotsOf(max, duration);
    expect(await slots.tryTake()).toBe(0);
    expect(await slots.tryTake()).toBe(0);
    const limited = await queue.getRateLimitTtl(max);
    expect(limited).toBeGreaterThan(0);
    expect(limited).toBeLessThanOrEqual(ttl);
  });
});
