import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/command.js';
import { parseDemoArgs } from '../../../src/cli/demo/demo-args.js';
import { DEFAULT_INSPECT_PORT } from '../../../src/cli/demo/demo-inspect.js';

describe('parseDemoArgs', () => {
  it('runs a dozen jobs at ×20 with seed 1 by default', () => {
    expect(parseDemoArgs([])).toEqual({
      count: 12,
      seed: 1,
      speed: 20,
      json: false,
      inspect: false,
      inspectUrl: undefined,
      inspectPort: DEFAULT_INSPECT_PORT,
    });
  });

  it('reads every option', () => {
    expect(
      parseDemoArgs([
        '--jobs',
        '18',
        '--seed',
        '7',
        '--speed',
        '2.5',
        '--json',
        '--inspect',
        '--inspect-port',
        '9000',
        '--inspect-url',
        'ws://127.0.0.1:9001',
      ]),
    ).toEqual({
      count: 18,
      seed: 7,
      speed: 2.5,
      json: true,
      inspect: true,
      inspectUrl: 'ws://127.0.0.1:9001',
      inspectPort: 9000,
    });
  });

  it.each([
    [['--jobs', '0']],
    [['--jobs', '61']],
    [['--seed', '-1']],
    [['--seed', String(2 ** 32)]],
    [['--speed', '0']],
    [['--inspect-port', '70000']],
    [['--frobnicate']],
  ])('refuses %j with a usage error', (argv) => {
    expect(() => parseDemoArgs(argv)).toThrow(UsageError);
  });
});
