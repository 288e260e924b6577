import type OpenAI from 'openai';
import type { Batch } from 'openai/resources/batches';
import type { Run } from 'openai/resources/beta/threads/runs/runs';
import type { Response } from 'openai/resources/responses/responses';
import type { Observable, SchedulerLike } from 'rxjs';

/** The kinds of asynchronous OpenAI job runstate can watch. */
export type JobKind = 'assistants.run' | 'response' | 'batch';

/** Which job to watch: its kind and ids. */
export type JobRef =
  | { kind: 'assistants.run'; threadId: string; runId: string }
  | { kind: 'response'; id: string }
  | { kind: 'batch'; id: string };

/** The API object each kind of job is, as the `openai` SDK types it: what `snapshot.job` holds. */
export interface JobTypes {
  'assistants.run': Run;
  response: Response;
  batch: Batch;
}

/**
 * The API object a job ref stands for: `Response` for `{ kind: 'response' }`, a union for a union of refs.
 *
 * @example
 * type R = JobOf<{ kind: 'batch'; id: string }>; // Batch
 */
export type JobOf<Ref extends JobRef> = Ref extends { kind: infer K extends JobKind } ? JobTypes[K] : never;

/**
 * The kind of job an API object is (`'response'` for a `Response`), or every kind for a type runstate does not
 * know (`unknown`, or a hand-written object type).
 */
export type KindOfJob<Job> = Job extends Response
  ? 'response'
  : Job extends Batch
    ? 'batch'
    : Job extends Run
      ? 'assistants.run'
      : JobKind;

/**
 * What `watchRun` emits for a job ref: `RunSnapshot<Response>` for `{ kind: 'response' }`, and for a union of
 * refs a union of snapshots that `kind` tells apart.
 */
export type SnapshotOf<Ref extends JobRef> = Ref extends { kind: infer K extends JobKind }
  ? RunSnapshot<JobTypes[K]>
  : never;

/** Machine states while the job is still running. */
export type ActiveState = 'queued' | 'in_progress' | 'requires_action' | 'cancelling';

/** Terminal states that the API reports. */
export type JobTerminalState = 'completed' | 'failed' | 'cancelled' | 'expired' | 'incomplete';

/** Every state the API can put a job in, mapped onto runstate's vocabulary. */
export type JobState = ActiveState | JobTerminalState;

/** Terminal states, including the watcher-local `timed_out` (we stopped waiting; the job may still run). */
export type TerminalState = JobTerminalState | 'timed_out';

/** The machine's state as users see it on a snapshot. */
export type RunState = ActiveState | TerminalState;

/** Where an observation came from (`replay`: a scripted or recorded status fed by `replayRun`). */
export type SourceName = 'poll' | 'webhook' | 'stream' | 'replay';

/** A function tool call that a run waits for (`requires_action`). */
export interface ToolCall {
  id: string;
  name: string;
  /** The raw JSON string the model produced. */
  arguments: string;
}

/** One output for one tool call, submitted with all the others in one request. */
export interface ToolOutput {
  tool_call_id: string;
  output: string;
}

/**
 * A normalized observation of a job, as every source emits it. Sources are interchangeable: the machine only
 * sees these.
 */
export interface StatusEvent<Job = unknown> {
  type: 'status';
  /** The API's status mapped onto runstate's states; `undefined` for a status this version does not know. */
  state: JobState | undefined;
  /** The API's own status string, verbatim. */
  status: string;
  /** The latest API object (Run, Response, Batch). */
  job: Job;
  /** Epoch ms at which this observation was true (response time for a poll, event time for a webhook). */
  at: number;
  source: SourceName;
  /** The server's `expires_at` in epoch ms, or null when it has none. */
  expiresAt: number | null;
  /** Tool calls the job waits for (only in `requires_action`). */
  toolCalls: readonly ToolCall[];
  /**
   * What the source wants the snapshot to say about how it watches, in a sentence: that `stream()` fell back to
   * polling and why, that a silent stream was checked with a retrieve. Shown as the snapshot's `note` when nothing
   * weightier is to be said.
   */
  note?: string;
}

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

/** Request options runstate passes to every SDK call: no hidden SDK retries, and cancellable. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** The result of one HTTP call made through an adapter: the object and the response headers. */
export interface Fetched<Job> {
  job: Job;
  headers: Headers;
  /** Epoch ms at which the response arrived. */
  at: number;
}

/** One job kind: how to talk to its endpoints and how to read its objects. */
export interface KindAdapter<Job> {
  readonly kind: JobKind;
  /** The id webhooks and logs use for this job. */
  jobId(ref: JobRef): string;
  /** A human label: "run run_abc on thread thread_xyz". */
  describe(ref: JobRef): string;
  retrieve(client: OpenAI, ref: JobRef, options: CallOptions): Promise<{ job: Job; headers: Headers }>;
  cancel(client: OpenAI, ref: JobRef, options: CallOptions): Promise<{ job: Job; headers: Headers }>;
  /** Present only for kinds with tool calls. */
  submitToolOutputs?(
    client: OpenAI,
    ref: JobRef,
    outputs: readonly ToolOutput[],
    options: CallOptions,
  ): Promise<{ job: Job; headers: Headers }>;
  /** The status string of an object. */
  status(job: Job): string;
  /** Maps an API status onto a runstate state; undefined when unknown. */
  mapStatus(status: string): JobState | undefined;
  /** Server expiry as epoch ms, or null. */
  expiresAt(job: Job): number | null;
  toolCalls(job: Job): ToolCall[];
  /**
   * Reads a webhook event type (`response.completed`, `batch.failed`, the simulator's `thread.run.completed`):
   * the status it announces, or undefined when the type is not of this kind.
   */
  webhookStatus(type: string): string | undefined;
}

/** A batch's progress, from its `request_counts`: requests done (`completed`, `failed`) out of `total`. */
export interface BatchProgress {
  completed: number;
  failed: number;
  total: number;
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
  /** A batch's progress, from its latest `request_counts`; absent for other kinds and before the first read. */
  progress?: BatchProgress;
}
