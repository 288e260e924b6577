import type { RedisClient } from 'bullmq';
import { AbortedError } from '../../errors/aborted-error.js';
import type { LimiterOptions } from './limiter.js';

const TAKE = 'runstateTakeRequestSlot';

// KEYS: BullMQ's limiter counter. ARGV: max, duration ms. Returns 0 when a slot was taken, else the ms until the
// window ends. The same test and count as BullMQ's own when it starts a job (getRateLimitTTL, then
// prepareJobForProcessing in moveToActive: INCR, PEXPIRE on the first), so a request and a step start take from
// one counter. A window already full, or a 429's manual rate limit (the counter set to MAX_SAFE_INTEGER), is not
// counted into: a refused slot costs the window nothing.
const TAKE_LUA = `
local count = tonumber(redis.call('GET', KEYS[1]) or 0)
if count >= tonumber(ARGV[1]) then
  local pttl = redis.call('PTTL', KEYS[1])
  if pttl > 0 then return pttl end
  if pttl == 0 then redis.call('DEL', KEYS[1]) end
end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** Slots in a queue's fleet-wide request limit, for the requests a step sends beyond its first. */
export interface RequestSlots {
  /** Takes a slot if the limiter's window has room: 0; else the ms until the window ends, and takes nothing. */
  tryTake(): Promise<number>;
  /**
   * Resolves once one request may go out: at once when the limiter's window has room, else after the window
   * ends (as often as it takes). Rejects with an `AbortedError` when `signal` aborts first.
   */
  take(signal: AbortSignal): Promise<void>;
}

/**
 * The request slots of a queue whose BullMQ limiter counter is `key` (BullMQ's `keys.limiter`) and whose
 * worker limits with `limiter`.
 *
 * This relies on BullMQ's limiter counter: BullMQ counts each job it starts there (one step, and its first
 * request), and starts none while the counter is at `max`. A step's further requests (a fine-tune's events read,
 * an idle agent session's turn) take a slot here before they go out, so the windows of `limiterFor` bound
 * requests, not steps. A request that takes the last slot of a window only makes BullMQ start fewer steps in it.
 * `test/queue/worker/request-slots.redis.test.ts` pins BullMQ's side, so an upgrade that changes it fails there.
 */
export function requestSlots(redis: RedisClient, key: string, limiter: LimiterOptions): RequestSlots {
  redis.defineCommand(TAKE, { numberOfKeys: 1, lua: TAKE_LUA });
  const args = [key, String(limiter.max), String(Math.floor(limiter.duration))];
  const tryTake = async () => Number(await redis.runCommand(TAKE, args));
  return {
    tryTake,
    async take(signal) {
      for (;;) {
        if (signal.aborted) throw aborted();
        const waitMs = await tryTake();
        if (waitMs <= 0) return;
        await pause(waitMs, signal);
      }
    },
  };
}

const aborted = () =>
  new AbortedError("stopped waiting for a request slot of the queue's limiter: the step was abandoned");

/** Waits `ms` (wall clock: BullMQ's windows are), or rejects when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(aborted());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
