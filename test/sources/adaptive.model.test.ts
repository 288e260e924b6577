import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors/index.js';
import { createDurationModel } from '../../src/sources/duration-model.js';

describe('createDurationModel', () => {
  it('keeps the most recent durations per key, oldest first', () => {
    const model = createDurationModel({ capacity: 3 });
    for (const d of [1, 2, 3, 4, 5]) model.record(d * 1000, 'response');
    model.record(9000, 'batch');
    expect(model.samples('response')).toEqual([3000, 4000, 5000]);
    expect(model.count('response')).toBe(3);
    expect(model.samples('batch')).toEqual([9000]);
    expect(model.samples('unknown')).toEqual([]);
    expect(model.keys().sort()).toEqual(['batch', 'response']);
  });

  it('drops durations that say nothing, rather than failing a watch', () => {
    const model = createDurationModel();
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) model.record(bad, 'k');
    model.recordBetween(5000, 4000, 'k');
    model.recordBetween(Number.NaN, 4000, 'k');
    expect(model.count('k')).toBe(0);
    expect(model.keys()).toEqual([]);
  });

  it('keeps an interval as an interval, a tight one as a duration, and clips it at 0', () => {
    const model = createDurationModel();
    model.recordBetween(2000, 4000, 'k');
    model.recordBetween(3000, 3000.5, 'k');
    model.recordBetween(-50, 1000, 'k');
    expect(model.samples('k')).toEqual([[2000, 4000], 3000.5, [0, 1000]]);
  });

  it('reads quantiles (intervals by their midpoints)', () => {
    const model = createDurationModel();
    for (let i = 1; i <= 100; i++) model.record(i * 100, 'k');
    expect(model.quantile(0, 'k')).toBe(100);
    expect(model.quantile(0.5, 'k')).toBe(5100);
    expect(model.quantile(1, 'k')).toBe(10_000);
    expect(model.quantile(2, 'k')).toBeUndefined();
    expect(model.quantile(0.5, 'none')).toBeUndefined();
    model.recordBetween(0, 400_000, 'i');
    expect(model.quantile(0.5, 'i')).toBe(200_000);
  });

  it('plans from minSamples durations on, and caches the plan until 10% more arrive', () => {
    const model = createDurationModel({ minSamples: 20, caution: 0 });
    for (let i = 0; i < 19; i++) model.record(10_000 + i * 100, 'k');
    expect(model.plan('k')).toBeUndefined();
    model.record(12_000, 'k');
    const plan = model.plan('k');
    expect(plan?.times[0]).toBeGreaterThanOrEqual(10_000);
    for (let i = 0; i < 3; i++) model.record(11_000, 'k');
    expect(model.plan('k')).toBe(plan);
    model.record(11_000, 'k');
    expect(model.plan('k')).not.toBe(plan);
    // Another target is another plan.
    expect(model.plan('k', { targetDelay: 0.5 })).not.toBe(model.plan('k'));
  });

  it('serializes and restores its durations', () => {
    const model = createDurationModel({ capacity: 2 });
    model.record(1000, 'a');
    model.record(2000, 'a');
    model.record(3000, 'a');
    model.recordBetween(4000, 6000, 'b');
    const json = JSON.parse(JSON.stringify(model));
    expect(json).toEqual({ a: [2000, 3000], b: [[4000, 6000]] });
    expect(createDurationModel({ initial: json }).toJSON()).toEqual(json);
  });

  it('validates its options', () => {
    expect(() => createDurationModel({ capacity: 0 })).toThrow(ConfigurationError);
    expect(() => createDurationModel({ minSamples: 1.5 })).toThrow(ConfigurationError);
    expect(() => createDurationModel({ caution: -1 })).toThrow(ConfigurationError);
  });
});
