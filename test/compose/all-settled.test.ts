import { describe, it } from 'vitest';
import { allSettled } from '../../src/compose/all-settled.js';
import type { RunUpdate } from '../../src/compose/run-update.js';
import { failure, marbles, snap, update } from './fakes.js';

describe('allSettled', () => {
  it('emits once, when the source completes: the last update of each job, in the order jobs first appeared', () => {
    const boom = new Error('not found');
    marbles().run(({ cold, expectObservable }) => {
      const updates = {
        a: update('a', 'queued'),
        b: update('b', 'queued'),
        c: update('c', 'in_progress'),
        B: update('b', 'failed'),
        E: failure('c', boom, snap('c', 'in_progress')),
        A: update('a', 'completed'),
      };
      expectObservable(cold('abcBE-A|', updates).pipe(allSettled())).toBe('-------(x|)', {
        x: [updates.A, updates.B, updates.E],
      });
    });
  });

  it('keeps the last snapshot of a watch stopped by an abort (done: false)', () => {
    marbles().run(({ cold, expectObservable }) => {
      const stopped = update('a', 'in_progress', false);
      expectObservable(cold('qs|', { q: update('a', 'queued'), s: stopped }).pipe(allSettled())).toBe(
        '--(x|)',
        { x: [stopped] },
      );
    });
  });

  it('emits [] for no jobs, and passes an error of the source on', () => {
    marbles().run(({ cold, expectObservable }) => {
      expectObservable(cold<RunUpdate>('--|').pipe(allSettled())).toBe('--(x|)', { x: [] });
      expectObservable(cold('a-#', { a: update('a', 'queued') }).pipe(allSettled())).toBe('--#');
    });
  });

  it('starts afresh for each subscriber', () => {
    marbles().run(({ cold, expectObservable }) => {
      const settled$ = cold('a|', { a: update('a', 'completed') }).pipe(allSettled());
      expectObservable(settled$).toBe('-(x|)', { x: [update('a', 'completed')] });
      expectObservable(settled$).toBe('-(x|)', { x: [update('a', 'completed')] });
    });
  });
});
