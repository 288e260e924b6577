import type { RunState } from '../model/observation.js';

/**
 * Lifecycle order of the states, as the machine ranks observations (machines/run.machine.ts): a snapshot of a
 * lower rank never follows one of a higher rank. Written out again here because this module runs in browsers and
 * must not import the machine; the `Record` makes the compiler name a state added there and missing here.
 */
const RANK: Record<RunState, number> = {
  queued: 0,
  in_progress: 1,
  requires_action: 1,
  cancelling: 2,
  completed: 3,
  failed: 3,
  cancelled: 3,
  expired: 3,
  incomplete: 3,
  timed_out: 3,
};

/** What of a snapshot orders it: the fields every watch's snapshots grow along. */
export interface Orderable {
  state: RunState;
  at: number;
  done: boolean;
  textLength?: number | undefined;
  /** Every kind's progress has `done`; `completed` and `failed` are what ids made before it counted (batches). */
  progress?: { done?: number; completed?: number; failed?: number } | undefined;
}

/**
 * The event id of a snapshot: the state's rank, how far the job got within that state (a response's
 * `textLength`, a batch's requests done), `at`, and `done`, joined by dots and compared in that order. Each of
 * them only grows along one watch, so the id orders snapshots without a counter: two server instances observing
 * one queued job give one snapshot the same id, and a browser reconnecting to either resumes where it was. Rank
 * and progress come before time so that a fresh watch of the same job (its `queued` start, a stream replayed from
 * its first event) orders before what the reader already has, and the reader never sees a state or text go back.
 *
 * @example snapshotEventId({ state: 'in_progress', at: 1733480000000, done: false, textLength: 42 }); // '1.42.1733480000000.0'
 */
export function snapshotEventId(s: Orderable): string {
  const p = s.progress;
  const within = s.textLength ?? (p ? (p.done ?? (p.completed ?? 0) + (p.failed ?? 0)) : 0);
  return `${RANK[s.state] ?? 0}.${within}.${s.at}.${s.done ? 1 : 0}`;
}

function parts(id: string): number[] | undefined {
  const p = id.split('.').map(Number);
  return p.length === 4 && p.every(Number.isFinite) ? p : undefined;
}

/**
 * True when the snapshot of event id `id` comes after that of `last`. An id this module did not make (a proxy's,
 * a hand-written `Last-Event-ID`) orders before everything, so the reader gets the current snapshot.
 */
export function isNewerEventId(id: string, last: string | undefined | null): boolean {
  if (!last) return true;
  const a = parts(id);
  const b = parts(last);
  if (!b) return true;
  if (!a) return false;
  for (let i = 0; i < 4; i++) {
    if (a[i]! !== b[i]!) return a[i]! > b[i]!;
  }
  return false;
}
