import type { Output } from './command.js';
import { truncate } from './format.js';

/** Cursor up `n` lines to column 1; erase the line; hide / show the cursor. */
export const ANSI = {
  up: (n: number) => `\x1b[${n}A\r`,
  eraseLine: '\x1b[2K',
  hideCursor: '\x1b[?25l',
  showCursor: '\x1b[?25h',
} as const;

/** A block of lines redrawn in place on a terminal. */
export interface LiveView {
  /** Redraws now (also done every `intervalMs`). */
  draw(): void;
  /** Draws a last time, stops redrawing and shows the cursor again; the block stays on screen. */
  stop(): void;
}

/**
 * Keeps the lines `render()` returns on screen, redrawn in place: the cursor goes back up over the previous
 * block and each line is erased and rewritten. Lines are cut to the terminal's width (a wrapped line would
 * break the count), and a block taller than the terminal is cut with a last "… n more" line.
 */
export function createLiveView(
  stream: Output,
  render: () => readonly string[],
  { intervalMs = 100 }: { intervalMs?: number } = {},
): LiveView {
  let drawn = 0;
  let stopped = false;

  const draw = () => {
    if (stopped) return;
    let lines = [...render()];
    const rows = stream.rows ?? 0;
    if (rows > 2 && lines.length > rows - 1) {
      const keep = rows - 2;
      lines = [...lines.slice(0, keep), `… ${lines.length - keep} more`];
    }
    let out = drawn > 0 ? ANSI.up(drawn) : '';
    for (const line of lines)
      out += `${ANSI.eraseLine}${truncate(line, stream.columns ? stream.columns - 1 : undefined)}\n`;
    // A shorter block than last time: clear what is left below it.
    for (let i = lines.length; i < drawn; i++) out += `${ANSI.eraseLine}\n`;
    if (drawn > lines.length) out += ANSI.up(drawn - lines.length);
    drawn = lines.length;
    stream.write(out);
  };

  stream.write(ANSI.hideCursor);
  // The cursor must come back even when the process ends in the middle of a redraw.
  const restore = () => stream.write(ANSI.showCursor);
  process.once('exit', restore);
  const timer = setInterval(draw, intervalMs);
  draw();

  return {
    draw,
    stop() {
      if (stopped) return;
      draw();
      stopped = true;
      clearInterval(timer);
      process.off('exit', restore);
      restore();
    },
  };
}
