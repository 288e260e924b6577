import type { RedisClient } from 'bullmq';
import { isTerminal } from '../model/states.js';
import type { RunSnapshot, TerminalState } from '../model/types.js';
import { RUNSTATE_KEY_PREFIX } from './job-id.js';

// Three hashes beside the queue's keys (RunQueue.obliterate removes them with it): each watch going on, by job id,
// with the state of its job at its last step; the number of watches in each state, with `ended:<outcome>` counters;
// and the watches going on by kind and state (`<kind>|<state>`, the kind read from the job id), for the gauge.
const LIVE = `${RUNSTATE_KEY_PREFIX}live`;
const TALLY = `${RUNSTATE_KEY_PREFIX}tally`;
const KINDS = `${RUNSTATE_KEY_PREFIX}live-kinds`;
const COMMAND = 'runstateTally';
// The field of a BullMQ job's hash that says its watch was counted as ended (BullMQ ignores fields it does not know).
const ENDED_MARK = 'runstateEnded';

// One script, so that moving a watch and counting it are one atomic change, and doing it twice changes nothing:
// a step that BullMQ runs again after a crash records what the first run recorded, and an ended watch counts once.
// The end also leaves a mark on the watch's BullMQ job (its hash, removed with the job), which every later call
// for that watch reads: a step that a loaded worker was still running when its lock expired, run meanwhile by
// another worker, may record its first move after the other ended the watch; without the mark that move put the
// watch back on the tally and its end counted it twice. Where the job's hash is gone, the live entry decides.
// KEYS: live, tally, live-kinds, the job. ARGV: job id, state or outcome, 'end' when the watch ended
// ('end-unread': see endUnread). A job id is `<kind>.<key>` (job-id.ts).
const LUA = `
local kind = string.match(ARGV[1], '^([^.]+)%.')
local function live(state, by)
  redis.call('HINCRBY', KEYS[2], state, by)
  if kind then redis.call('HINCRBY', KEYS[3], kind .. '|' .. state, by) end
end
if redis.call('HEXISTS', KEYS[4], '${ENDED_MARK}') == 1 then return 0 end
local old = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[3] == 'end' or ARGV[3] == 'end-unread' then
  if old then
    redis.call('HDEL', KEYS[1], ARGV[1])
    live(old, -1)
  end
  if old or ARGV[3] == 'end-unread' then redis.call('HINCRBY', KEYS[2], 'ended:' .. ARGV[2], 1) end
  if redis.call('EXISTS', KEYS[4]) == 1 then redis.call('HSET', KEYS[4], '${ENDED_MARK}', ARGV[2]) end
  return 0
end
if old == ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if old then live(old, -1) end
live(ARGV[2], 1)
return 1
`;

/** How a watch ended, for the tally: its terminal state, `stopped` (by `cancel()`, or on a paused job with `whenPaused: 'stop'`), or `error` (a typed error). */
export type WatchOutcome = TerminalState | 'stopped' | 'error';

/** The outcome of a step that ended its watch. */
export function watchOutcome(result: { next: 'done' | 'fault'; snapshot: RunSnapshot }): WatchOutcome {
  if (result.next === 'fault') return 'error';
  return isTerminal(result.snapshot.state) ? result.snapshot.state : 'stopped';
}

/** A change of the tally: the watch of `jobId` goes on in `state`, or ended with `outcome`. */
export type TallyChange = { jobId: string; state: string } | { jobId: string; outcome: WatchOutcome };

/**
 * Where the tally of one queue lives. Each change sends its one command at the call, before it awaits anything: a
 * step's calls made one after another on the connection run in Redis in that order (src/queue/worker/step-redis.ts).
 */
export interface StateTally {
  /** Records that the watch of `jobId` is going on in `state`. */
  move(jobId: string, state: string): Promise<void>;
  /** Records that the watch ended with `outcome`; a second call for the same watch changes nothing. */
  end(jobId: string, outcome: WatchOutcome): Promise<void>;
  /**
   * Records that a watch whose data could not be read ended with `outcome`, counted even if it never stepped.
   * Not idempotent: a worker that dies between this and BullMQ failing the job makes the retry count it again.
   */
  endUnread(jobId: string, outcome: WatchOutcome): Promise<void>;
  /** Watches going on by state, and ended watches by outcome. */
  read(): Promise<{ live: Record<string, number>; ended: Record<string, number> }>;
  /** Watches going on by kind and state (states at 0 left out). */
  readKinds(): Promise<{ kind: string; state: string; count: number }[]>;
}

/** The tally of the queue whose keys `toKey` makes, on `redis` (a BullMQ connection). */
export function stateTally(redis: RedisClient, toKey: (type: string) => string): StateTally {
  redis.defineCommand(COMMAND, { numberOfKeys: 4, lua: LUA });
  const keys = [toKey(LIVE), toKey(TALLY), toKey(KINDS)];
  return {
    async move(jobId, state) {
      await redis.runCommand(COMMAND, [...keys, toKey(jobId), jobId, state, '']);
    },
    async end(jobId, outcome) {
      await redis.runCommand(COMMAND, [...keys, toKey(jobId), jobId, outcome, 'end']);
    },
    async endUnread(jobId, outcome) {
      await redis.runCommand(COMMAND, [...keys, toKey(jobId), jobId, outcome, 'end-unread']);
    },
    async read() {
      const all = await redis.hgetall(keys[1]!);
      const live: Record<string, number> = {};
      const ended: Record<string, number> = {};
      for (const [field, value] of Object.entries(all)) {
        const n = Number(value);
        if (field.startsWith('ended:')) ended[field.slice('ended:'.length)] = n;
        // A state left at 0 once every watch moved on is not worth a line.
        else if (n > 0) live[field] = n;
      }
      return { live, ended };
    },
    async readKinds() {
      const all = await redis.hgetall(keys[2]!);
      const rows: { kind: string; state: string; count: number }[] = [];
      for (const [field, value] of Object.entries(all)) {
        const bar = field.indexOf('|');
        const count = Number(value);
        if (bar > 0 && count > 0)
          rows.push({ kind: field.slice(0, bar), state: field.slice(bar + 1), count });
      }
      return rows;
    },
  };
}
