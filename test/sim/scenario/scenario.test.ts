import { describe, expect, it } from 'vitest';
import { Plan } from '../../../src/sim/jobs/plan.js';
import { createRandom } from '../../../src/sim/scenario/random.js';
import {
  drawOutcome,
  mergeScenario,
  resolveScenario,
  ScenarioError,
  sampleDuration,
  validateScenario,
} from '../../../src/sim/scenario/scenario.js';
import { formatResetDuration, RateLimiter } from '../../../src/sim/server/rate-limiter.js';

describe('scenario validation', () => {
  it.each([
    [{ phases: { queued: -1 } }, 'scenario.phases.queued: expected a duration'],
    [{ phases: { queued: [5, 1] } }, 'scenario.phases.queued: expected [min, max] with 0 <= min <= max'],
    [{ phases: { waiting: 1 } }, 'scenario.phases.waiting: expected a phase'],
    [{ phases: { in_progress: { dist: 'lognormal', median: 10 } } }, 'scenario.phases.in_progress'],
    [{ outcome: 'done' }, 'scenario.outcome: expected one of completed, failed'],
    [{ outcome: { completed: 0 } }, 'scenario.outcome'],
    [{ toolCalls: [[]] }, 'scenario.toolCalls[0]: expected a non-empty array'],
    [{ toolCalls: [[{ name: 'f', arguments: 3 }]] }, 'scenario.toolCalls[0][0].arguments'],
    [{ expiresAfterMs: 0 }, 'scenario.expiresAfterMs'],
    [{ colour: 'red' }, 'scenario.colour: expected one of the keys'],
    ['fast', 'scenario: expected an object'],
  ])('refuses %j', (value, message) => {
    expect(() => validateScenario(value)).toThrow(ScenarioError);
    expect(() => validateScenario(value)).toThrow(message);
  });

  it('accepts every documented form', () => {
    const scenario = {
      phases: {
        queued: 100,
        in_progress: [1, 2],
        validating: { dist: 'uniform', min: 1, max: 2 },
        finalizing: { dist: 'lognormal', median: 8000, sigma: 0.8, max: 60_000 },
        cancelling: { dist: 'exponential', mean: 100 },
      },
      toolCalls: [
        [
          { name: 'f', arguments: { a: 1 } },
          { name: 'g', arguments: '{}' },
        ],
        [{ name: 'h' }],
      ],
      outcome: { completed: 9, failed: 1 },
      error: { code: 'server_error', message: 'x' },
      incompleteReason: 'max_prompt_tokens',
      expiresAfterMs: 1000,
      submitLagMs: [0, 100],
      reply: 'hi',
      requests: 3,
    };
    expect(validateScenario(scenario)).toBe(scenario);
  });

  it('merges a per-job override over the default, phases key by key', () => {
    const base = { phases: { queued: 1, in_progress: 2 }, outcome: 'failed' as const, reply: 'base' };
    expect(resolveScenario('{"phases":{"queued":5}}', base, {})).toEqual({
      phases: { queued: 5, in_progress: 2 },
      outcome: 'failed',
      reply: 'base',
    });
    expect(resolveScenario('slow', base, { slow: { phases: { in_progress: 9 } } }).phases).toEqual({
      queued: 1,
      in_progress: 9,
    });
    expect(resolveScenario(undefined, base, {})).toBe(base);
    expect(mergeScenario({}, { outcome: 'expired' })).toEqual({ outcome: 'expired', phases: {} });
  });
});

describe('sampling', () => {
  it('draws durations within bounds, and lognormal around its median', () => {
    const random = createRandom(3);
    for (let i = 0; i < 200; i++) {
      const d = sampleDuration([100, 200], random);
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThanOrEqual(200);
      expect(sampleDuration({ dist: 'exponential', mean: 100, max: 150 }, random)).toBeLessThanOrEqual(150);
    }
    const draws = Array.from({ length: 2001 }, () =>
      sampleDuration({ dist: 'lognormal', median: 8000, sigma: 0.8 }, random),
    ).sort((a, b) => a - b);
    expect(draws[1000]).toBeGreaterThan(7000);
    expect(draws[1000]).toBeLessThan(9000);
  });

  it('draws weighted outcomes in proportion', () => {
    const random = createRandom(5);
    const n = 4000;
    let failed = 0;
    for (let i = 0; i < n; i++)
      if (drawOutcome({ outcome: { completed: 3, failed: 1 } }, random) === 'failed') failed++;
    expect(failed / n).toBeGreaterThan(0.2);
    expect(failed / n).toBeLessThan(0.3);
  });
});

describe('Plan', () => {
  it('reads the status at any time and replans only the future', () => {
    const plan = new Plan<string>({ status: 'queued', at: 0 }, [
      { status: 'in_progress', at: 10 },
      { status: 'completed', at: 50 },
    ]);
    expect([plan.statusAt(-5), plan.statusAt(9), plan.statusAt(10), plan.statusAt(50)]).toEqual([
      'queued',
      'queued',
      'in_progress',
      'completed',
    ]);
    plan.replan(20, [
      { status: 'cancelling', at: 20 },
      { status: 'cancelled', at: 5 },
    ]);
    expect(plan.reachedBy(100)).toEqual([
      { status: 'queued', at: 0 },
      { status: 'in_progress', at: 10 },
      { status: 'cancelling', at: 20 },
      { status: 'cancelled', at: 20 },
    ]);
  });
});

describe('rate limiter', () => {
  it('formats reset durations like OpenAI', () => {
    expect([12, 1000, 1500, 360_000, 3_723_000].map(formatResetDuration)).toEqual([
      '12ms',
      '1s',
      '1.5s',
      '6m0s',
      '1h2m3s',
    ]);
  });

  it('allows a burst of rpm, then one request per 60/rpm seconds; reset is always the time to a full bucket', () => {
    const limiter = new RateLimiter({ rpm: 120, tpm: 1000 }, 0);
    for (let i = 0; i < 120; i++) expect(limiter.take(0, 0).ok).toBe(true);
    const refused = limiter.take(0, 0);
    expect(refused).toMatchObject({ ok: false, refusedBy: 'requests', retryAfterMs: 500 });
    expect(limiter.headers(0)).toMatchObject({
      'x-ratelimit-limit-requests': '120',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1m0s',
    });
    expect(limiter.take(0, 499).ok).toBe(false);
    expect(limiter.take(0, 500).ok).toBe(true);
    // Half a minute later 60 requests are back, and the bucket is full 30 s after that.
    expect(limiter.headers(30_500)).toMatchObject({
      'x-ratelimit-remaining-requests': '60',
      'x-ratelimit-reset-requests': '30s',
    });
  });

  it('refuses a request whose tokens the tokens bucket does not have, taking nothing', () => {
    const limiter = new RateLimiter({ rpm: 100, tpm: 1000 }, 0);
    expect(limiter.take(900, 0).ok).toBe(true);
    expect(limiter.take(200, 0)).toMatchObject({ ok: false, refusedBy: 'tokens', retryAfterMs: 6000 });
    expect(limiter.headers(0)).toMatchObject({
      'x-ratelimit-remaining-requests': '99',
      'x-ratelimit-remaining-tokens': '100',
      'x-ratelimit-reset-tokens': '54s',
    });
  });
});
