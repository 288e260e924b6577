import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DueHeap } from '../../../src/internal/due-heap.js';
import { createManualClock, createScaledClock, MANUAL_CLOCK_START } from '../../../src/sim/time/clock.js';

describe('DueHeap as the clock queue', () => {
  it('pops live callbacks by due time, ties in scheduling order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.boolean()), { maxLength: 200 }),
        (entries) => {
          const q = new DueHeap<() => void>();
          const fired: number[] = [];
          entries.forEach(([at, cancel], i) => {
            const c = q.push(at, () => fired.push(i));
            if (cancel) c();
          });
          for (let fn = q.popDue(Number.POSITIVE_INFINITY); fn; fn = q.popDue(Number.POSITIVE_INFINITY)) fn();
          const expected = entries
            .map(([at, cancel], i) => ({ at, cancel, i }))
            .filter((e) => !e.cancel)
            .sort((a, b) => a.at - b.at || a.i - b.i)
            .map((e) => e.i);
          expect(fired).toEqual(expected);
          expect(q.size).toBe(0);
        },
      ),
    );
  });
});

describe('manual clock', () => {
  it('fires due callbacks in time order with now() at each due time', async () => {
    const clock = createManualClock(1000);
    const seen: string[] = [];
    clock.schedule(1300, () => seen.push(`b@${clock.now()}`));
    clock.schedule(1100, () => {
      seen.push(`a@${clock.now()}`);
      clock.schedule(1200, () => seen.push(`nested@${clock.now()}`));
    });
    const cancel = clock.schedule(1250, () => seen.push('cancelled'));
    cancel();
    clock.schedule(5000, () => seen.push('later'));
    await clock.advance(500);
    expect(seen).toEqual(['a@1100', 'nested@1200', 'b@1300']);
    expect(clock.now()).toBe(1500);
    expect(clock.pending).toBe(1);
  });

  it('runs a callback scheduled in the past on the next turn, without an advance', async () => {
    const clock = createManualClock();
    expect(clock.now()).toBe(MANUAL_CLOCK_START);
    let fired = false;
    clock.schedule(clock.now() - 10, () => {
      fired = true;
    });
    expect(fired).toBe(false);
    await new Promise((r) => setTimeout(r, 5));
    expect(fired).toBe(true);
  });

  it('serializes advances and never goes back', async () => {
    const clock = createManualClock(0);
    await Promise.all([clock.advance(10), clock.advance(20)]);
    expect(clock.now()).toBe(30);
    await expect(clock.set(5)).rejects.toThrow(RangeError);
    await expect(clock.advance(-1)).rejects.toThrow(RangeError);
    await clock.set(100);
    expect(clock.now()).toBe(100);
  });
});

describe('scaled clock', () => {
  it('runs clock time at speed × wall time and fires on it', async () => {
    // Wall time from before the clock exists: time spent between the lines below (a collection, a loaded CI
    // machine) must not shorten the wait measured.
    const wall = Date.now();
    const clock = createScaledClock(100);
    const start = clock.now();
    const fired = new Promise<number>((resolve) => clock.schedule(start + 2000, () => resolve(clock.now())));
    const at = await fired;
    expect(at).toBeGreaterThanOrEqual(start + 2000);
    expect(Date.now() - wall).toBeGreaterThanOrEqual(15);
    expect(Date.now() - wall).toBeLessThan(500);
    expect(() => createScaledClock(0)).toThrow(RangeError);
  });
});
