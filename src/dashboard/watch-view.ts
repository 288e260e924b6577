import type { RunSnapshot, RunState } from '../model/types.js';

/**
 * What the dashboard shows of one watch: a projection of its snapshot that leaves out the API object, and with it
 * anything a job carries that the page has no business showing. Tool arguments only when asked for.
 */
export interface WatchView {
  /** Where the page finds the watch again (its job id). */
  key: string;
  kind: string;
  state: RunState;
  status: string | null;
  /** Epoch ms the watch started (or was first seen), for its age. */
  startedAt: number;
  /** Epoch ms of the snapshot. */
  at: number;
  calls: number;
  done: boolean;
  note: string | null;
  /** A progress bar, where the kind has progress (its spec adds `progress` to snapshots: batches). */
  progress: { completed: number; failed: number; total: number } | null;
  /** The text so far of a streamed response, where the kind writes text. */
  text: string | null;
  /** The tools the job waits for, by name; their arguments only with `showToolArguments`. */
  toolCalls: { name: string; arguments?: string }[];
  /** The job's own error message, when it has one. */
  error: string | null;
}

/** Options of the projection. */
export interface WatchViewOptions {
  /**
   * Show the arguments of the tool calls a run waits for (the model wrote them; they can hold what users typed).
   *
   * @defaultValue `false`
   */
  showToolArguments?: boolean;
}

const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function progressOf(snapshot: RunSnapshot): WatchView['progress'] {
  const p = (snapshot as { progress?: { completed?: unknown; failed?: unknown; total?: unknown } }).progress;
  if (!p || typeof p !== 'object' || count(p.total) <= 0) return null;
  return { completed: count(p.completed), failed: count(p.failed), total: count(p.total) };
}

type ErrorLike = { message?: unknown } | null | undefined;

/** The job's own error: a run's `last_error`, a response's `error`, a batch's first `errors.data` entry. */
function errorOf(job: unknown): string | null {
  const j = job as
    | { error?: ErrorLike; last_error?: ErrorLike; errors?: { data?: ErrorLike[] } | null }
    | undefined;
  const message = (j?.last_error ?? j?.error ?? j?.errors?.data?.[0])?.message;
  return typeof message === 'string' ? message : null;
}

/** The view of a snapshot. Every string in it came from a job: the page writes them as text, never as HTML. */
export function toWatchView(
  snapshot: RunSnapshot,
  startedAt: number,
  options: WatchViewOptions = {},
): WatchView {
  const text = (snapshot as { text?: unknown }).text;
  return {
    key: snapshot.id,
    kind: snapshot.kind,
    state: snapshot.state,
    status: snapshot.status ?? null,
    startedAt,
    at: snapshot.at,
    calls: snapshot.calls,
    done: snapshot.done,
    note: snapshot.note ?? null,
    progress: progressOf(snapshot),
    text: typeof text === 'string' ? text : null,
    toolCalls: snapshot.pendingToolCalls.map((c) =>
      options.showToolArguments ? { name: c.name, arguments: c.arguments } : { name: c.name },
    ),
    error: errorOf(snapshot.job),
  };
}
