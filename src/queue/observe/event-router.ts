import type { QueueEvents, RedisClient } from 'bullmq';

/** The events of a job that `observe` follows, with BullMQ's payloads. */
export interface JobEvents {
  progress: { jobId: string; data: unknown };
  completed: { jobId: string; returnvalue: unknown };
  failed: { jobId: string; failedReason: string };
}

type Handler<T> = (payload: T) => void;

/** Hands each event of a QueueEvents to the handlers of its job alone, and says when events may have been lost. */
export interface JobEventRouter {
  /** Calls `handler` for each `type` event of `jobId`; returns the function that stops it. */
  on<K extends keyof JobEvents>(type: K, jobId: string, handler: Handler<JobEvents[K]>): () => void;
  /**
   * Calls `handler` when events may have been lost, so that observers read their job again; a handler that returns
   * a promise (its read) counts against the rereads in flight until it settles.
   */
  onGap(handler: () => void | Promise<void>): () => void;
  /** Stops looking for gaps. */
  close(): void;
}

/** Where the router reads the stream's oldest entry, to tell whether it fell behind the stream's cap. */
export interface GapCheck {
  redis: RedisClient;
  /** The queue's events stream key. */
  eventsKey: string;
  /** The id after which the QueueEvents reads: the stream's newest when it started. */
  readFrom: string;
  /**
   * How often to look, ms.
   *
   * @defaultValue `1000`
   */
  everyMs?: number;
}

/**
 * The gap check of the events stream at `eventsKey`, from its newest entry now: where a QueueEvents created now
 * starts reading.
 */
export async function gapCheckFromNow(
  redis: RedisClient,
  eventsKey: string,
  everyMs?: number,
): Promise<GapCheck> {
  redis.defineCommand(ENDS, { numberOfKeys: 1, lua: ENDS_LUA });
  const [, newest] = await streamEnds(redis, eventsKey);
  return { redis, eventsKey, readFrom: newest || '0-0', ...(everyMs ? { everyMs } : {}) };
}

const ENDS = 'runstateEventStreamEnds';
// The stream's oldest and newest ids ('' when empty).
const ENDS_LUA = `
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
return { first and first[1] or '', last and last[1] or '' }
`;

/** The oldest and newest ids of the stream at `key` (`''` when it is empty). */
async function streamEnds(redis: RedisClient, key: string): Promise<[string, string]> {
  return redis.runCommand(ENDS, [key]);
}

/** The least time between two rereads of every observed job, from the end of one to the start of the next. */
const REREAD_SPACING_MS = 10_000;

/**
 * Observers reading their job at once during a reread. All of them at once, 100,000 `result()` calls in one process
 * sent 300,000 Redis calls in one go: the process and Redis were busy for seconds, the reader fell behind the
 * stream's cap again, and the next reread followed.
 */
const REREADS_IN_FLIGHT = 32;

/** Runs every handler, at most REREADS_IN_FLIGHT at a time; a handler that throws does not stop the others. */
async function rereadAll(handlers: readonly (() => void | Promise<void>)[]): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < handlers.length) {
      const handler = handlers[next++]!;
      try {
        await handler();
      } catch {
        // The observer's own read reports its error to its subscriber.
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(REREADS_IN_FLIGHT, handlers.length) }, lane));
}

/** Stream ids (`<ms>-<seq>`) in order. */
function idBefore(a: string, b: string): boolean {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am < bm || (am === bm && as < bs);
}

/**
 * One listener per event type, whatever the number of observers. A listener per observer would make each event
 * cost one call per watch observed: quadratic in the watches followed by one process (10,000 `result()` calls and
 * their 30,000 events were 300 million calls).
 *
 * BullMQ caps a queue's event stream (about 10,000 entries); a reader that falls further behind (paused, or cut
 * from Redis while workers go on) skips what was trimmed, and an observer that misses its job's `completed`
 * would wait forever. So the router keeps the id of the last event read and, every second, the stream's oldest
 * id: when the oldest is past the last id read a second ago, entries may have gone unread, and every observer
 * reads its job again (at most once every 10 s). A queue adding more than its cap in a second causes such rereads
 * without any loss: a reread, not an error.
 */
export function routeByJob(events: QueueEvents, gaps?: GapCheck): JobEventRouter {
  const routes = new Map<keyof JobEvents, Map<string, Set<Handler<never>>>>();
  const gapHandlers = new Set<() => void | Promise<void>>();
  let lastRead = gaps?.readFrom;

  // Every event BullMQ reads passes here with its stream id last, whatever its type: the id of the last one
  // read is where the reader stands, even when no observed job had an event for a while.
  const emit = events.emit.bind(events) as (event: string | symbol, ...args: unknown[]) => boolean;
  events.emit = ((event: string | symbol, ...args: unknown[]) => {
    const id = args.at(-1);
    if (typeof id === 'string' && /^\d+-\d+$/.test(id)) lastRead = id;
    return emit(event, ...args);
  }) as QueueEvents['emit'];

  let timer: ReturnType<typeof setInterval> | undefined;
  if (gaps) {
    let readBefore = gaps.readFrom;
    let checking = false;
    let gap = false;
    let rereadAt = Number.NEGATIVE_INFINITY;
    let rereading = false;
    timer = setInterval(async () => {
      if (checking) return;
      if (gapHandlers.size === 0) {
        // No observer to reread for: a later one reads its job when it subscribes. No Redis call either.
        readBefore = lastRead ?? readBefore;
        gap = false;
        return;
      }
      checking = true;
      try {
        const [oldest] = await streamEnds(gaps.redis, gaps.eventsKey);
        if (oldest && idBefore(readBefore, oldest)) gap = true;
        readBefore = lastRead ?? readBefore;
        // At most one reread per REREAD_SPACING_MS: a queue adding more than the cap every second would otherwise
        // have every observer read its job every second.
        if (gap && !rereading && Date.now() - rereadAt >= REREAD_SPACING_MS) {
          gap = false;
          rereading = true;
          void rereadAll([...gapHandlers]).finally(() => {
            rereading = false;
            rereadAt = Date.now();
          });
        }
      } catch {
        // Redis unreachable: the next look, once it is back, compares with the same position.
      } finally {
        checking = false;
      }
    }, gaps.everyMs ?? 1000);
    timer.unref();
  }

  const table = (type: keyof JobEvents) => {
    let byJob = routes.get(type);
    if (!byJob) {
      const created = new Map<string, Set<Handler<never>>>();
      byJob = created;
      routes.set(type, created);
      events.on(type, (payload: { jobId: string }) => {
        const handlers = created.get(payload.jobId);
        if (!handlers) return;
        for (const h of [...handlers]) (h as Handler<typeof payload>)(payload);
      });
    }
    return byJob;
  };
  return {
    on(type, jobId, handler) {
      const byJob = table(type);
      let handlers = byJob.get(jobId);
      if (!handlers) {
        handlers = new Set();
        byJob.set(jobId, handlers);
      }
      handlers.add(handler as Handler<never>);
      return () => {
        handlers.delete(handler as Handler<never>);
        if (handlers.size === 0 && byJob.get(jobId) === handlers) byJob.delete(jobId);
      };
    },
    onGap(handler) {
      gapHandlers.add(handler);
      return () => gapHandlers.delete(handler);
    },
    close() {
      if (timer) clearInterval(timer);
    },
  };
}
