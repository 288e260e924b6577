import { type Observable, Subject, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { watchEach } from '../../src/compose/watch-each.js';
import type { JobRef, RunSnapshot } from '../../src/model/types.js';
import { failure, ref, snap, update } from './fakes.js';

/** Marbles that compare updates without `known`, which has its own test below. */
const marbles = (): TestScheduler =>
  new TestScheduler((actual, expected) => {
    const strip = (frames: { notification?: { value?: { known?: number } } }[]) =>
      frames.map((f) => {
        const value = f.notification?.value;
        if (!value || typeof value !== 'object' || !('known' in value)) return f;
        const { known: _, ...rest } = value;
        return { ...f, notification: { ...f.notification, value: rest } };
      });
    expect(Array.isArray(actual) ? strip(actual) : actual).toEqual(expected);
  });

const jobs = { a: ref('a'), b: ref('b'), c: ref('c') };

/** A fake `watchRun`: each job's snapshots come from the Observable given for its id. */
const watchBy =
  (watches: Record<string, Observable<RunSnapshot>>) =>
  (job: JobRef): Observable<RunSnapshot> =>
    watches[(job as { id: string }).id]!;

describe('watchEach (the engine of watchRuns)', () => {
  it('tags each update with how many jobs it knows: a list up front at once, arrivals as they come', () => {
    const known: number[][] = [];
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, flush }) => {
      const watch = (job: JobRef) =>
        cold('q-c|', {
          q: snap((job as { id: string }).id, 'queued'),
          c: snap((job as { id: string }).id, 'completed'),
        });
      const list = [jobs.a, jobs.b, jobs.c];
      const upfront: number[] = [];
      cold('abc|', jobs)
        .pipe(watchEach(watch, { concurrency: 1, upfront: list }))
        .subscribe((u) => upfront.push(u.known!));
      const arriving: number[] = [];
      cold('a-b-c|', jobs)
        .pipe(watchEach(watch))
        .subscribe((u) => arriving.push(u.known!));
      flush();
      known.push(upfront, arriving);
    });
    // One at a time, three known from the first update; without a list, each job counts once it has arrived.
    expect(known[0]).toEqual([3, 3, 3, 3, 3, 3]);
    expect(known[1]).toEqual([1, 2, 2, 3, 3, 3]);
  });

  it('merges every watch into one stream of updates tagged with their job, and completes after all', () => {
    marbles().run(({ cold, expectObservable }) => {
      const watch = watchBy({
        a: cold('q-c|', { q: snap('a', 'queued'), c: snap('a', 'completed') }),
        b: cold('q--f|', { q: snap('b', 'queued'), f: snap('b', 'failed') }),
      });
      expectObservable(cold('ab|', jobs).pipe(watchEach(watch))).toBe('ABC-F|', {
        A: update('a', 'queued'),
        B: update('b', 'queued'),
        C: update('a', 'completed'),
        F: update('b', 'failed'),
      });
    });
  });

  it('watches at most `concurrency` jobs at once; the others wait their turn in order', () => {
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('q--c|', { q: snap('a', 'queued'), c: snap('a', 'completed') });
      const b = cold('q----c|', { q: snap('b', 'queued'), c: snap('b', 'completed') });
      const c = cold('qc|', { q: snap('c', 'queued'), c: snap('c', 'completed') });
      const out = cold('abc|', jobs).pipe(watchEach(watchBy({ a, b, c }), { concurrency: 2 }));
      expectObservable(out).toBe('AB-CDEF|', {
        A: update('a', 'queued'),
        B: update('b', 'queued'),
        C: update('a', 'completed'),
        D: update('c', 'queued'),
        E: update('c', 'completed'),
        F: update('b', 'completed'),
      });
      expectSubscriptions(a.subscriptions).toBe('^---!');
      expectSubscriptions(b.subscriptions).toBe('-^-----!');
      // c arrived at frame 2 but starts when a has ended (frame 4), not before.
      expectSubscriptions(c.subscriptions).toBe('----^-!');
    });
  });

  it('turns the error of one watch into an error update; the other watches go on', () => {
    const boom = new Error('not found');
    marbles().run(({ cold, expectObservable }) => {
      const watch = watchBy({
        a: cold('q---c|', { q: snap('a', 'queued'), c: snap('a', 'completed') }),
        b: cold('q-#', { q: snap('b', 'in_progress') }, boom),
      });
      expectObservable(cold('ab|', jobs).pipe(watchEach(watch))).toBe('AB-EC|', {
        A: update('a', 'queued'),
        B: update('b', 'in_progress'),
        E: failure('b', boom, snap('b', 'in_progress')),
        C: update('a', 'completed'),
      });
    });
  });

  it('reports a watch that throws before emitting as an error update without a snapshot', () => {
    const bad = new Error('bad job');
    marbles().run(({ cold, expectObservable }) => {
      const watch = (job: JobRef): Observable<RunSnapshot> => {
        if ((job as { id: string }).id === 'b') throw bad;
        return cold('c|', { c: snap('a', 'completed') });
      };
      expectObservable(cold('ab|', jobs).pipe(watchEach(watch))).toBe('CE|', {
        C: update('a', 'completed'),
        E: failure('b', bad),
      });
    });
  });

  it('ignores a job given again while it is watched, and watches it again once its watch has ended', () => {
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('q--c|', { q: snap('a', 'queued'), c: snap('a', 'completed') });
      const out = cold('a-a---a|', jobs).pipe(watchEach(watchBy({ a })));
      expectObservable(out).toBe('Q--C--Q--C|', {
        Q: update('a', 'queued'),
        C: update('a', 'completed'),
      });
      expectSubscriptions(a.subscriptions).toBe(['^---!', '------^---!']);
    });
  });

  it('lets a subscriber give a job again from its error update (a retry), which is then watched anew', () => {
    const boom = new Error('retries exhausted');
    marbles().run(({ cold, expectObservable }) => {
      const attempts = [
        cold('q-#', { q: snap('a', 'queued') }, boom),
        cold('q----c|', { q: snap('a', 'queued'), c: snap('a', 'completed') }),
      ];
      const jobs$ = new Subject<JobRef>();
      const out = jobs$.pipe(
        watchEach(() => attempts.shift()!),
        tap((u) => u.type === 'error' && jobs$.next(u.job)),
      );
      // The second `a` arrives while the retry is watched: still ignored.
      cold('-a-----a', jobs).subscribe((job) => jobs$.next(job));
      expectObservable(out).toBe('-Q-(EQ)-C', {
        Q: update('a', 'queued'),
        E: failure('a', boom, snap('a', 'queued')),
        C: update('a', 'completed'),
      });
    });
  });

  it('after the signal aborts, ignores new jobs and completes once the running watches end', () => {
    const controller = new AbortController();
    marbles().run(({ cold, hot, expectObservable }) => {
      const watch = watchBy({
        a: cold('q----s|', { q: snap('a', 'queued'), s: snap('a', 'in_progress', false) }),
        b: cold('q|', { q: snap('b', 'queued') }),
      });
      cold('--x').subscribe(() => controller.abort());
      const jobs$ = hot('a--b', jobs);
      expectObservable(jobs$.pipe(watchEach(watch, { signal: controller.signal }))).toBe('A----S|', {
        A: update('a', 'queued'),
        S: update('a', 'in_progress', false),
      });
    });
  });

  it('watches nothing when the signal is already aborted', () => {
    const controller = new AbortController();
    controller.abort();
    let watched = 0;
    marbles().run(({ cold, expectObservable }) => {
      const watch = () => {
        watched++;
        return cold('c|', { c: snap('a', 'completed') });
      };
      expectObservable(cold('(ab|)', jobs).pipe(watchEach(watch, { signal: controller.signal }))).toBe('|');
    });
    expect(watched).toBe(0);
  });
});
