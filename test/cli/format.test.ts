import { describe, expect, it } from 'vitest';
import {
  createStyle,
  formatDuration,
  jobProblem,
  paintState,
  plural,
  progressBar,
  progressUnit,
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
    // A cut line keeps its colours, and a reset closes what the cut left open.
    expect(truncate(red, 4)).toBe('\x1b[31mabc…\x1b[0m');
    expect(visibleLength(truncate(red, 4))).toBe(4);
    const style = createStyle(tty, {});
    const row = `${style.dim('#1')} ${style.green('completed')} tail`;
    expect(truncate(row, 8)).toBe('\x1b[2m#1\x1b[22m \x1b[32mcomp…\x1b[0m');
    expect(truncate('plain text', 6)).toBe('plain…');
  });

  it('paints each state by its meaning, padded after the colour', () => {
    const style = createStyle(tty, {});
    expect(paintState(style, 'completed')).toBe('\x1b[32mcompleted\x1b[39m');
    expect(paintState(style, 'failed')).toBe('\x1b[31mfailed\x1b[39m');
    expect(paintState(style, 'requires_action')).toBe('\x1b[33mrequires_action\x1b[39m');
    expect(paintState(style, 'in_progress')).toBe('\x1b[36min_progress\x1b[39m');
    expect(paintState(style, 'queued')).toBe('\x1b[2mqueued\x1b[22m');
    // Padding once made every state cyan: the padded text matched no state.
    expect(paintState(style, 'completed', 15)).toBe('\x1b[32mcompleted\x1b[39m      ');
    expect(paintState(style, 'mystery')).toBe('mystery');
  });

  it('says 1 call and 2 calls', () => {
    expect([plural(0, 'job'), plural(1, 'job'), plural(1, 'call'), plural(7, 'call')]).toEqual([
      '0 jobs',
      '1 job',
      '1 call',
      '7 calls',
    ]);
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
    const batch = progressUnit('batch');
    expect(progressBar(plain, { done: 0, completed: 0, failed: 0, total: 10 }, batch, 10)).toBe(
      '░░░░░░░░░░ 0/10 requests',
    );
    expect(progressBar(plain, { done: 7, completed: 5, failed: 2, total: 10 }, batch, 10)).toBe(
      '███████░░░ 7/10 requests (2 failed)',
    );
    expect(progressBar(plain, { done: 10, completed: 10, failed: 0, total: 10 }, batch, 10)).toBe(
      '██████████ 10/10 requests',
    );
    // An empty batch (total 0) draws an empty bar, not NaN cells.
    expect(progressBar(plain, { done: 0, completed: 0, failed: 0, total: 0 }, batch, 4)).toBe(
      '░░░░ 0/0 requests',
    );
    // Every kind's progress in the one shape, its units named by its kind spec.
    expect(
      progressBar(
        plain,
        { done: 6, total: 8, passed: 4, failed: 1, errored: 1 },
        progressUnit('eval.run'),
        8,
      ),
    ).toBe('██████░░ 6/8 items (2 failed)');
    const files = { done: 3, total: 4, in_progress: 1, completed: 3, failed: 0, cancelled: 0 };
    expect(progressBar(plain, files, progressUnit('vector_store.file_batch'), 4)).toBe('███░ 3/4 files');
    const coloured = progressBar(
      createStyle(tty, {}),
      { done: 7, completed: 5, failed: 2, total: 10 },
      batch,
      10,
    );
    expect(coloured).toContain('\x1b[31m██\x1b[39m');
    expect(stripAnsi(coloured)).toBe('███████░░░ 7/10 requests (2 failed)');
  });

  it('names the units of progress as the kind spec says, and "units" for a kind that says nothing', () => {
    expect(progressUnit('fine_tuning.job')).toBe('steps');
    expect(progressUnit('response')).toBe('units');
    expect(progressUnit('no.such.kind')).toBe('units');
  });
});
