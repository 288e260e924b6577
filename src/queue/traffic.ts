import type { RedisClient } from 'bullmq';
import { RUNSTATE_KEY_PREFIX } from './job-id.js';

// Requests and 429s of every worker of a queue, in 10-second slots beside the queue's keys (obliterate removes
// them with it; each expires after 3 minutes): `runstate queue` sums the last six for "per minute". A worker adds
// its steps' counts up in memory and writes them once a second: one script call a second, not one a step.
const SLOT_MS = 10_000;
const SLOTS_PER_MINUTE = 6;
const COMMAND = 'runstateTraffic';
// How long counts wait in memory: "per minute" over 10-second slots hardly moves; a worker killed loses this much.
const FLUSH_MS = 1000;
// KEYS: the slot's hash. ARGV: requests, 429s.
const LUA = `
redis.call('HINCRBY', KEYS[1], 'requests', ARGV[1])
if tonumber(ARGV[2]) > 0 then redis.call('HINCRBY', KEYS[1], 'rate_limited', ARGV[2]) end
redis.call('PEXPIRE', KEYS[1], 180000)
return 0
`;

/** A queue's request traffic over the last minute, every worker together. */
export interface Traffic {
  /** Requests to the API in the last 60 s. */
  requestsPerMinute: number;
  /** 429s among them. */
  rateLimitedPerMinute: number;
}

/** Where a queue's traffic is counted. */
export interface TrafficCounter {
  /** Counts `requests` sent by one step, `rateLimited` of them answered 429; written within a second. */
  record(requests: number, rateLimited: number): void;
  /** Writes the counts recorded so far (a worker closing). */
  flush(): Promise<void>;
  read(): Promise<Traffic>;
}

/** The traffic counter of the queue whose keys `toKey` makes; `now` is the wall clock, epoch ms. */
export function trafficCounter(
  redis: RedisClient,
  toKey: (type: string) => string,
  now: () => number = Date.now,
): TrafficCounter {
  redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: LUA });
  const key = (slot: number) => toKey(`${RUNSTATE_KEY_PREFIX}traffic:${slot}`);
  // Counts not written yet, by slot.
  const pending = new Map<number, { requests: number; rateLimited: number }>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = async () => {
    clearTimeout(timer);
    timer = undefined;
    const writes = [...pending].map(([slot, c]) =>
      redis.runCommand(COMMAND, [key(slot), c.requests, c.rateLimited]),
    );
    pending.clear();
    // A meter: a write lost to a Redis outage is a gap in it, never a reason to fail a step.
    await Promise.all(writes).catch(() => {});
  };
  return {
    record(requests, rateLimited) {
      if (requests <= 0 && rateLimited <= 0) return;
      const slot = Math.floor(now() / SLOT_MS);
      const counts = pending.get(slot) ?? { requests: 0, rateLimited: 0 };
      counts.requests += requests;
      counts.rateLimited += rateLimited;
      pending.set(slot, counts);
      if (!timer) {
        timer = setTimeout(() => void flush(), FLUSH_MS);
        timer.unref?.();
      }
    },
    flush,
    async read() {
      const current = Math.floor(now() / SLOT_MS);
      const slots = Array.from({ length: SLOTS_PER_MINUTE }, (_, i) => current - i);
      const values = await Promise.all(slots.map((s) => redis.hmget(key(s), 'requests', 'rate_limited')));
      let requestsPerMinute = 0;
      let rateLimitedPerMinute = 0;
      for (const [requests, limited] of values) {
        requestsPerMinute += Number(requests ?? 0);
        rateLimitedPerMinute += Number(limited ?? 0);
      }
      return { requestsPerMinute, rateLimitedPerMinute };
    },
  };
}
