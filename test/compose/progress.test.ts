import { describe, it } from 'vitest';
import { progress, type RunProgress } from '../../src/compose/progress.js';
import { NO_STATES } from '../../src/model/states.js';
import type { RunState } from '../../src/model/types.js';
import { failure, marbles, update } from './fakes.js';

/** An update of a batch with its request counts. */
const batch = (id: string, state: RunState, completed: number, failed: number, total: number) => {
  const u = update(id, state);
  return {
    ...u,
    snapshot: {
      ...u.snapshot,
      kind: 'batch' as const,
      progress: { done: completed + failed, completed, failed, total },
    },
  };
};

const byState = (counts: Partial<Record<RunState, number>>): Record<RunState, number> => ({
  ...NO_STATES,
  ...counts,
});
const p = (
  total: number,
  done: number,
  errors: number,
  counts: Partial<Record<RunState, number>>,
  waiting = 0,
) => ({ total, waiting, done, errors, byState: byState(counts) }) satisfies RunProgress;

describe('progress', () => {
  it('counts every job watchRuns knows in total, those waiting for a slot included', () => {
    marbles().run(({ cold, expectObservable }) => {
      // Four jobs known up front, two watched at a time: `known` says 4 from the first update.
      const known = (u: ReturnType<typeof update>) => ({ ...u, known: 4 });
      const updates = {
        a: known(update('a', 'queued')),
        b: known(update('b', 'queued')),
        A: known(update('a', 'completed')),
        c: known(update('c', 'queued')),
        B: known(update('b', 'completed')),
        d: known(update('d', 'queued')),
      };
      expectObservable(cold('abAcBd|', updates).pipe(progress())).toBe('xyzuvw|', {
        x: p(4, 0, 0, { queued: 1 }, 3),
        y: p(4, 0, 0, { queued: 2 }, 2),
        z: p(4, 1, 0, { queued: 1, completed: 1 }, 2),
        u: p(4, 1, 0, { queued: 2, completed: 1 }, 1),
        v: p(4, 2, 0, { queued: 1, completed: 2 }, 1),
        w: p(4, 2, 0, { queued: 2, completed: 2 }, 0),
      });
    });
  });

  it('counts jobs by their latest state and emits on each change of the counts only', () => {
    marbles().run(({ cold, expectObservable }) => {
      const updates = {
        a: update('a', 'queued'),
        b: update('b', 'queued'),
        // Same state again (a new status or tool call within it): no emission.
        B: update('b', 'queued'),
        i: update('a', 'in_progress'),
        r: update('b', 'requires_action'),
        c: update('a', 'completed'),
        f: update('b', 'failed'),
      };
      expectObservable(cold('abBirc-f|', updates).pipe(progress())).toBe('wx-yzv-u|', {
        w: p(1, 0, 0, { queued: 1 }),
        x: p(2, 0, 0, { queued: 2 }),
        y: p(2, 0, 0, { queued: 1, in_progress: 1 }),
        z: p(2, 0, 0, { in_progress: 1, requires_action: 1 }),
        v: p(2, 1, 0, { completed: 1, requires_action: 1 }),
        u: p(2, 2, 0, { completed: 1, failed: 1 }),
      });
    });
  });

  it('counts a failed watch in done and errors, not in byState, and a re-watch moves it back', () => {
    marbles().run(({ cold, expectObservable }) => {
      const updates = {
        a: update('a', 'in_progress'),
        e: failure('a', new Error('retries exhausted')),
        q: update('a', 'queued'),
        c: update('a', 'completed'),
      };
      expectObservable(cold('aeqc|', updates).pipe(progress())).toBe('xyzw|', {
        x: p(1, 0, 0, { in_progress: 1 }),
        y: p(1, 1, 1, {}),
        z: p(1, 0, 0, { queued: 1 }),
        w: p(1, 1, 0, { completed: 1 }),
      });
    });
  });

  it('does not count a watch stopped by an abort as done', () => {
    marbles().run(({ cold, expectObservable }) => {
      const updates = { a: update('a', 'in_progress'), s: update('a', 'in_progress', false) };
      expectObservable(cold('as|', updates).pipe(progress())).toBe('x-|', {
        x: p(1, 0, 0, { in_progress: 1 }),
      });
    });
  });

  it("sums the batches' request counts, emits when they move, and drops a batch whose watch failed", () => {
    marbles().run(({ cold, expectObservable }) => {
      const updates = {
        a: batch('a', 'in_progress', 0, 0, 10),
        b: batch('b', 'in_progress', 5, 1, 20),
        r: update('r', 'in_progress'),
        // Same state, counts moved: an emission.
        A: batch('a', 'in_progress', 4, 0, 10),
        c: batch('a', 'completed', 9, 1, 10),
        e: failure('b', new Error('retries exhausted')),
      };
      const requests = (completed: number, failed: number, total: number) => ({
        done: completed + failed,
        completed,
        failed,
        total,
      });
      expectObservable(cold('abrAce|', updates).pipe(progress())).toBe('wxyzuv|', {
        w: { ...p(1, 0, 0, { in_progress: 1 }), requests: requests(0, 0, 10) },
        x: { ...p(2, 0, 0, { in_progress: 2 }), requests: requests(5, 1, 30) },
        y: { ...p(3, 0, 0, { in_progress: 3 }), requests: requests(5, 1, 30) },
        z: { ...p(3, 0, 0, { in_progress: 3 }), requests: requests(9, 1, 30) },
        u: { ...p(3, 1, 0, { in_progress: 2, completed: 1 }), requests: requests(14, 2, 30) },
        v: { ...p(3, 2, 1, { in_progress: 1, completed: 1 }), requests: requests(9, 1, 10) },
      });
    });
  });
  it('sums requests only of kinds that count requests: a file batch counts files, not requests', () => {
    marbles().run(({ cold, expectObservable }) => {
      const u = update('f', 'in_progress');
      const files = {
        ...u,
        snapshot: {
          ...u.snapshot,
          kind: 'vector_store.file_batch' as const,
          progress: { done: 3, total: 4, in_progress: 1, completed: 3, failed: 0, cancelled: 0 },
        },
      };
      expectObservable(cold('f|', { f: files }).pipe(progress())).toBe('x|', {
        x: p(1, 0, 0, { in_progress: 1 }),
      });
    });
  });
});
