import type OpenAI from 'openai';
import type { Observable, SchedulerLike } from 'rxjs';
import type { BatchProgress } from '../kinds/batch/progress.js';
import type { AnyDefinedRef, DefinedRef, jobType } from '../kinds/defined-ref.js';
import type { ExtrasByKind, JobKind, JobRef, JobTypes } from '../kinds/registry.js';
import type { KindAdapter } from '../kinds/spec.js';
import type { RunState, SourceName, StatusEvent, ToolCall } from './observation.js';

export type {
  ActiveState,
  CallOptions,
  JobState,
  JobTerminalState,
  RunState,
  SourceName,
  StatusEvent,
  TerminalState,
  ToolCall,
  ToolOutput,
} from './observation.js';
export type { AnyDefinedRef, BatchProgress, DefinedRef, JobKind, JobRef, JobTypes, KindAdapter };

/**
 * The API object a job ref stands for: `Response` for `{ kind: 'response' }`, a union for a union of refs.
 *
 * @example
 * type R = JobOf<{ kind: 'batch'; id: string }>; // Batch
 */
export type JobOf<Ref extends JobRef | AnyDefinedRef> = Ref extends { kind: infer K extends JobKind }
  ? JobTypes[K]
  : Ref extends { readonly [jobType]: infer Job }
    ? Job
    : never;

/**
 * The kind of job an API object is (`'response'` for a `Response`), or every kind for a type runstate does not
 * know (`unknown`, or a hand-written object type).
 */
export type KindOfJob<Job> = [MatchingKind<Job>] extends [never] ? JobKind : MatchingKind<Job>;

/** The kinds whose API object `Job` is (distributes over a union of objects). */
type MatchingKind<Job> = { [K in JobKind]: Job extends JobTypes[K] ? K : never }[JobKind];

/**
 * What `watchRun` emits for a job ref: `RunSnapshot<Response>` for `{ kind: 'response' }`, and for a union of
 * refs a union of snapshots that `kind` tells apart.
 */
export type SnapshotOf<Ref extends JobRef | AnyDefinedRef> = Ref extends { kind: infer K extends JobKind }
  ? RunSnapshot<JobTypes[K]>
  : Ref extends DefinedRef<infer Kind, string, infer Job>
    ? DefinedSnapshot<Kind, Job>
    : never;

/** What `watchRun` emits for a kind defined with `defineKind`: a snapshot whose `kind` is that kind's name. */
export type DefinedSnapshot<Kind extends string, Job> = Omit<RunSnapshot<Job>, 'kind'> & { kind: Kind };

/** Counts every HTTP request a watch makes, so snapshots can report `calls`. */
export interface RequestMeter {
  readonly count: number;
  add(n?: number): void;
}

/** Everything a source needs to watch one job. Created by `watchRun` for each watch. */
export interface SourceContext {
  client: OpenAI;
  job: JobRef;
  // biome-ignore lint/suspicious/noExplicitAny: adapters are heterogeneous; each kind's module is typed
  adapter: KindAdapter<any>;
  meter: RequestMeter;
  /** RxJS scheduler for every delay (inject a TestScheduler or VirtualTimeScheduler in tests). */
  scheduler: SchedulerLike;
  /** Random source in [0, 1) for jitter. */
  random: () => number;
  /** Epoch ms at which the watch gives up; sources never schedule work past it. */
  deadline: number;
  /**
   * Each emission asks the source to look again soon, restarting its schedule from the initial delay (after tool
   * outputs were submitted, or when another source just saw a change).
   */
  nudge$: Observable<void>;
  /** Aborts when the watch stops; pass it to every request. */
  signal: AbortSignal;
}

/** A source of status events for one job: `poll()`, `webhookSource(hub)`, `stream()`, `hybrid(...)`. */
export interface Source {
  readonly name: SourceName | 'hybrid';
  /** Lazily observe one job. Errors only with a `RunstateError` when the outcome cannot be known. */
  watch(ctx: SourceContext): Observable<StatusEvent>;
}

/** The result of one HTTP call made through an adapter: the object and the response headers. */
export interface Fetched<Job> {
  job: Job;
  headers: Headers;
  /** Epoch ms at which the response arrived. */
  at: number;
}

/** What `watchRun` emits: the job as last seen, and where the watch stands. */
export interface RunSnapshot<Job = unknown> {
  /** The job id (run id, response id, batch id). */
  id: string;
  /** The job's kind; on a union of snapshots (several kinds of jobs), checking it narrows `job`. */
  kind: KindOfJob<Job>;
  state: RunState;
  /** The API's own status string, verbatim; undefined before the first observation. */
  status: string | undefined;
  /** The latest API object; undefined before the first observation. */
  job: Job | undefined;
  /** Which source saw the latest change. */
  source: SourceName | undefined;
  /** Epoch ms of the event behind this snapshot. */
  at: number;
  /** HTTP requests this watch has made so far (retrieves, retries, submissions, cancels). */
  calls: number;
  /** True on the terminal snapshot. */
  done: boolean;
  /** Tool calls the run waits for that runstate has not answered (no handler, or not yet submitted). */
  pendingToolCalls: readonly ToolCall[];
  /** Names of requested tools with no handler: the run waits for the user, or expires. */
  missingHandlers: readonly string[];
  /**
   * What the state alone does not say, in a sentence: that a `timed_out` job may still be running, that the
   * watcher (not the server) declared `expired`, that the run waits for tools without handlers, that the watch
   * was stopped. Undefined when there is nothing to add.
   */
  note: string | undefined;
  /**
   * Responses: the output text so far (`output_text` of `job`). With `stream()` it grows as the model writes; the
   * terminal snapshot carries the whole text. Undefined for other kinds, and before the first observation.
   */
  text?: string;
  /** Responses: the length of `text`, in UTF-16 code units (`text.length`). */
  textLength?: number;
  /**
   * How far the job has got, in one shape for every kind that reports it (`done` out of `total`, and the kind's
   * own counts): a batch's `request_counts`, an eval run's `result_counts`, a file batch's `file_counts`, a
   * fine-tune's training steps (from its events, when its ref says `progressFrom: 'events'`). Absent for other
   * kinds and before the first read.
   */
  progress?: KindProgress;
  /** A fine-tune that is `paused`: neither ended nor running (its state stays `in_progress`). */
  paused?: boolean;
}

/** The progress the kinds `K` report, as their specs type it (never for a kind that reports none). */
export type ProgressOf<K extends JobKind> = {
  [P in K]: ExtrasByKind[P] extends { progress?: infer X }
    ? 'progress' extends keyof ExtrasByKind[P]
      ? NonNullable<X>
      : never
    : never;
}[K];

/** Every kind's progress: a union that `kind` narrows. */
export type KindProgress = ProgressOf<JobKind>;

/** What a kind may add to a snapshot: its spec's extras must be among these optional fields. */
type SnapshotExtras = Pick<RunSnapshot, 'text' | 'textLength' | 'progress' | 'paused'>;
/** Fails to compile when a kind's extras are not snapshot fields (a new extra is declared on `RunSnapshot`). */
type ExtrasFit<T extends { [K in JobKind]: SnapshotExtras }> = T;
export type KindExtrasFitSnapshots = ExtrasFit<ExtrasByKind>;
