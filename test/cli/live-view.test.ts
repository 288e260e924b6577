import { afterEach, describe, expect, it } from 'vitest';
import { createLiveView, type LiveView } from '../../src/cli/live-view.js';
import { terminal } from '../helpers/terminal.js';

let view: LiveView | undefined;
afterEach(() => view?.stop());

describe('createLiveView', () => {
  it('redraws the block in place: up over the previous block, erase each line, rewrite', async () => {
    const { stream, output } = terminal(80, 24);
    let n = 0;
    view = createLiveView(stream, () => [`frame ${n}`, 'second line'], { intervalMs: 1_000_000 });
    n = 1;
    view.draw();
    view.stop();
    expect(output()).toBe(
      '\x1b[?25l' +
        '\x1b[2Kframe 0\n\x1b[2Ksecond line\n' +
        '\x1b[2A\r\x1b[2Kframe 1\n\x1b[2Ksecond line\n' +
        '\x1b[2A\r\x1b[2Kframe 1\n\x1b[2Ksecond line\n' +
        '\x1b[?25h',
    );
  });

  it('cuts lines to the width and the block to the height of the terminal', () => {
    const { stream, output } = terminal(10, 4);
    view = createLiveView(stream, () => ['a'.repeat(20), 'b', 'c', 'd', 'e'], { intervalMs: 1_000_000 });
    view.stop();
    const first = output().split('\x1b[3A')[0]!;
    expect(first).toBe('\x1b[?25l\x1b[2Kaaaaaaaa…\n\x1b[2Kb\n\x1b[2K… 3 more\n');
  });
});
