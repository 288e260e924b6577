import type { Job, RedisClient, RedisQueueBackend } from 'bullmq';
import type { StateTally, TallyChange } from '../state-tally.js';

// A step's Redis calls beside BullMQ's fetch: one round trip to read what the step needs, one to write what it did,
// where a step awaited up to eight replies one after another.
//
// The commands of a round trip are sent at once, in order, on the worker's one connection, and their replies
// awaited together: Redis runs a connection's commands in the order they arrive, so the writes happen in the order
// the awaited calls made them (the data before the tally, the move before the inbox check), and a worker that dies
// meanwhile leaves a prefix of them done, as before. Each call must therefore send its command when it is made:
// ioredis writes it to the socket at once (or queues it in order while reconnecting); BullMQ's scripts run by
// their names (`execCommand`, which sends at the call, where Job.updateData awaits its connection first), so their
// keys and checks stay BullMQ's; the tally's calls send theirs before they await.
// Not an ioredis pipeline: building one costs about 40 µs (it copies each of BullMQ's 64 scripts onto itself),
// more than the round trips it saves a worker that runs 200 steps at once (measured: 73 to 109 µs a step for a
// pipelined get and lrange, 21 to 36 µs for the two calls).

/**
 * Makes the calls of one round trip with the connection's socket corked, so that their commands leave in one write:
 * ioredis writes each command to the socket as it is made, and a write to the socket was about 20 µs of a step's
 * CPU, six to eight of them a step (a CPU profile of the idle worker in bench/queue.ts). A cluster client has no one
 * socket, and sends as before.
 */
function inOneWrite(redis: RedisClient, makeCalls: () => Promise<unknown>[]): Promise<unknown>[] {
  const socket = (redis as { stream?: { cork?(): void; uncork?(): void } }).stream;
  socket?.cork?.();
  try {
    return makeCalls();
  } finally {
    socket?.uncork?.();
  }
}

/** The replies, in order; the first failure, in order, is thrown once every command answered. */
async function settled(calls: readonly Promise<unknown>[]): Promise<unknown[]> {
  const replies = await Promise.allSettled(calls);
  const failed = replies.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return replies.map((r) => (r as PromiseFulfilledResult<unknown>).value);
}

function tallyCall(tally: StateTally, change: TallyChange): Promise<void> {
  return 'state' in change ? tally.move(change.jobId, change.state) : tally.end(change.jobId, change.outcome);
}

/** What a step reads before it runs: the stop request and the webhook inbox (and a first step's tally entry). */
export async function readStep(
  redis: RedisClient,
  keys: { cancel: string; inbox: string },
  tally: StateTally,
  change: TallyChange | undefined,
): Promise<{ cancelRequest: string | null; inbox: string[] }> {
  const [cancelRequest, inbox] = await settled(
    inOneWrite(redis, () => [
      redis.get(keys.cancel),
      redis.lrange(keys.inbox, 0, -1),
      ...(change ? [tallyCall(tally, change)] : []),
    ]),
  );
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

/** A BullMQ script's reply: a negative code is a refusal (the job gone, the lock lost), which its own calls throw. */
function checked(backend: RedisQueueBackend, jobId: string, command: string, state?: string) {
  return (code: unknown) => {
    if (typeof code === 'number' && code < 0)
      throw backend.finishedErrors({ code, jobId, command, ...(state ? { state } : {}) });
    return code;
  };
}

/** The keys a step's writes touch, of the job `id` in the queue (or worker) `queue`. */
export function stepKeys(
  queue: { toKey(type: string): string; keys: { events?: string; meta?: string } },
  id: string,
): { job: string; events: string; meta: string } {
  return { job: queue.toKey(id), events: queue.keys.events!, meta: queue.keys.meta! };
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
  let delay = 0;
  const calls = inOneWrite(redis, () => {
    const sent: Promise<unknown>[] = [
      backend
        .execCommand(redis, 'updateData', [keys.job, JSON.stringify(writes.data)])
        .then(checked(backend, id, 'updateData')),
    ];
    if (writes.progress !== undefined) {
      const progress = JSON.stringify(writes.progress);
      sent.push(
        backend
          .execCommand(redis, 'updateProgress', [keys.job, keys.events, keys.meta, id, progress])
          .then(checked(backend, id, 'updateProgress')),
      );
    }
    if (writes.tally) sent.push(tallyCall(tally, writes.tally));
    if (writes.cancelKey) sent.push(redis.del(writes.cancelKey));
    if (writes.inbox.taken > 0) sent.push(redis.ltrim(writes.inbox.key, writes.inbox.taken, -1));
    if (writes.delayUntil) {
      // As Job.moveToDelayed: the delay from now, never negative, and no attempt counted.
      const now = Date.now();
      delay = Math.max(0, writes.delayUntil.at - now);
      const args = backend.moveToDelayedArgs(id, now, writes.delayUntil.token, delay, { skipAttempt: true });
      sent.push(
        backend
          .execCommand(redis, 'moveToDelayed', args)
          .then(checked(backend, id, 'moveToDelayed', 'active')),
      );
      sent.push(redis.llen(writes.inbox.key));
    }
    return sent;
  });
  const replies = await settled(calls);
  // What Job.updateData, updateProgress and moveToDelayed leave on the job object.
  job.data = writes.data;
  if (writes.progress !== undefined) job.progress = writes.progress as Job['progress'];
  if (writes.delayUntil) job.delay = delay;
  return { inboxLeft: writes.delayUntil ? Number(replies.at(-1)) : 0 };
}
