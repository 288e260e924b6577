import type { RedisClient } from 'bullmq';

const COMMAND = 'runstateStepInputs';
// KEYS: the watch's stop request, its webhook inbox. Both in one call: a step's reads cost one round trip, not two.
const LUA = `return { redis.call('GET', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1) }`;

/** What a step reads besides its job: the stop request (or null) and the webhook events left for it. */
export type StepInputs = (cancelKey: string, inboxKey: string) => Promise<[string | null, string[]]>;

/** Reads a step's inputs on `redis` (a BullMQ connection). */
export function stepInputs(redis: RedisClient): StepInputs {
  redis.defineCommand(COMMAND, { numberOfKeys: 2, lua: LUA });
  return async (cancelKey, inboxKey) => {
    const [cancel, inbox] = (await redis.runCommand(COMMAND, [cancelKey, inboxKey])) as [
      string | null,
      string[] | null,
    ];
    return [cancel ?? null, inbox ?? []];
  };
}
