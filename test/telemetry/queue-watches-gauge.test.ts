import { describe, expect, it } from 'vitest';
import { QueueWatchesGauge } from '../../src/telemetry/queue-watches-gauge.js';

/** An up-down counter that keeps its sums by attributes, as an SDK would. */
function counter() {
  const sums = new Map<string, number>();
  return {
    sums,
    add(value: number, attributes?: Record<string, unknown>) {
      const key = `${attributes?.kind}|${attributes?.state}`;
      sums.set(key, (sums.get(key) ?? 0) + value);
    },
  };
}

describe('QueueWatchesGauge', () => {
  it("adds the differences to reach the tally, and goes back to zero when the lease is another worker's", () => {
    const c = counter();
    const gauge = new QueueWatchesGauge();
    gauge.sync(c as never, [
      { kind: 'response', state: 'queued', count: 3 },
      { kind: 'batch', state: 'in_progress', count: 2 },
    ]);
    expect(Object.fromEntries(c.sums)).toEqual({ 'response|queued': 3, 'batch|in_progress': 2 });
    gauge.sync(c as never, [
      { kind: 'response', state: 'queued', count: 1 },
      { kind: 'response', state: 'in_progress', count: 2 },
    ]);
    expect(Object.fromEntries(c.sums)).toEqual({
      'response|queued': 1,
      'response|in_progress': 2,
      'batch|in_progress': 0,
    });
    gauge.sync(c as never, undefined);
    expect([...c.sums.values()].every((v) => v === 0)).toBe(true);
    // Closed: a late tick (its Redis read came back after the worker closed) reports nothing.
    gauge.close();
    gauge.sync(c as never, [{ kind: 'response', state: 'queued', count: 5 }]);
    expect([...c.sums.values()].every((v) => v === 0)).toBe(true);
  });

  it('starts from zero on a new counter (another SDK registered)', () => {
    const first = counter();
    const second = counter();
    const gauge = new QueueWatchesGauge();
    gauge.sync(first as never, [{ kind: 'response', state: 'queued', count: 2 }]);
    gauge.sync(second as never, [{ kind: 'response', state: 'queued', count: 2 }]);
    expect(second.sums.get('response|queued')).toBe(2);
    expect(first.sums.get('response|queued')).toBe(2);
  });
});
