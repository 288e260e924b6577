import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { stateTally } from '../../src/queue/state-tally.js';
import { REDIS, uniqueQueueName } from './fixture.js';

const queue = new Queue(uniqueQueueName('tally'), { connection: REDIS });
afterAll(async () => {
  const redis = await queue.backend.client;
  await redis.del(
    queue.toKey('runstate-live'),
    queue.toKey('runstate-tally'),
    queue.toKey('runstate-live-kinds'),
  );
  await queue.close();
});

// Against the real Redis: what must hold is the Lua script's, run twice as a step after a crash would run it.
describe('stateTally', () => {
  it('moves a watch between states and counts its end once, however often each is recorded', async () => {
    const tally = stateTally(await queue.backend.client, (type) => queue.toKey(type));
    await tally.move('a', 'queued');
    await tally.move('b', 'queued');
    await tally.move('a', 'in_progress');
    await tally.move('a', 'in_progress');
    expect(await tally.read()).toEqual({ live: { queued: 1, in_progress: 1 }, ended: {} });

    await tally.end('a', 'completed');
    await tally.end('a', 'completed');
    // A step run again after the end restores the ended machine: it records the end, never a state.
    expect(await tally.read()).toEqual({ live: { queued: 1 }, ended: { completed: 1 } });

    // Data that could not be read: counted although the watch never stepped.
    await tally.endUnread('c', 'error');
    await tally.end('b', 'stopped');
    expect(await tally.read()).toEqual({ live: {}, ended: { completed: 1, error: 1, stopped: 1 } });
  });

  it('counts an end once when a step run twice at once records its first move after the other ended the watch', async () => {
    // A loaded worker's lock expired during a first step, and another worker ran the same step meanwhile: the
    // other ended the watch, then the first one's late "on it as queued" and its own end arrive.
    const tally = stateTally(await queue.backend.client, (type) => queue.toKey(type));
    const job = await queue.add('watch', {}, { jobId: 'response.resp_twice' });
    const id = String(job.id);
    const before = await tally.read();
    const kindsBefore = await tally.readKinds();
    await tally.move(id, 'queued');
    await tally.end(id, 'failed');
    await tally.move(id, 'queued');
    await tally.end(id, 'failed');
    await tally.end(id, 'error');
    const { live, ended } = await tally.read();
    expect(live).toEqual(before.live);
    expect(ended).toEqual({ ...before.ended, failed: (before.ended.failed ?? 0) + 1 });
    expect(await tally.readKinds()).toEqual(kindsBefore);
  });

  it('counts the watches going on by kind and state, from the kind in the job id', async () => {
    const tally = stateTally(await queue.backend.client, (type) => queue.toKey(type));
    const byKind = async () =>
      (await tally.readKinds()).sort((a, b) => `${a.kind}${a.state}`.localeCompare(`${b.kind}${b.state}`));
    await tally.move('response.resp_1', 'queued');
    await tally.move('response.resp_2', 'queued');
    await tally.move('batch.batch_1', 'validating');
    await tally.move('response.resp_1', 'in_progress');
    await tally.move('response.resp_1', 'in_progress');
    expect(await byKind()).toEqual([
      { kind: 'batch', state: 'validating', count: 1 },
      { kind: 'response', state: 'in_progress', count: 1 },
      { kind: 'response', state: 'queued', count: 1 },
    ]);
    await tally.end('response.resp_1', 'completed');
    await tally.end('response.resp_1', 'completed');
    await tally.end('batch.batch_1', 'stopped');
    // Ended watches leave it (they are runstate.watches.ended); states back at 0 are left out.
    expect(await byKind()).toEqual([{ kind: 'response', state: 'queued', count: 1 }]);
  });
});
