import { WatchDataError } from '../errors/watch-data-error.js';
import { findKindSpec, knownKindList } from '../kinds/registry.js';
import type { JobRef, RunState } from '../model/types.js';
import { isWhenPaused, type WhenPaused } from '../watch/when-paused.js';
import type { StoredMachine } from './stored-machine.js';
import type { StoredSnapshot } from './stored-snapshot.js';

/**
 * A durable watch as data: what its BullMQ job holds between steps. Any worker restores the watch from it, so
 * nothing about a watch lives in a worker's memory.
 */
export interface WatchData {
  /** Layout version: a worker refuses data it does not know rather than guessing. */
  v: 1;
  job: JobRef;
  /** Epoch ms of `watch()`: the deadline counts from here, not from the first step. */
  startedAt: number;
  maxWaitMs: number;
  /** The machine's persisted snapshot, slim (see stored-machine.ts) or whole; absent until the first step. */
  machine?: StoredMachine;
  /** Where the poll schedule stands: its attempt counts up while the state stays `state`. */
  poll: { attempt: number; state?: RunState };
  /** HTTP requests made for this watch, by every worker. */
  calls: number;
  /** Consecutive transient failures of this watch's reads (5xx, network): they lengthen the next delay. */
  failures: number;
  /** Tool outputs by `tool_call.id`, recorded before they are submitted: a worker taking over never reruns them. */
  outputs?: Record<string, string>;
  /**
   * A submission that may have been sent (`sent`: its fate is unknown until a read), or that a read showed did
   * not land (`retry`).
   */
  submission?: { ids: string[]; fate: 'sent' | 'retry' };
  /**
   * The last published snapshot, with the full API object (kept once: the machine keeps a slim one); a step that
   * changes nothing of it publishes nothing. Here rather than in the job's progress, whose every update BullMQ
   * copies into the capped event stream: the progress event carries only a notice of the change.
   */
  snapshot?: StoredSnapshot;
  /** The W3C `traceparent` of the span that called `watch()`: every step's span joins that trace. */
  trace?: string;
  /** Wall-clock epoch ms the next step is due: how late it runs is `runstate.queue.step.lateness`. */
  dueAt?: number;
  /** `'stop'`: the watch ends on a paused job's snapshot, as in process; absent, it waits (`'wait'`). */
  whenPaused?: WhenPaused;
}

/** The data of a new watch: no machine yet, the first step creates it. */
export function newWatchData(
  job: JobRef,
  startedAt: number,
  maxWaitMs: number,
  whenPaused: WhenPaused = 'wait',
): WatchData {
  const data: WatchData = { v: 1, job, startedAt, maxWaitMs, poll: { attempt: 0 }, calls: 0, failures: 0 };
  // Stored only when it differs from the default, so that the data of every other watch stays as it was.
  if (whenPaused === 'stop') data.whenPaused = whenPaused;
  return data;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Checks a job reference from outside (a caller, or stored data); returns what is wrong, or undefined. */
export function jobProblem(job: unknown): string | undefined {
  const spec = isRecord(job) ? findKindSpec(job.kind) : undefined;
  if (!isRecord(job) || !spec) {
    return `job needs kind ${knownKindList()} (got ${JSON.stringify(isRecord(job) ? job.kind : job)}; a kind of your own must be defined in this process: createRunWorker({ kinds })`;
  }
  const problem = spec.refProblem(job as { kind: string });
  return problem && `job ${job.kind} ${problem}`;
}

/**
 * Reads a job's data as a watch. A poisoned payload (hand-edited, another version, truncated) gets a
 * {@link WatchDataError} naming what is wrong, never a crash deep inside a step.
 */
export function parseWatchData(raw: unknown, id: string): WatchData {
  const fail = (what: string) =>
    new WatchDataError(
      `watch ${id}: stored data is not a runstate watch (${what}); remove the job and watch again`,
    );
  if (!isRecord(raw)) throw fail('not an object');
  if (raw.v !== 1) throw fail(`unknown layout version ${JSON.stringify(raw.v)}`);
  const problem = jobProblem(raw.job);
  if (problem) throw fail(problem);
  if (typeof raw.startedAt !== 'number' || !Number.isFinite(raw.startedAt)) throw fail('startedAt');
  if (typeof raw.maxWaitMs !== 'number' || !(raw.maxWaitMs > 0)) throw fail('maxWaitMs');
  if (!isRecord(raw.poll) || !isCount(raw.poll.attempt)) throw fail('poll');
  if (!isCount(raw.calls) || !isCount(raw.failures)) throw fail('counters');
  if (raw.machine !== undefined) {
    const m = raw.machine;
    if (!isRecord(m) || !isRecord(m.context) || m.value === undefined || typeof m.status !== 'string') {
      throw fail('machine snapshot');
    }
  }
  if (raw.outputs !== undefined) {
    if (!isRecord(raw.outputs) || Object.values(raw.outputs).some((o) => typeof o !== 'string')) {
      throw fail('outputs');
    }
  }
  if (raw.snapshot !== undefined) {
    if (!isRecord(raw.snapshot) || typeof raw.snapshot.state !== 'string') throw fail('snapshot');
  }
  if (raw.whenPaused !== undefined && !isWhenPaused(raw.whenPaused)) throw fail('whenPaused');
  if (raw.submission !== undefined) {
    const s = raw.submission;
    if (!isRecord(s) || !Array.isArray(s.ids) || (s.fate !== 'sent' && s.fate !== 'retry')) {
      throw fail('submission');
    }
  }
  return raw as unknown as WatchData;
}
