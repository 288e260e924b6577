import type { RunSnapshot } from '../model/types.js';

/** What a watch does when its job is paused (a fine-tune's `paused`): keep watching, or stop on that snapshot. */
export type WhenPaused = 'wait' | 'stop';

/** True for a {@link WhenPaused} runstate knows. */
export function isWhenPaused(value: unknown): value is WhenPaused {
  return value === 'wait' || value === 'stop';
}

/**
 * The last snapshot of a watch that stops on a paused job (`whenPaused: 'stop'`), with the note that says why; or
 * undefined when the watch goes on (the job is not paused, it has ended, or the watch waits). In process and in the
 * queue alike.
 */
export function stoppedWhenPaused<S extends RunSnapshot>(
  snapshot: S,
  whenPaused: WhenPaused | undefined,
): S | undefined {
  if (!snapshot.paused || snapshot.done || whenPaused !== 'stop') return undefined;
  return {
    ...snapshot,
    note: `stopped watching: the job is paused (whenPaused: 'stop'); it stays paused until resumed`,
  };
}
