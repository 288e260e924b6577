import { asyncScheduler } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DueHeap } from '../../src/internal/due-heap.js';
import { TimerQueue } from '../../src/internal/timer-queue.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('TimerQueue', () => {
  it('calls each entry at its time, and a cancelled one never', async () => {
    const queue = new TimerQueue(asyncScheduler);
    const called: string[] = [];
    queue.at(200, () => called.push('b'));
    const dropped = queue.at(100, () => called.push('dropped'));
    queue.at(100, () => called.push('a'));
    dropped.cancel();
    await vi.advanceTimersByTimeAsync(300);
    expect(called).toEqual(['a', 'b']);
  });

  it('re-arms for the next entry when the earliest is cancelled, and holds no timer once none is left', async () => {
    const queue = new TimerQueue(asyncScheduler);
    const first = queue.at(3_600_000, () => {});
    const second = queue.at(7_200_000, () => {});
    expect(vi.getTimerCount()).toBe(1);
    first.cancel();
    // A timer left for the cancelled entry would keep the process alive an hour for nothing.
    second.cancel();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('DueHeap', () => {
  it('pops items by due time, equal times in insertion order, skipping cancelled entries', () => {
    const heap = new DueHeap<string>();
    const items = ['e@5', 'a@1', 'c@3', 'b@1', 'd@3', 'x@2'];
    const entries = items.map((item) => heap.add(Number(item.split('@')[1]), item));
    entries[5]!.cancel();
    entries[5]!.cancel();
    expect(heap.size).toBe(5);
    const out: string[] = [];
    for (let item = heap.popDue(10); item; item = heap.popDue(10)) out.push(item);
    expect(out).toEqual(['a@1', 'b@1', 'c@3', 'd@3', 'e@5']);
    expect(heap.size).toBe(0);
  });
});
