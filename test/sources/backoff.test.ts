import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors/index.js';
import {
  type BackoffPolicy,
  backoffSchedule,
  baseDelay,
  DEFAULT_POLL_BACKOFF,
  MAX_TIMER_MS,
  nextDelay,
  resolveBackoff,
} from '../../src/sources/backoff.js';
import { seededRandom } from '../helpers/source-context.js';

const policyArb: fc.Arbitrary<BackoffPolicy> = fc
  .record({
    initialDelayMs: fc.integer({ min: 1, max: 10_000 }),
    factor: fc.double({ min: 1, max: 4, noNaN: true }),
    extra: fc.integer({ min: 0, max: 120_000 }),
    floorShare: fc.double({ min: 0.01, max: 1, noNaN: true }),
    jitter: fc.constantFrom('none' as const, 'full' as const, 'equal' as const),
  })
  .map(({ initialDelayMs, factor, extra, floorShare, jitter }) =>
    resolveBackoff({
      initialDelayMs,
      factor,
      maxDelayMs: initialDelayMs + extra,
      jitter,
      minDelayMs: Math.max(initialDelayMs * floorShare, 0.001),
    }),
  );
const attemptArb = fc.integer({ min: 0, max: 80 });
const unitArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('resolveBackoff', () => {
  it("defaults to the seed's numbers without jitter (the measured best) and a 100 ms floor", () => {
    expect(resolveBackoff()).toEqual({
      initialDelayMs: 500,
      factor: 1.5,
      maxDelayMs: 5000,
      jitter: 'none',
      minDelayMs: 100,
    });
    expect(DEFAULT_POLL_BACKOFF).toEqual(resolveBackoff());
  });

  it('derives the floor from a short initial delay', () => {
    expect(resolveBackoff({ initialDelayMs: 40 }).minDelayMs).toBe(40);
  });

  it.each([
    [{ initialDelayMs: -1 }],
    [{ initialDelayMs: 0 }],
    [{ initialDelayMs: Number.NaN }],
    [{ initialDelayMs: Number.POSITIVE_INFINITY }],
    [{ factor: 0.9 }],
    [{ factor: Number.NaN }],
    [{ maxDelayMs: 400 }],
    [{ maxDelayMs: MAX_TIMER_MS + 1 }],
    [{ minDelayMs: 0 }],
    [{ minDelayMs: 600 }],
    [{ jitter: 'decorrelated' }],
    [{ initialDelayMs: '500' }],
  ])('rejects %j with a ConfigurationError', (options) => {
    expect(() => resolveBackoff(options as never)).toThrow(ConfigurationError);
  });

  it('names the option in the message', () => {
    expect(() => resolveBackoff({ factor: 0.5 }, undefined, 'poll()')).toThrow(/poll\(\): factor must be/);
  });
});

