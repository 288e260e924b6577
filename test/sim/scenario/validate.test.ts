import { describe, expect, it } from 'vitest';
import { mergeScenario, ScenarioError } from '../../../src/sim/scenario/scenario.js';
import { resolveScenario, validateScenario } from '../../../src/sim/scenario/validate.js';

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
