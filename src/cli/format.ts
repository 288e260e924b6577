import type { Progress } from '../kinds/progress.js';
import { findKindSpec } from '../kinds/registry.js';
import type { RunSnapshot, RunState } from '../model/types.js';
import type { Output } from './command.js';

/** Colour helpers; each is the identity when colours are off. */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const sgr = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;
const plain = (text: string) => text;

/** Colours on a terminal, off when `NO_COLOR` is set (any non-empty value, per no-color.org) or output is piped. */
export function createStyle(stream: Output, env: NodeJS.ProcessEnv): Style {
  const enabled = Boolean(stream.isTTY) && !env.NO_COLOR;
  const pick = (fn: (text: string) => string) => (enabled ? fn : plain);
  return {
    enabled,
    bold: pick(sgr(1, 22)),
    dim: pick(sgr(2, 22)),
    red: pick(sgr(31, 39)),
    green: pick(sgr(32, 39)),
    yellow: pick(sgr(33, 39)),
    cyan: pick(sgr(36, 39)),
  };
}

// CSI sequences (colours, cursor moves) take no room on screen.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** The text without ANSI sequences. */
export const stripAnsi = (text: string): string => text.replace(ANSI, '');

/** How many columns the text takes on screen. */
export const visibleLength = (text: string): number => [...stripAnsi(text)].length;

/** Pads to `width` visible columns, on the right (default) or the left. */
export function pad(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleLength(text)));
  return align === 'left' ? text + fill : fill + text;
}

// One escape sequence at a given position (sticky), for walking a line character by character.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point
const ANSI_AT = /\x1b\[[0-9;?]*[A-Za-z]/y;

/**
 * Cuts a line to `width` columns, ending it with `…`. Colours are kept: escape sequences are copied whole (they
 * take no room), and a reset closes whatever the cut left open.
 */
export function truncate(line: string, width: number | undefined): string {
  if (!width || visibleLength(line) <= width) return line;
  let out = '';
  let shown = 0;
  let styled = false;
  for (let i = 0; i < line.length && shown < width - 1; ) {
    ANSI_AT.lastIndex = i;
    const sequence = ANSI_AT.exec(line);
    if (sequence) {
      out += sequence[0];
      styled = true;
      i += sequence[0].length;
      continue;
    }
    const char = String.fromCodePoint(line.codePointAt(i)!);
    out += char;
    i += char.length;
    shown++;
  }
  return `${out}…${styled ? '\x1b[0m' : ''}`;
}

/** A count with its noun: `1 call`, `2 calls`, `0 jobs`. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Aligned columns with a header row; `right` lists the columns aligned to the right (numbers). */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly number[] = [],
) {
  const widths = header.map((h, i) =>
    Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => pad(c, widths[i]!, right.includes(i) ? 'right' : 'left'))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** A duration for people: `850 ms`, `12.3 s`, `2m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(abs / 1000);
  if (totalSeconds < 3600) {
    return `${sign}${Math.floor(totalSeconds / 60)}m${String(totalSeconds % 60).padStart(2, '0')}s`;
  }
  const minutes = Math.round(totalSeconds / 60);
  return `${sign}${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** The time of an event, ISO 8601 in UTC with milliseconds. */
export const timestamp = (epochMs: number): string => new Date(epochMs).toISOString();

const COLOUR_BY_STATE: Readonly<Record<RunState, keyof Omit<Style, 'enabled'>>> = {
  queued: 'dim',
  in_progress: 'cyan',
  requires_action: 'yellow',
  cancelling: 'yellow',
  completed: 'green',
  failed: 'red',
  expired: 'red',
  incomplete: 'red',
  cancelled: 'yellow',
  timed_out: 'yellow',
};

/**
 * A state in the colour of its meaning: dim queued, cyan in progress, yellow when it waits on someone or was
 * stopped (requires_action, cancelling, cancelled, timed out), green completed, red failed/expired/incomplete.
 * `width` pads it with spaces after the colour, so a padded state keeps its colour.
 */
export function paintState(style: Style, state: RunState | string, width = 0): string {
  const colour = COLOUR_BY_STATE[state as RunState] as keyof Omit<Style, 'enabled'> | undefined;
  return pad(colour ? style[colour](state) : state, width);
}

interface ErrorLike {
  code?: string | null;
  message?: string | null;
}

/**
 * What went wrong, from the API object: a run's `last_error`, a response's `error`, a batch's first
 * `errors.data[]`, or `incomplete_details.reason`. Undefined when the object says nothing.
 */
export function jobProblem(job: unknown): string | undefined {
  if (typeof job !== 'object' || job === null) return undefined;
  const j = job as {
    last_error?: ErrorLike | null;
    error?: ErrorLike | null;
    errors?: { data?: ErrorLike[] } | null;
    incomplete_details?: { reason?: string | null } | null;
  };
  const error = j.last_error ?? j.error ?? j.errors?.data?.[0];
  if (error?.message) return error.code ? `${error.code}: ${error.message}` : error.message;
  if (j.incomplete_details?.reason) return `incomplete: ${j.incomplete_details.reason}`;
  return undefined;
}

/** The tool calls a run waits for, as `name(args)`, shortened. */
export function describeToolCalls(snapshot: RunSnapshot): string {
  return snapshot.pendingToolCalls
    .map((call) => {
      const args = call.arguments.length > 40 ? `${call.arguments.slice(0, 39)}…` : call.arguments;
      return `${call.name}(${args})`;
    })
    .join(', ');
}

// The kind's counts of work that went wrong, when it has them.
const count = (progress: object, key: string): number => {
  const n = (progress as Record<string, unknown>)[key];
  return typeof n === 'number' ? n : 0;
};

/** What the units of a kind's progress are called: its spec says (`runstate/kinds` kinds too). */
export const progressUnit = (kind: string): string => findKindSpec(kind)?.progressUnit ?? 'units';

/**
 * A job's progress as a bar of `width` cells and counts: `███████░░░ 7/10 requests (1 failed)`. Work done well
 * fills green, failed (or errored) work red (when colours are on; the counts say it either way).
 */
export function progressBar<P extends Progress>(style: Style, progress: P, unit: string, width = 20): string {
  const { done, total } = progress;
  const failed = count(progress, 'failed') + count(progress, 'errored');
  const cells = (n: number) => (total > 0 ? Math.round((Math.min(n, total) / total) * width) : 0);
  const filled = cells(done);
  const red = Math.min(filled, cells(failed));
  const bar =
    style.green('█'.repeat(filled - red)) +
    style.red('█'.repeat(red)) +
    style.dim('░'.repeat(width - filled));
  return `${bar} ${done}/${total} ${unit}${failed > 0 ? ` (${failed} failed)` : ''}`;
}
