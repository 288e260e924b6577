import { describe, expect, it } from 'vitest';
import { empiricalCdf, intervalCdf, mixedCdf } from '../../src/sources/duration-distribution.js';

describe('empiricalCdf', () => {
  const dist = empiricalCdf([1000, 2000, 2000, 4000]);

  it('counts the samples at or below, and strictly below, a time', () => {
    expect(dist.atOrBelow(999)).toBe(0);
    expect(dist.atOrBelow(1000)).toBe(0.25);
    expect(dist.below(1000)).toBe(0);
    expect(dist.atOrBelow(2000)).toBe(0.75);
    expect(dist.below(2000)).toBe(0.25);
    expect(dist.atOrBelow(4000)).toBe(1);
  });

  it('ends at the longest sample', () => {
    expect(dist.end).toBe(4000);
  });
});

describe('intervalCdf', () => {
  it('spreads a lone interval evenly over it', () => {
    const cdf = intervalCdf([[1000, 3000]], 0.25);
    expect(cdf(1000)).toBe(0);
    expect(cdf(2000)).toBeCloseTo(0.5, 9);
    expect(cdf(2500)).toBeCloseTo(0.75, 9);
    expect(cdf(3000)).toBe(1);
  });

  it('puts an interval where the others say jobs end, except for the spread share', () => {
    // Nine jobs seen ending in (3 s, 4 s], one in (0, 4 s]: with no spread, the wide one follows the nine.
    const intervals = [...Array.from({ length: 9 }, () => [3000, 4000] as const), [0, 4000] as const];
    const followed = intervalCdf(intervals, 0);
    expect(followed(3000)).toBeLessThan(0.01);
    // With spread 1 every interval stays even: the wide one keeps 3/4 of its mass below 3 s.
    const even = intervalCdf(intervals, 1);
    expect(even(3000)).toBeCloseTo(0.075, 9);
    // In between, part of it stays where no finer interval looked.
    const half = intervalCdf(intervals, 0.5);
    expect(half(3000)).toBeGreaterThan(followed(3000));
    expect(half(3000)).toBeLessThan(even(3000));
  });

  it('is a distribution: 0 before the first end, 1 after the last, never decreasing', () => {
    const cdf = intervalCdf(
      [
        [0, 2500],
        [1000, 1500],
        [2000, 6000],
        [5000, 5200],
      ],
      0.25,
    );
    expect(cdf(-1)).toBe(0);
    expect(cdf(6000)).toBe(1);
    let last = 0;
    for (let x = 0; x <= 6000; x += 50) {
      expect(cdf(x)).toBeGreaterThanOrEqual(last - 1e-12);
      last = cdf(x);
    }
  });

  it('is nothing without intervals', () => {
    expect(intervalCdf([], 0.25)(1000)).toBe(0);
  });
});

describe('mixedCdf', () => {
  it('weighs exact samples and intervals by their counts', () => {
    const dist = mixedCdf([1000], [[2000, 4000]], 0.25);
    expect(dist.atOrBelow(1000)).toBe(0.5);
    expect(dist.below(1000)).toBe(0);
    expect(dist.atOrBelow(3000)).toBeCloseTo(0.75, 9);
    expect(dist.atOrBelow(4000)).toBe(1);
  });

  it('ends at the latest end of either', () => {
    expect(mixedCdf([9000], [[2000, 4000]], 0.25).end).toBe(9000);
    expect(mixedCdf([1000], [[2000, 4000]], 0.25).end).toBe(4000);
    expect(mixedCdf([], [[2000, 4000]], 0.25).end).toBe(4000);
  });
});
