import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allowedDelay,
  earliestOnTarget,
  type ResolvedDelayTarget,
  resolveDelayTarget,
} from '../../src/sources/delay-target.js';

const targets = fc.record({
  targetDelayMs: fc.integer({ min: 0, max: 60_000 }),
  targetDelay: fc.double({ min: 0, max: 2, noNaN: true }),
  coverage: fc.constant(1),
}) satisfies fc.Arbitrary<ResolvedDelayTarget>;

describe('earliestOnTarget', () => {
  it('is the shortest job a poll at t still sees on target', () => {
    fc.assert(
      fc.property(
        targets.filter((t) => t.targetDelayMs > 0 || t.targetDelay > 0),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (target, t, at) => {
          const earliest = Math.max(0, earliestOnTarget(target, t));
          // A job ending at or after it (and by t) is on target; a job ending well before it is not.
          const d = earliest + (t - earliest) * at;
          expect(t - d).toBeLessThanOrEqual(allowedDelay(target, d) + 1e-6);
          const before = earliestOnTarget(target, t) - 1;
          if (before >= 0) expect(t - before).toBeGreaterThan(allowedDelay(target, before));
        },
      ),
    );
  });
});

describe('resolveDelayTarget', () => {
  it('names the caller in what it refuses', () => {
    expect(() => resolveDelayTarget({ coverage: 0 }, 'adaptivePoll()')).toThrow(
      /^adaptivePoll\(\): coverage/,
    );
  });
});