describe('nextDelay', () => {
  it("without jitter reproduces the seed's delays, rounded up to whole ms", () => {
    const policy = resolveBackoff({ jitter: 'none' });
    const delays = Array.from({ length: 8 }, (_, n) => nextDelay(policy, n, { random: () => 0.5 }));
    expect(delays).toEqual([500, 750, 1125, 1688, 2532, 3797, 5000, 5000]);
  });

  it('full jitter spans [floor, base]; equal jitter spans [base/2, base]', () => {
    const full = resolveBackoff({ jitter: 'full' });
    const equal = resolveBackoff({ jitter: 'equal' });
    expect(nextDelay(full, 10, { random: () => 0 })).toBe(100);
    expect(nextDelay(full, 10, { random: () => 0.999999 })).toBe(5000);
    expect(nextDelay(equal, 10, { random: () => 0 })).toBe(2500);
    expect(nextDelay(equal, 10, { random: () => 0.999999 })).toBe(5000);
  });

  it('survives a random source that returns garbage', () => {
    const policy = resolveBackoff();
    for (const r of [Number.NaN, -1, 2, Number.POSITIVE_INFINITY]) {
      const delay = nextDelay(policy, 3, { random: () => r });
      expect(delay).toBeGreaterThanOrEqual(100);
      expect(delay).toBeLessThanOrEqual(1688);
    }
  });

  it('never goes below the floor, nor above the capped base (or the hint)', () => {
    fc.assert(
      fc.property(policyArb, attemptArb, unitArb, (policy, attempt, r) => {
        const delay = nextDelay(policy, attempt, { random: () => r });
        expect(delay).toBeGreaterThanOrEqual(policy.minDelayMs);
        expect(delay).toBeLessThanOrEqual(Math.ceil(baseDelay(policy, attempt)));
        expect(delay).toBeLessThanOrEqual(Math.ceil(policy.maxDelayMs));
        if (policy.jitter === 'equal') expect(delay).toBeGreaterThanOrEqual(baseDelay(policy, attempt) / 2);
        if (policy.jitter === 'none') expect(delay).toBe(Math.ceil(baseDelay(policy, attempt)));
      }),
    );
  });

  it('keeps jitter after the cap', () => {
    const policy = resolveBackoff({ jitter: 'full' });
    const random = seededRandom(7);
    const capped = new Set(Array.from({ length: 20 }, () => nextDelay(policy, 50, { random })));
    expect(capped.size).toBeGreaterThan(10);
  });

  it('has a non-decreasing base', () => {
    fc.assert(
      fc.property(policyArb, attemptArb, (policy, attempt) => {
        expect(baseDelay(policy, attempt + 1)).toBeGreaterThanOrEqual(baseDelay(policy, attempt));
        expect(baseDelay(policy, attempt)).toBeLessThanOrEqual(policy.maxDelayMs);
      }),
    );
  });

  it('treats a server hint as a lower bound', () => {
    fc.assert(
      fc.property(
        policyArb,
        attemptArb,
        unitArb,
        fc.integer({ min: 0, max: 3_600_000 }),
        (policy, n, r, hint) => {
          const delay = nextDelay(policy, n, { random: () => r, hintMs: hint });
          expect(delay).toBeGreaterThanOrEqual(hint);
          expect(delay).toBe(Math.max(nextDelay(policy, n, { random: () => r }), hint));
        },
      ),
    );
  });

  it('ignores a negative or NaN hint and keeps a huge one within what a timer can hold', () => {
    const policy = resolveBackoff({ jitter: 'none' });
    expect(nextDelay(policy, 0, { random: () => 0, hintMs: -5 })).toBe(500);
    expect(nextDelay(policy, 0, { random: () => 0, hintMs: Number.NaN })).toBe(500);
    expect(nextDelay(policy, 0, { random: () => 0, hintMs: 1e15 })).toBe(MAX_TIMER_MS);
  });

  it('never schedules past the deadline, hint or not', () => {
    fc.assert(
      fc.property(
        policyArb,
        attemptArb,
        unitArb,
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: -100_000, max: 100_000 }),
        fc.option(fc.integer({ min: 0, max: 1e9 }), { nil: undefined }),
        (policy, attempt, r, now, left, hintMs) => {
          const delay = nextDelay(policy, attempt, { random: () => r, now, deadline: now + left, hintMs });
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(now + delay).toBeLessThanOrEqual(Math.max(now, now + left));
          if (left <= 0) expect(delay).toBe(0);
        },
      ),
    );
  });
});

describe('backoffSchedule', () => {
  it("lists the seed's poll times without jitter", () => {
    const policy = resolveBackoff({ jitter: 'none' });
    expect(backoffSchedule(policy, { random: Math.random, until: 10_000 })).toEqual(
      [500, 1250, 2375, 4063, 6595, 10_392].filter((t) => t < 10_000),
    );
    expect(backoffSchedule(policy, { random: Math.random, until: 4000, immediate: true })).toEqual([
      0, 500, 1250, 2375,
    ]);
  });

  it('is deterministic for a given random source, and stays before `until`', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.integer(),
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: 0, max: 600_000 }),
        (policy, seed, start, span) => {
          const a = backoffSchedule(policy, { random: seededRandom(seed), start, until: start + span });
          const b = backoffSchedule(policy, { random: seededRandom(seed), start, until: start + span });
          expect(a).toEqual(b);
          for (const [i, t] of a.entries()) {
            expect(t).toBeLessThan(start + span);
            expect(t - (a[i - 1] ?? start)).toBeGreaterThanOrEqual(policy.minDelayMs);
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('stops at maxPolls without a horizon', () => {
    expect(backoffSchedule(resolveBackoff(), { random: Math.random, maxPolls: 5 })).toHaveLength(5);
  });
});
