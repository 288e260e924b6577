import { asyncScheduler, Observable } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReadGate } from '../../src/sources/read-gate.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A read that answers after `ms`, counting how many are in flight at once. */
function reads(ms: number) {
  let inFlight = 0;
  let most = 0;
  let started = 0;
  const read = () =>
    new Observable<number>((subscriber) => {
      started++;
      inFlight++;
      most = Math.max(most, inFlight);
      const timer = setTimeout(() => {
        inFlight--;
        subscriber.next(started);
        subscriber.complete();
      }, ms);
      return () => clearTimeout(timer);
    });
  return { read, most: () => most, started: () => started };
}

describe('ReadGate', () => {
  it('sends at most `concurrency` reads at once, each after its jitter, until every one is answered', async () => {
    const gate = new ReadGate(4, 50);
    const r = reads(100);
    let answered = 0;
    for (let i = 0; i < 40; i++) {
      gate.through(r.read, asyncScheduler, () => 0.5).subscribe({ complete: () => answered++ });
    }
    // Nothing goes out before the jitter (25 ms here): a wall of synchronous starts is not a wall of requests.
    expect(r.started()).toBe(0);
    await vi.advanceTimersByTimeAsync(30);
    expect(r.started()).toBe(4);
    await vi.advanceTimersByTimeAsync(10 * 125);
    expect(answered).toBe(40);
    expect(r.most()).toBe(4);
  });

  it('a read that leaves before its turn never goes out, and frees its slot when it leaves during one', async () => {
    const gate = new ReadGate(1, 0);
    const r = reads(100);
    const first = gate.through(r.read, asyncScheduler, () => 0).subscribe();
    const second = gate.through(r.read, asyncScheduler, () => 0).subscribe();
    let thirdDone = false;
    gate.through(r.read, asyncScheduler, () => 0).subscribe({ complete: () => (thirdDone = true) });
    second.unsubscribe();
    await vi.advanceTimersByTimeAsync(1);
    expect(r.started()).toBe(1);
    first.unsubscribe();
    await vi.advanceTimersByTimeAsync(101);
    expect([r.started(), thirdDone]).toEqual([2, true]);
  });
});
