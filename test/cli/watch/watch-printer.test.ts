import { describe, expect, it } from 'vitest';
import { createStyle } from '../../../src/cli/format.js';
import { ANSI } from '../../../src/cli/live-view.js';
import { createPrinter } from '../../../src/cli/watch/watch-printer.js';
import type { RunSnapshot } from '../../../src/model/types.js';
import { terminal } from '../../helpers/terminal.js';

// Output formatting only: a recording stream stands in for the terminal (watch.process.test.ts runs the real command).
const AT = Date.parse('2026-12-02T00:00:00.000Z');

function batchAt(
  seconds: number,
  state: RunSnapshot['state'],
  completed: number,
  extra: Partial<RunSnapshot> = {},
): RunSnapshot {
  return {
    id: 'batch_1',
    kind: 'batch',
    state,
    status: state,
    job: undefined,
    source: 'poll',
    at: AT + seconds * 1000,
    calls: seconds,
    done: state === 'completed',
    pendingToolCalls: [],
    missingHandlers: [],
    note: undefined,
    progress: { done: completed, completed, failed: 0, total: 10 },
    ...extra,
  } as RunSnapshot;
}

function print(isTTY: boolean, snapshots: RunSnapshot[]) {
  const { stream, output } = terminal(120, 40, isTTY);
  const printer = createPrinter(
    { stdout: stream, stderr: stream, env: { NO_COLOR: '1' } },
    createStyle(stream, { NO_COLOR: '1' }),
    false,
    60_000,
  );
  for (const s of snapshots) printer(s);
  return output();
}

const REDRAW = `${ANSI.up(1)}${ANSI.eraseLine}`;

describe("runstate watch's printer", () => {
  const batch = [
    batchAt(1, 'in_progress', 0),
    batchAt(2, 'in_progress', 3),
    batchAt(3, 'in_progress', 7),
    batchAt(4, 'completed', 10),
  ];

  it("redraws a batch's counts in place on a terminal while its status stays, and starts a line for a new one", () => {
    const lines = print(true, batch).split('\n');
    expect(lines.map((l) => l.startsWith(REDRAW))).toEqual([false, true, true, false, false]);
    expect(lines.map((l) => /(\d+)\/10 requests$/.exec(l)?.[1])).toEqual(['0', '3', '7', '10', undefined]);
    expect(lines.map((l) => /Z {2}(\w+)/.exec(l)?.[1])).toEqual([
      'in_progress',
      'in_progress',
      'in_progress',
      'completed',
      undefined,
    ]);
  });

  it('prints a line per change of the counts when piped, with no escape codes', () => {
    const out = print(false, batch);
    expect(out).not.toContain('\x1b[');
    expect(
      out
        .trim()
        .split('\n')
        .map((l) => /(\d+)\/10 requests/.exec(l)?.[1]),
    ).toEqual(['0', '3', '7', '10']);
  });
});
