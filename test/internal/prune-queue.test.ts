import { describe, expect, it } from 'vitest';
import { PruneQueue } from '../../src/internal/prune-queue.js';

describe('PruneQueue', () => {
  it('prunes from the oldest entry set, and stops at the first it keeps', () => {
    const map = new Map<string, number>();
    const queue = new PruneQueue(map);
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) queue.set(key, i);
    const asked: number[] = [];
    queue.prune((value) => {
      asked.push(value);
      return value < 2;
    });
    expect(asked).toEqual([0, 1, 2]);
    expect([...map.keys()]).toEqual(['c', 'd']);
  });

  it('treats an entry set again as new: its older place is skipped, never pruned', () => {
    const map = new Map<string, { v: number }>();
    const queue = new PruneQueue(map);
    queue.set('a', { v: 1 });
    queue.set('b', { v: 2 });
    queue.set('a', { v: 3 });
    const asked: number[] = [];
    // Drop everything: each live entry is asked once, in the order it was last set.
    queue.prune(({ v }) => {
      asked.push(v);
      return true;
    });
    expect(asked).toEqual([2, 3]);
    expect(map.size).toBe(0);
    expect(queue.queued).toBe(0);
  });

  it('keeps its stale places bounded when one key is set again and again without pruning', () => {
    const map = new Map<string, { v: number }>();
    const queue = new PruneQueue(map);
    for (let v = 0; v < 100_000; v++) queue.set(`k${v % 10}`, { v });
    expect(map.size).toBe(10);
    // At most twice the live entries plus the slack before a compaction, not one place per set.
    expect(queue.queued).toBeLessThanOrEqual(2 * 10 + 1024 + 1);
    const asked: number[] = [];
    queue.prune(({ v }) => {
      asked.push(v);
      return true;
    });
    expect(asked).toEqual(Array.from({ length: 10 }, (_, i) => 99_990 + i));
  });
});
