import type OpenAI from 'openai';
import type { CallOptions, JobState, ToolCall, ToolOutput } from '../model/observation.js';
import type { KindCommandLine } from './command-line.js';

/**
 * A job ref as code that serves every kind sees it: a kind, and the ids that kind names a job by. Each kind's
 * spec checks that a ref is its own before it reads an id.
 */
export interface RefLike {
  readonly kind: string;
  readonly [id: string]: unknown;
}

/**
 * The part of a kind that sources and requests talk to: its endpoints, and how to read its objects. Every
 * {@link KindSpec} is one; tests hand sources a fake one.
 */
export interface KindAdapter<Job> {
  readonly kind: string;
  /** The job's own id: what webhooks and logs name it by, `snapshot.id`, and the key of compose and the queue. */
  jobId(ref: RefLike): string;
  /** A human label: "run run_abc on thread thread_xyz". */
  describe(ref: RefLike): string;
  /**
   * A read that sends more than one request says so through `options.onExtraRequest`, and awaits it, before each
   * request beyond the first goes out.
   */
  retrieve(client: OpenAI, ref: RefLike, options: CallOptions): Promise<{ job: Job; headers: Headers }>;
  /** Requests beyond the first go through `options.onExtraRequest`, as for `retrieve`. */
  cancel(client: OpenAI, ref: RefLike, options: CallOptions): Promise<{ job: Job; headers: Headers }>;
  /** Present only for kinds with tool calls. Extra requests as for `cancel`. */
  submitToolOutputs?(
    client: OpenAI,
    ref: RefLike,
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
  /**
   * The own id of the job a verified webhook event of this kind is about (one `webhookStatus` reads), for a kind
   * whose events name it other than `data.id` (a kind defined with `defineKind`). Absent: `data.id`.
   */
  webhookJobId?(event: WebhookEventLike): string | undefined;
  /**
   * The OpenTelemetry GenAI operation that names a request of this kind, where those conventions cover it (a
   * response's retrieve is `get_response`); the request's span is then named and attributed after it.
   */
  readonly genAiOperations?: Readonly<Partial<Record<'retrieve' | 'cancel' | 'submit' | 'stream', string>>>;
}

/** A verified webhook event as a kind reads it: `{ id, type, created_at, data }` and any other top-level field. */
export interface WebhookEventLike {
  readonly type: string;
  readonly data: { readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

/**
 * The job as a webhook announced it, without a retrieve: its id, its kind's `object`, the status the event type
 * names, and the ids of what it belongs to (a run's `thread_id`). `announced: true` tells it apart from an API
 * object.
 */
export interface AnnouncedJob {
  id: string;
  /** The API object's name: `response`, `batch`, `thread.run`. */
  object: string;
  status: string;
  announced: true;
  [parentId: string]: unknown;
}

/**
 * A poll schedule as plain data: backoff fields (those left out are the default poll backoff: 500 ms, ×1.5,
 * capped at 5 s, no jitter) and a delay that grows with the job's age. `poll()` validates it; the kinds know
 * nothing of the sources.
 */
export interface PollDefaults {
  readonly initialDelayMs?: number;
  readonly factor?: number;
  readonly maxDelayMs?: number;
  readonly jitter?: 'none' | 'full' | 'equal';
  /** Each delay is at least `share` of the job's age, up to `maxDelayMs`. */
  readonly growth?: { readonly share: number; readonly maxDelayMs: number };
}

/** How a kind is watched when the caller says nothing: plain data, read by `watchRun`, `poll()` and `hybrid()`. */
export interface KindDefaults {
  /** How long a watch waits before `timed_out` (`DEFAULT_MAX_WAIT_MS`). */
  readonly maxWaitMs: number;
  /** The schedule of `poll()` (`DEFAULT_POLL_SCHEDULES`). */
  readonly poll: PollDefaults;
  /** The schedule of `hybrid()`'s safety-net poll (`HYBRID_FALLBACK_POLL`). */
  readonly hybridPoll: PollDefaults;
}

/** A kind that can stream: the request `stream()` connects (and reconnects) with. */
export interface StreamSupport<Event = unknown> {
  /**
   * Streams the job's events again from the server; with `startingAfter`, only those after that sequence number
   * (a resume after a drop). No SDK retries: the stream source owns its reconnects.
   */
  events(
    client: OpenAI,
    ref: RefLike,
    startingAfter: number | undefined,
    options: CallOptions,
  ): Promise<AsyncIterable<Event>>;
  /**
   * Present for a live stream, which has no cursor (an agent session's `sessions.events.stream`): `startingAfter`
   * is then always undefined, a reconnect gets new events only, and the source reads the job after each connect.
   * Returns a reader for one watch: what an event shows (`{ job }`, an object the spec reads), `'read'` when only
   * a read can tell, or undefined for an event that changes nothing a watch follows.
   */
  live?(): (event: Event) => { job: unknown } | 'read' | undefined;
}

/**
 * Everything about one kind of job, in one place: the extension point. `Kind` is its name (`job.kind`), `Ref` the
 * ref that names one job, `Job` the API object, `Extras` the fields it adds to a snapshot. The registry
 * (`registry.ts`) derives `JobKind`, `JobRef` and the snapshot types from the specs it holds, so adding a kind
 * there is the one change the compiler asks for; the rest of the code asks the spec and never names a kind.
 */
export interface KindSpec<
  Kind extends string,
  Ref extends { readonly kind: Kind },
  Job,
  Extras extends object,
> extends KindAdapter<Job> {
  readonly kind: Kind;
  /**
   * What is wrong with the ids of a ref of this kind (its `kind` already matched), in words that follow
   * "job <kind> ": `needs non-empty string ids`; undefined for a good ref.
   */
  refProblem(ref: RefLike): string | undefined;
  /**
   * The ref of a job known by its own id alone (a webhook's `data.id`, a replayed object's id); ids the kind needs
   * beside it (a run's thread) are `parentId`, since nothing at hand carries them.
   */
  refFromJobId(id: string, parentId: string): Ref;
  /** The job as a webhook announced it: what a webhook-fed watch applies when it does not read the job. */
  announced(ref: RefLike, status: string): AnnouncedJob;
  /**
   * What groups durations of this kind for adaptive polling, read from its API object once known (a response's
   * model, a batch's endpoint, a run's assistant); the key is `<kind>:<detail>`, or `<kind>` without one.
   */
  durationDetail(job: unknown): unknown;
  /** How the kind is watched when the caller says nothing. */
  readonly defaults: KindDefaults;
  /**
   * The fields of its API object a durable watch decides from (status, ids, times, counts, tool calls): the
   * slim copy an idle watch stores in the queue.
   */
  readonly slimFields: readonly string[];
  /** The fields this kind adds to a snapshot, from its latest object (any shape: a slim or announced one too). */
  snapshotExtras(job: unknown): Extras;
  /** The part of a snapshot's change key those fields make: a change there is news to a subscriber. */
  extrasKey(extras: Extras): string;
  /** What the units of its `progress` are called (`requests`, `items`), for kinds that report progress. */
  readonly progressUnit?: string;
  /** Present for kinds that can stream (`stream()` watches the others with its fallback). */
  readonly stream?: StreamSupport;
  /** How `runstate watch` names a job of this kind (`--fine-tune ID`); absent for a kind it cannot watch. */
  readonly cli?: KindCommandLine<Ref>;
  /**
   * The spec as it applies to one job, when its ref tells more than its kind does (a response created with a
   * discounted `completion_window` has a deadline and is polled like a batch). Absent, or returning the spec
   * itself, when every job of the kind is watched alike. Callers reach it through `specFor(ref)`.
   */
  forRef?(ref: RefLike): KindSpec<Kind, Ref, Job, Extras>;
}

/** Any kind's spec, as code that serves every kind holds one. */
// biome-ignore lint/suspicious/noExplicitAny: each spec is typed by its own module; this is the erased view
export type AnyKindSpec = KindSpec<string, { readonly kind: string }, any, object>;
