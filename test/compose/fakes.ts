import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';
import type { RunSnapshotUpdate, RunUpdate } from '../../src/compose/run-update.js';
import type { JobRef, RunSnapshot, RunState } from '../../src/model/types.js';

/** A TestScheduler asserting with vitest's deep equality. */
export const marbles = (): TestScheduler =>
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

export const ref = (id: string): JobRef => ({ kind: 'response', id });

const TERMINAL: readonly RunState[] = [
  'completed',
  'failed',
  'cancelled',
  'expired',
  'incomplete',
  'timed_out',
];

/** A snapshot of response `id` in `state`; `done` follows the state unless given (an aborted watch: false). */
export function snap(id: string, state: RunState, done = TERMINAL.includes(state)): RunSnapshot {
  // Returned through a variable, not as a literal, so it type-checks whether or not RunSnapshot has `note` yet.
  const snapshot = {
    id,
    kind: 'response' as const,
    state,
    status: state,
    job: { id, status: state },
    source: 'poll' as const,
    at: 0,
    calls: 0,
    done,
    pendingToolCalls: [],
    missingHandlers: [],
    note: undefined,
  };
  return snapshot;
}

/** The update `watchRuns` emits for a snapshot of response `id`. */
export const update = (id: string, state: RunState, done?: boolean): RunSnapshotUpdate => ({
  type: 'snapshot',
  key: id,
  job: ref(id),
  snapshot: snap(id, state, done),
});

/** The update for a failed watch of response `id`. */
export const failure = (id: string, error: unknown, last?: RunSnapshot): RunUpdate => ({
  type: 'error',
  key: id,
  job: ref(id),
  error,
  snapshot: last,
});
