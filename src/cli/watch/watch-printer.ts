import { isTerminal } from '../../model/states.js';
import type { RunSnapshot } from '../../model/types.js';
import type { CliIo } from '../command.js';
import {
  describeToolCalls,
  formatDuration,
  jobProblem,
  paintState,
  progressBar,
  progressUnit,
  type Style,
  timestamp,
} from '../format.js';
import { ANSI } from '../live-view.js';

/** Prints transitions, as text or JSON lines; with `streaming`, also the text as it grows, and the source's notes. */
export function createPrinter(io: CliIo, style: Style, json: boolean, maxWaitMs: number, streaming = false) {
  let lastKey: string | undefined;
  let lastStateKey: string | undefined;
  let lastPhaseKey: string | undefined;
  const tty = io.stdout.isTTY === true && !json && !streaming;
  // The last line written is a transition line with counts, with nothing under it.
  let redrawable = false;
  let printed = '';
  let textOpen = false;
  let lastNote: string | undefined;
  /** The text not printed yet (all of it when the text does not continue what was printed). */
  const newText = (text: string | undefined) => {
    if (!text || text === printed) return '';
    const delta = text.startsWith(printed) ? text.slice(printed.length) : text;
    printed = text;
    return delta;
  };
  return (
    s: Pick<
      RunSnapshot,
      | 'kind'
      | 'state'
      | 'status'
      | 'source'
      | 'at'
      | 'calls'
      | 'done'
      | 'job'
      | 'pendingToolCalls'
      | 'missingHandlers'
      | 'progress'
      | 'text'
      | 'textLength'
    > & { note?: string },
  ) => {
    // A job's counts moving (a batch's requests, an eval's items) is a transition too, even within one status.
    const counts = s.progress ? Object.values(s.progress).join('/') : '';
    const phaseKey = [s.state, s.status, s.pendingToolCalls.map((c) => c.id).join(','), s.done].join('|');
    const stateKey = `${phaseKey}|${counts}`;
    const key = streaming ? `${stateKey}|${s.textLength}|${s.note}` : stateKey;
    if (key === lastKey) return;
    const transition = stateKey !== lastStateKey;
    // Only the counts moved, right under the line that showed them: on a terminal that line is redrawn in place.
    const redraw = transition && redrawable && phaseKey === lastPhaseKey;
    lastKey = key;
    lastStateKey = stateKey;
    lastPhaseKey = phaseKey;
    const problem = s.done && s.state !== 'completed' ? jobProblem(s.job) : undefined;
    const delta = streaming ? newText(s.text) : '';
    if (json) {
      const line = {
        at: timestamp(s.at),
        state: s.state,
        status: s.status,
        source: s.source ?? null,
        calls: s.calls,
        done: s.done || isTerminal(s.state),
        ...(problem ? { error: problem } : {}),
        ...(s.pendingToolCalls.length ? { toolCalls: s.pendingToolCalls } : {}),
        ...(s.progress ? { progress: s.progress } : {}),
        ...(streaming && s.textLength !== undefined ? { delta, textLength: s.textLength } : {}),
        ...(streaming && s.note ? { note: s.note } : {}),
      };
      io.stdout.write(`${JSON.stringify(line)}\n`);
      return;
    }
    // The text runs on as it comes; a transition or a note starts on a line of its own.
    if (delta) {
      io.stdout.write(delta);
      textOpen = true;
    }
    const note = streaming && s.note !== lastNote ? s.note : undefined;
    lastNote = s.note;
    if (!transition && !note) return;
    if (textOpen) {
      io.stdout.write('\n');
      textOpen = false;
    }
    if (note) io.stdout.write(style.dim(`  note: ${note}\n`));
    if (!transition) return;
    const via = s.source ? ` via ${s.source}` : '';
    const calls = `${s.calls} call${s.calls === 1 ? '' : 's'}`;
    const bar = s.progress ? `  ${progressBar(style, s.progress, progressUnit(s.kind))}` : '';
    io.stdout.write(
      `${redraw ? `${ANSI.up(1)}${ANSI.eraseLine}` : ''}${style.dim(timestamp(s.at))}  ${paintState(style, s.state, 15)}  ${style.dim(`status ${s.status}${via}, ${calls}`)}${bar}\n`,
    );
    // The lines below come with a new state (tool calls) or a final one, never under a line of counts to redraw.
    redrawable = tty && s.progress !== undefined;
    if (s.state === 'requires_action' && s.pendingToolCalls.length > 0) {
      const expiresAt = (s.job as { expires_at?: number | null } | undefined)?.expires_at;
      const until = expiresAt ? ` before it expires at ${timestamp(expiresAt * 1000)}` : '';
      io.stdout.write(`  waiting for tool outputs: ${describeToolCalls(s as RunSnapshot)}\n`);
      io.stdout.write(style.dim(`  runstate watch runs no tools: submit the outputs yourself${until}\n`));
    }
    if (problem) io.stdout.write(`  ${style.red('error:')} ${problem}\n`);
    if (s.state === 'timed_out') {
      io.stdout.write(
        `  gave up after ${formatDuration(maxWaitMs)}; the job is still ${s.status} (wait longer with --max-wait)\n`,
      );
    }
  };
}
