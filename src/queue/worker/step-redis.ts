import type { IRedisTransaction, Job, RedisClient, RedisQueueBackend } from 'bullmq';
import type { StateTally, TallyChange } from '../state-tally.js';

// A step's Redis calls beside BullMQ's fetch: one round trip to read what the step needs, one to write what it did.
// Each round trip cost a step about a hundred µs of CPU (ioredis, a socket write, waking up for the reply); sent one
// after another they were most of a step's CPU beyond its retrieve (docs/benchmarks.md, "100,000 watches").
//
// One pipeline, not one script: Redis runs a connection's commands in the order they were sent, so the writes
// happen in the order the sequential calls made them (the data before the tally, the move before the inbox check),
// and a worker that dies meanwhile leaves a prefix of them done, as before. BullMQ's own scripts run in it by their
// names (`execCommand`), so their keys and checks stay BullMQ's.

/** An ioredis pipeline as BullMQ hands it out, with the two plain commands its interface leaves out. */
type StepPipeline = IRedisTransaction & {
  get(key: string): StepPipeline;
  ltrim(key: string, start: number, stop: number): StepPipeline;
};

/** The replies, or the first error of a command, in order. */
async function run(pipeline: StepPipeline): Promise<unknown[]> {
  const replies = (await pipeline.exec()) ?? [];
  const failed = replies.find(([error]) => error);
  if (failed) throw failed[0];
  return replies.map(([, reply]) => reply);
}

/** What a step reads before it runs: the stop request and the webhook inbox (and a first step's tally entry). */
export async function readStep(
  redis: RedisClient,
  keys: { cancel: string; inbox: string },
  tally: StateTally,
  change: TallyChange | undefined,
): Promise<{ cancelRequest: string | null; inbox: string[] }> {
  const pipeline = (redis.pipeline() as StepPipeline).get(keys.cancel).lrange(keys.inbox, 0, -1);
  if (change) tally.queue(pipeline, change);
  const [cancelRequest, inbox] = await run(pipeline);
  return { cancelRequest: cancelRequest as string | null, inbox: inbox as string[] };
}

/** What a step leaves in Redis, in the order it is applied. */
export interface StepWrites {
  /** The data's stored form. */
  data: unknown;
  /** The progress notice, when the published snapshot changed. */
  progress?: unknown;
  /** Where the step left its watch on the tally (after the data: a step run again restores what it saved). */
  tally?: TallyChange;
  /** The stop request the machine persisted with, deleted. */
  cancelKey?: string;
  /** The webhook inbox and how many of its events the step took (removed; one added meanwhile stays). */
  inbox: { key: string; taken: number };
  /** Move the job to the delayed set until this epoch ms (wall clock), with the step's lock token. */
  delayUntil?: { at: number; token: string };
}

/**
 * Sends a step's writes in one round trip. With `delayUntil`, returns how many events wait in the inbox once the
 * job is delayed: a bridge that saw the job active left its event without promoting it.
 */
export async function writeStep(
  redis: RedisClient,
  backend: RedisQueueBackend,
  job: Job,
  keys: { job: string; events: string; meta: string },
  tally: StateTally,
  writes: StepWrites,
): Promise<{ inboxLeft: number }> {
  const id = String(job.id);
  const pipeline = redis.pipeline() as StepPipeline;
  const data = JSON.stringify(writes.data);
  const checked: { index: number; command: string; state?: string }[] = [];
  let n = 0;
  backend.execCommand(pipeline, 'updateData', [keys.job, data]);
  checked.push({ index: n++, command: 'updateData' });
  if (writes.progress !== undefined) {
    const progress = JSON.stringify(writes.progress);
    backend.execCommand(pipeline, 'updateProgress', [keys.job, keys.events, keys.meta, id, progress]);
    checked.push({ index: n++, command: 'updateProgress' });
  }
  if (writes.tally) {
    tally.queue(pipeline, writes.tally);
    n++;
  }
  if (writes.cancelKey) {
    pipeline.del(writes.cancelKey);
    n++;
  }
  if (writes.inbox.taken > 0) {
    pipeline.ltrim(writes.inbox.key, writes.inbox.taken, -1);
    n++;
  }
  let delay = 0;
  if (writes.delayUntil) {
    // As Job.moveToDelayed: the delay from now, never negative, and no attempt counted.
    const now = Date.now();
    delay = Math.max(0, writes.delayUntil.at - now);
    const args = backend.moveToDelayedArgs(id, now, writes.delayUntil.token, delay, { skipAttempt: true });
    backend.execCommand(pipeline, 'moveToDelayed', args);
    checked.push({ index: n++, command: 'moveToDelayed', state: 'active' });
    pipeline.llen(writes.inbox.key);
    n++;
  }
  const replies = await run(pipeline);
  // BullMQ's scripts answer a refusal (the job gone, the lock lost) with a negative code, which its own calls throw.
  for (const { index, command, state } of checked) {
    const code = replies[index];
    if (typeof code === 'number' && code < 0)
      throw backend.finishedErrors({ code, jobId: id, command, ...(state ? { state } : {}) });
  }
  // What Job.updateData, updateProgress and moveToDelayed leave on the job object.
  job.data = writes.data;
  if (writes.progress !== undefined) job.progress = writes.progress as Job['progress'];
  if (writes.delayUntil) job.delay = delay;
  return { inboxLeft: writes.delayUntil ? Number(replies[n - 1]) : 0 };
}
