import { describe, expect, it } from 'vitest';
import { createRandom } from '../../../src/sim/scenario/random.js';
import { drawOutcome, sampleDuration, samplePhase } from '../../../src/sim/scenario/sample.js';
import { DEFAULT_PHASES } from '../../../src/sim/scenario/scenario.js';

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

  it('fixes a number, and times a phase the scenario leaves out by the defaults', () => {
    const random = createRandom(7);
    expect(sampleDuration(1234.4, random)).toBe(1234);
    expect(samplePhase({ phases: { queued: 42 } }, 'queued', random)).toBe(42);
    expect(samplePhase({}, 'validating', random)).toBe(DEFAULT_PHASES.validating);
    const working = samplePhase({}, 'in_progress', random);
    expect(working).toBeGreaterThanOrEqual(1000);
    expect(working).toBeLessThanOrEqual(3000);
  });

  it('draws nothing for a fixed outcome, and completes by default', () => {
    const random = createRandom(9);
    expect(drawOutcome({ outcome: 'expired' }, random)).toBe('expired');
    expect(drawOutcome({}, random)).toBe('completed');
    expect(random.next()).toBe(createRandom(9).next());
  });
});
