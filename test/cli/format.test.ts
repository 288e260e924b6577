import { describe, expect, it } from 'vitest';
import {
  createStyle,
  formatDuration,
  jobProblem,
  progressBar,
  stripAnsi,
  table,
  truncate,
  visibleLength,
} from '../../src/cli/format.js';

const tty = { isTTY: true } as Parameters<typeof createStyle>[0];
const pipe = { isTTY: false } as Parameters<typeof createStyle>[0];

describe('format', () => {
  it('colours only a terminal, and never with NO_COLOR', () => {
    expect(createStyle(tty, {}).red('x')).toBe('\x1b[31mx\x1b[39m');
    expect(createStyle(tty, { NO_COLOR: '1' }).red('x')).toBe('x');
    expect(createStyle(pipe, {}).red('x')).toBe('x');
  });

  it('formats durations for people', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(125_000)).toBe('2m05s');
    expect(formatDuration(3_720_000)).toBe('1h02m');
    expect(formatDuration(-1500)).toBe('-1.5 s');
  });

  it('measures and cuts lines by what shows on screen', () => {
    const red = createStyle(tty, {}).red('abcdef');
    expect(visibleLength(red)).toBe(6);
    expect(truncate(red, 10)).toBe(red);
    expect(truncate(red, 4)).toBe('abc…');
  });

  it('aligns table columns, numbers to the right', () => {
    expect(
      table(
        ['name', 'n'],
        [
          ['a', '1'],
          ['long', '10'],
        ],
        [1],
      ),
    ).toEqual(['name   n', 'a      1', 'long  10']);
  });

  it('reads the error of a run, a response and a batch', () => {
    expect(jobProblem({ last_error: { code: 'server_error', message: 'boom' } })).toBe('server_error: boom');
    expect(jobProblem({ error: { code: null, message: 'bad' } })).toBe('bad');
    expect(jobProblem({ errors: { data: [{ code: 'invalid', message: 'line 3' }] } })).toBe(
      'invalid: line 3',
    );
    expect(jobProblem({ incomplete_details: { reason: 'max_output_tokens' } })).toBe(
      'incomplete: max_output_tokens',
    );
    expect(jobProblem({ status: 'completed' })).toBeUndefined();
  });

  it("draws a batch's progress as a bar: completed in green, failed in red, the rest dim", () => {
    const plain = createStyle(pipe, {});
    expect(progressBar(plain, { completed: 0, failed: 0, total: 10 }, 10)).toBe('░░░░░░░░░░ 0/10 requests');
    expect(progressBar(plain, { completed: 5, failed: 2, total: 10 }, 10)).toBe(
      '███████░░░ 7/10 requests (2 failed)',
    );
    expect(progressBar(plain, { completed: 10, failed: 0, total: 10 }, 10)).toBe('██████████ 10/10 requests');
    // An empty batch (total 0) draws an empty bar, not NaN cells.
    expect(progressBar(plain, { completed: 0, failed: 0, total: 0 }, 4)).toBe('░░░░ 0/0 requests');
    const coloured = progressBar(createStyle(tty, {}), { completed: 5, failed: 2, total: 10 }, 10);
    expect(coloured).toContain('\x1b[31m██\x1b[39m');
    expect(stripAnsi(coloured)).toBe('███████░░░ 7/10 requests (2 failed)');
  });
});
