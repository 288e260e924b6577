import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { duration, integer, parseOrUsage, port, probability } from '../../src/cli/args.js';
import { UsageError } from '../../src/cli/command.js';

describe('args', () => {
  it('reads durations with units, and plain numbers as seconds', () => {
    expect(duration('max-wait', '500ms')).toBe(500);
    expect(duration('max-wait', '90s')).toBe(90_000);
    expect(duration('max-wait', '10m')).toBe(600_000);
    expect(duration('max-wait', '1.5h')).toBe(5_400_000);
    expect(duration('max-wait', '30')).toBe(30_000);
    expect(duration('max-wait', undefined)).toBeUndefined();
    for (const bad of ['0s', '-5s', '5 minutes', ''])
      expect(() => duration('max-wait', bad)).toThrow(UsageError);
  });

  it('reads probabilities as fractions or percentages', () => {
    expect(probability('rate-limit', '0.25')).toBe(0.25);
    expect(probability('rate-limit', '10%')).toBeCloseTo(0.1);
    expect(() => probability('rate-limit', '150%')).toThrow('--rate-limit must be a probability');
  });

  it('bounds integers and ports', () => {
    expect(integer('jobs', '12', { min: 1, max: 60 })).toBe(12);
    expect(() => integer('jobs', '61', { min: 1, max: 60 })).toThrow(
      '--jobs must be a whole number from 1 to 60',
    );
    expect(() => integer('jobs', '1.5')).toThrow(UsageError);
    expect(port('port', '0')).toBe(0);
    expect(() => port('port', '70000')).toThrow(UsageError);
  });

  it("turns parseArgs' errors into one-line usage errors", () => {
    const parse = (args: string[]) =>
      parseOrUsage(() => parseArgs({ args, options: { port: { type: 'string' } }, strict: true }));
    expect(() => parse(['--nope'])).toThrow(new UsageError("Unknown option '--nope'"));
    expect(() => parse(['--port'])).toThrow(UsageError);
  });
});
