import { Observable, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type LatestSink, shareLatest, shareLatestOf } from '../../src/watch/share-latest.js';

/** A source that counts its subscriptions and whose values, end and error the test drives. */
function driven() {
  const subject = new Subject<number>();
  let subscribed = 0;
  let active = 0;
  const source$ = new Observable<number>((subscriber) => {
    subscribed++;
    active++;
    const subscription = subject.subscribe(subscriber);
    return () => {
      active--;
      subscription.unsubscribe();
    };
  });
  return { subject, source$, subscribed: () => subscribed, active: () => active };
}

describe('shareLatest', () => {
  it('subscribes once for every subscriber and replays the latest value to a late one', () => {
    const d = driven();
    const shared$ = shareLatest(d.source$);
    const a: number[] = [];
    const b: number[] = [];
    shared$.subscribe((v) => a.push(v));
    d.subject.next(1);
    d.subject.next(2);
    shared$.subscribe((v) => b.push(v));
    d.subject.next(3);
    expect(a).toEqual([1, 2, 3]);
    expect(b).toEqual([2, 3]);
    expect(d.subscribed()).toBe(1);
  });

  it('after the end, a new subscriber gets the last value and completes, without subscribing again', () => {
    const d = driven();
    const shared$ = shareLatest(d.source$);
    shared$.subscribe();
    d.subject.next(7);
    d.subject.complete();
    const late: number[] = [];
    let completed = false;
    shared$.subscribe({ next: (v) => late.push(v), complete: () => (completed = true) });
    expect([late, completed, d.subscribed()]).toEqual([[7], true, 1]);
  });

  it('stops the source when the last subscriber leaves, and starts afresh, with nothing replayed, on the next', () => {
    const d = driven();
    const shared$ = shareLatest(d.source$);
    const one = shared$.subscribe();
    const two = shared$.subscribe();
    d.subject.next(1);
    one.unsubscribe();
    expect(d.active()).toBe(1);
    two.unsubscribe();
    expect(d.active()).toBe(0);
    const again: number[] = [];
    shared$.subscribe((v) => again.push(v));
    expect([again, d.subscribed(), d.active()]).toEqual([[], 2, 1]);
  });

  it('hands an error to every subscriber, and the next subscriber starts the source again', () => {
    let attempt = 0;
    const source$ = new Observable<number>((subscriber) => {
      attempt++;
      if (attempt === 1) subscriber.error(new Error('boom'));
      else subscriber.next(attempt);
    });
    const shared$ = shareLatest(source$);
    const errors: unknown[] = [];
    shared$.subscribe({ error: (e) => errors.push(e) });
    const values: number[] = [];
    shared$.subscribe((v) => values.push(v));
    expect(errors).toHaveLength(1);
    expect(values).toEqual([2]);
  });
});

describe('shareLatestOf', () => {
  it('passes a throw while connecting on as the error, and connects anew for the next subscriber', () => {
    let connects = 0;
    const shared$ = shareLatestOf<number>((sink) => {
      connects++;
      if (connects === 1) throw new Error('boom');
      sink.next(connects);
      return { unsubscribe: () => {} };
    });
    const errors: unknown[] = [];
    shared$.subscribe({ error: (e) => errors.push(e) });
    const values: number[] = [];
    shared$.subscribe((v) => values.push(v));
    expect([(errors[0] as Error).message, values, connects]).toEqual(['boom', [2], 2]);
  });

  it('tears the producer down after the end is passed on, and ignores it once ended', () => {
    const seen: string[] = [];
    let sink: LatestSink<number> | undefined;
    const shared$ = shareLatestOf<number>((s) => {
      sink = s;
      return { unsubscribe: () => seen.push('teardown') };
    });
    shared$.subscribe({ next: (v) => seen.push(`next ${v}`), complete: () => seen.push('complete') });
    sink!.next(1);
    sink!.complete();
    sink!.next(2);
    expect(seen).toEqual(['next 1', 'complete', 'teardown']);
  });
});
