import type { RedisClient } from 'bullmq';
import { RUNSTATE_KEY_PREFIX } from '../job-id.js';

const LEASE = `${RUNSTATE_KEY_PREFIX}gauge-lease`;
const TAKE = 'runstateGaugeLease';
const DROP = 'runstateGaugeLeaseDrop';

// Take or renew: the holder renews its lease; anyone takes a lease nobody holds (or whose holder stopped renewing).
const TAKE_LUA = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0
`;
const DROP_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`;

/** Which one worker of a queue reports the queue's watches by state, so that summing over workers counts each once. */
export interface GaugeLease {
  /** Takes the lease, or renews it for `ttlMs`; true while this worker holds it. */
  hold(ttlMs: number): Promise<boolean>;
  /** Gives the lease up (a closing worker), so another takes it at its next tick rather than after the TTL. */
  release(): Promise<void>;
}

/** The lease of the queue whose keys `toKey` makes, held under `owner` (unique per worker). */
export function gaugeLease(redis: RedisClient, toKey: (type: string) => string, owner: string): GaugeLease {
  redis.defineCommand(TAKE, { numberOfKeys: 1, lua: TAKE_LUA });
  redis.defineCommand(DROP, { numberOfKeys: 1, lua: DROP_LUA });
  const key = toKey(LEASE);
  return {
    async hold(ttlMs) {
      return (await redis.runCommand(TAKE, [key, owner, String(ttlMs)])) === 1;
    },
    async release() {
      await redis.runCommand(DROP, [key, owner]);
    },
  };
}
