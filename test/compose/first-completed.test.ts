import { tap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { firstCompleted } from '../../src/compose/first-completed.js';
import { failure, marbles, update } from './fakes.js';

const updates = {
  a: update('a', 'queued'),
  b: update('b', 'in_progress'),
  f: update('a', 'failed'),
  e: failure('c', new Error('not found')),
  B: update('b', 'completed'),
  C: update('c', 'completed'),
};

describe('firstCompleted', () => {
  it('emits the first completed job and unsubscribes the source at once; failures and errors do not win', () => {
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('abfeB-C|', updates);
      expectObservable(source.pipe(firstCompleted())).toBe('----(B|)', updates);
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('completes without a value when no job completes', () => {
    marbles().run(({ cold, expectObservable }) => {
      expectObservable(cold('af-e|', updates).pipe(firstCompleted())).toBe('----|');
    });
  });

  it('passes an error of the source on', () => {
    marbles().run(({ cold, expectObservable }) => {
      expectObservable(cold('a#', updates).pipe(firstCompleted())).toBe('-#');
    });
  });

  it('with keepWatching, stays subscribed until the source completes and emits only the winner', () => {
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('aB-C--|', updates);
      expectObservable(source.pipe(firstCompleted({ keepWatching: true }))).toBe('-B----|', updates);
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
  });

  it('with abort, aborts when the winner arrives and emits it once the source has completed (the cancellations)', () => {
    const abort = new AbortController();
    const abortedSeen: boolean[] = [];
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('abB-f|', updates);
      const out = source.pipe(
        tap(() => abortedSeen.push(abort.signal.aborted)),
        firstCompleted({ abort }),
      );
      expectObservable(out).toBe('-----(B|)', updates);
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
    // Not aborted before the winner, aborted after it.
    expect(abortedSeen).toEqual([false, false, false, true]);
  });

  it('with abort, still emits the winner when the source errors afterwards, then the error', () => {
    marbles().run(({ cold, expectObservable }) => {
      const out = cold('aB-#', updates).pipe(firstCompleted({ abort: new AbortController() }));
      expectObservable(out).toBe('---(B#)', updates);
    });
  });

  it('with abort and no winner, aborts nothing and completes empty', () => {
    const abort = new AbortController();
    marbles().run(({ cold, expectObservable }) => {
      expectObservable(cold('af|', updates).pipe(firstCompleted({ abort }))).toBe('--|');
    });
    expect(abort.signal.aborted).toBe(false);
  });
});
