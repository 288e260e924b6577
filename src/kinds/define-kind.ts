import type OpenAI from 'openai';
import { APIError } from 'openai';
import { ConfigurationError } from '../errors/configuration-error.js';
import type { JobState } from '../model/observation.js';
import type { RunSnapshot } from '../model/types.js';
import { definedKind, fileDefinedKind } from './defined-kinds.js';
import type { DefinedRef } from './defined-ref.js';
import { idsProblem } from './ref-ids.js';
import { isJobKind } from './registry.js';
import type { AnnouncedJob, AnyKindSpec, KindSpec, PollDefaults, RefLike, WebhookEventLike } from './spec.js';

export type { AnyDefinedRef, DefinedRef } from './defined-ref.js';

/** What a defined kind's requests are given: an abort signal when there is one, and the client the watch was given. */
export interface DefinedCallContext {
  /**
   * Aborts when the watch stops: pass it to `fetch` (or your SDK's request options) when it is given. A poll's read
   * comes without one: a watch that stops drops it instead (docs/polling.md, "Stopping").
   */
  signal?: AbortSignal;
  /** The OpenAI client the watch (or the worker) was given, if any: a kind for another API ignores it. */
  client: OpenAI | undefined;
}

/**
 * What one request of a defined kind answers: the job object, or a Web `Response` (what `fetch` returns), which
 * runstate reads for you. A `Response` that is not ok is sorted as runstate sorts its own: 408, 409, 429, 5xx and
 * network errors are retried (with its `retry-after` headers as hints), 401/403/404 fail the watch with a typed
 * error. A thrown error other than that is retried as a network error.
 */
export type DefinedAnswer<Job> = Job | Response | { job: Job; headers: Headers };

/** How to watch a kind of job runstate does not ship: the input of {@link defineKind}. */
export interface KindDefinition<Kind extends string, Ids extends string, Job> {
  /** The kind's name, as refs carry it (`'anthropic.message_batch'`). Not one of runstate's own kinds. */
  kind: Kind;
  /**
   * The names of the ref's ids, each a non-empty string. The last one is the job's own id (`snapshot.id`, the key
   * of compose and the queue); those before it name what the job belongs to (`['threadId', 'runId']`).
   */
  ids: readonly [Ids, ...Ids[]];
  /** Reads the job once. No retries of your own: runstate retries, backs off and counts each call. */
  retrieve(ref: DefinedRef<Kind, Ids, Job>, context: DefinedCallContext): Promise<DefinedAnswer<Job>>;
  /** Asks the server to cancel the job (`cancelOnAbort`, the queue's `cancel`). Without it, cancelling fails. */
  cancel?(ref: DefinedRef<Kind, Ids, Job>, context: DefinedCallContext): Promise<DefinedAnswer<Job>>;
  /** The job's status, verbatim (`job.processing_status`). */
  status(job: Job): string;
  /**
   * Each status the API sends, mapped onto runstate's states. A status left out is unknown: the watch keeps
   * polling it (with a note), never ends on it.
   */
  states: Readonly<Record<string, JobState>>;
  /**
   * When the server gives up on the job, as epoch ms (or null): the watch confirms `expired` with a read then.
   *
   * @defaultValue none
   */
  expiresAt?(job: Job): number | null;
  /** The job's progress for snapshots (`snapshot.progress`), or undefined when the object carries none. */
  progress?(job: Job): RunSnapshot['progress'];
  /**
   * What the units of that progress are called, where they are shown (`runstate watch`'s bar).
   *
   * @defaultValue `'units'`
   */
  progressUnit?: string;
  /**
   * The webhook event types your API sends about this kind, each with the status it announces
   * (`{ 'message_batch.ended': 'ended' }`): a hub (`createWebhookHub`) then routes them to `webhookSource`, `hybrid`
   * and the queue's watches of this kind. Each status must be one of `states`. The deliveries must be Standard
   * Webhooks (signed `webhook-id`, `webhook-timestamp`, `webhook-signature` headers) with a JSON body
   * `{ id, type, created_at, data }`, as OpenAI's are.
   *
   * @defaultValue no webhooks
   */
  webhooks?: Readonly<Record<string, string>>;
  /**
   * Reads a webhook event type for types a table cannot list (a prefix, a pattern): the status it announces, or
   * undefined when the type is not of this kind. Asked after `webhooks`.
   *
   * @defaultValue no webhooks
   */
  webhookStatus?(type: string): string | undefined;
  /**
   * The own id (the last of `ids`) of the job a verified event of this kind is about, for an API whose events name
   * it other than `data.id` (`event.data.batch_id`).
   *
   * @defaultValue `event.data.id`
   */
  webhookJobId?(event: WebhookEventLike): string | undefined;
  /**
   * How long a watch waits before `timed_out`.
   *
   * @defaultValue one hour
   */
  maxWaitMs?: number;
  /**
   * The schedule of `poll()` (and of `hybrid()`'s safety net, unless `hybridPoll`) for this kind: backoff fields,
   * and a delay growing with the job's age (counted from the object's `created_at` in unix seconds, else from the
   * watch's start).
   *
   * @defaultValue the default poll backoff: 500 ms, ×1.5, capped at 5 s
   */
  poll?: PollDefaults;
  /**
   * The schedule of `hybrid()`'s safety-net poll for this kind, when it has `webhooks`: slower than `poll`, since
   * webhooks carry the news and the poll only catches a lost one.
   *
   * @defaultValue `poll`
   */
  hybridPoll?: PollDefaults;
  /**
   * The fields a durable watch stores of an idle job instead of the whole object (status, ids, times, counts).
   *
   * @defaultValue none: the queue stores the whole object
   */
  slimFields?: readonly string[];
  /** What groups durations of this kind for `adaptivePoll` (a model, an endpoint), from the job object. */
  durationDetail?(job: Job): unknown;
  /**
   * A human label for messages.
   *
   * @defaultValue `<kind> <ids joined by />`
   */
  describe?(ref: DefinedRef<Kind, Ids, Job>): string;
}

/** A kind defined with {@link defineKind}: a kind spec runstate serves like its own, and a maker of refs. */
export interface DefinedKind<Kind extends string, Ids extends string, Job>
  extends KindSpec<Kind, DefinedRef<Kind, Ids, Job>, Job, { progress?: RunSnapshot['progress'] }> {
  /**
   * A ref to one job of this kind, for `watchRun`, `waitForRun`, compose and the queue.
   * @throws ConfigurationError when an id is missing or not a non-empty string.
   */
  ref(ids: { readonly [K in Ids]: string }): DefinedRef<Kind, Ids, Job>;
}

/** Any kind defined with {@link defineKind}, as options that take several (`createRunWorker({ kinds })`) hold one. */
// biome-ignore lint/suspicious/noExplicitAny: each defined kind is typed where it is defined; this is the erased view
export type AnyDefinedKind = DefinedKind<string, string, any>;

const ONE_HOUR = 60 * 60_000;

/**
 * Defines a kind of job runstate does not ship (an Anthropic message batch, your own API's export job), and files
 * it in this process: `watchRun`, `waitForRun`, the sources, the poll budget, compose and the queue then serve it
 * with the same machine as the kinds runstate ships. A process that takes durable watches of it (a worker) must
 * define it too: pass it to `createRunWorker({ kinds })`.
 *
 * Defining the same name again replaces nothing: it throws, unless it is the same definition object (a module
 * loaded twice).
 * @throws ConfigurationError for a name runstate already ships or another definition holds, no ids, or a state
 *   that is not one of runstate's.
 * @example
 * const messageBatch = defineKind({
 *   kind: 'anthropic.message_batch',
 *   ids: ['id'],
 *   retrieve: (ref, { signal }) =>
 *     fetch(`https://api.anthropic.com/v1/messages/batches/${ref.id}`, { headers, signal }),
 *   cancel: (ref, { signal }) =>
 *     fetch(`https://api.anthropic.com/v1/messages/batches/${ref.id}/cancel`, { method: 'POST', headers, signal }),
 *   status: (batch: MessageBatch) => batch.processing_status,
 *   states: { in_progress: 'in_progress', canceling: 'cancelling', ended: 'completed' },
 * });
 * const batch = await waitForRun({ job: messageBatch.ref({ id: 'msgbatch_01' }) });
 */
export function defineKind<const Kind extends string, const Ids extends string, Job>(
  definition: KindDefinition<Kind, Ids, Job>,
): DefinedKind<Kind, Ids, Job> {
  check(definition);
  const existing = definedKind(definition.kind) as
    | (DefinedKind<Kind, Ids, Job> & { [DEFINITION]?: unknown })
    | undefined;
  if (existing) {
    if (existing[DEFINITION] === definition) return existing;
    throw new ConfigurationError(
      `defineKind: a kind named '${definition.kind}' is already defined in this process: give this one another name`,
    );
  }
  const spec = specOf(definition);
  fileDefinedKind(spec);
  return spec;
}

/**
 * True for what `defineKind` returned, in this copy of runstate or another (a user's module the CLI loads): the
 * mark is a registered symbol.
 */
export function isDefinedKind(value: unknown): value is AnyDefinedKind {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [DEFINITION]?: unknown })[DEFINITION] !== undefined &&
    typeof (value as { kind?: unknown }).kind === 'string'
  );
}

/**
 * Makes sure each of `kinds` is filed in this process under its name, as a worker that steps their watches needs.
 * A kind defined in this process is there already; one defined by another copy of runstate (a bundle of its own)
 * is filed here.
 * @throws ConfigurationError for something that is not a defined kind, or a name another definition holds.
 */
export function useKinds(kinds: readonly unknown[] | undefined, label: string): void {
  if (kinds === undefined) return;
  if (!Array.isArray(kinds))
    throw new ConfigurationError(`${label}: kinds must be an array of defineKind(...) results`);
  for (const kind of kinds) {
    const definition = (kind as { [DEFINITION]?: unknown } | null)?.[DEFINITION];
    const name = (kind as { kind?: unknown } | null)?.kind;
    if (definition === undefined || typeof name !== 'string') {
      throw new ConfigurationError(`${label}: each of kinds must be what defineKind returned`);
    }
    const filed = definedKind(name);
    if (filed === kind) continue;
    if (filed)
      throw new ConfigurationError(
        `${label}: another kind named '${name}' is already defined in this process`,
      );
    fileDefinedKind(kind as AnyKindSpec);
  }
}

// The definition a spec was made from: defining the same object again (a module evaluated twice) is no conflict.
// Registered (`Symbol.for`) so that a kind defined by another copy of runstate (a user's module loaded by the
// `runstate worker` bundle) is still known as one by `useKinds`.
const DEFINITION = Symbol.for('runstate.definition');

const STATES: readonly JobState[] = [
  'queued',
  'in_progress',
  'requires_action',
  'cancelling',
  'completed',
  'failed',
  'cancelled',
  'expired',
  'incomplete',
];

function check(definition: KindDefinition<string, string, unknown>): void {
  if (typeof definition !== 'object' || definition === null) {
    throw new ConfigurationError('defineKind needs a definition object');
  }
  const { kind, ids, retrieve, status, states } = definition;
  if (typeof kind !== 'string' || kind === '') {
    throw new ConfigurationError('defineKind: `kind` must be a non-empty string');
  }
  if (isJobKind(kind)) {
    throw new ConfigurationError(`defineKind: '${kind}' is a kind runstate ships: name yours another way`);
  }
  if (
    !Array.isArray(ids) ||
    ids.length === 0 ||
    ids.some((id) => typeof id !== 'string' || id === 'kind' || !id)
  ) {
    throw new ConfigurationError(
      `defineKind('${kind}'): \`ids\` must list the ref's id fields (non-empty strings other than 'kind')`,
    );
  }
  if (typeof retrieve !== 'function' || typeof status !== 'function') {
    throw new ConfigurationError(`defineKind('${kind}'): \`retrieve\` and \`status\` must be functions`);
  }
  if (typeof states !== 'object' || states === null) {
    throw new ConfigurationError(`defineKind('${kind}'): \`states\` must map each status onto a state`);
  }
  for (const [name, state] of Object.entries(states)) {
    if (!STATES.includes(state)) {
      throw new ConfigurationError(
        `defineKind('${kind}'): status '${name}' maps onto ${JSON.stringify(state)}, not one of ${STATES.join(', ')}`,
      );
    }
  }
  const { webhooks, webhookStatus, webhookJobId } = definition;
  if (webhooks !== undefined && (typeof webhooks !== 'object' || webhooks === null)) {
    throw new ConfigurationError(`defineKind('${kind}'): \`webhooks\` must map event types onto statuses`);
  }
  for (const [type, announced] of Object.entries(webhooks ?? {})) {
    // An event announcing a status the kind does not map would leave a webhook-fed watch waiting on nothing.
    if (typeof announced !== 'string' || !Object.hasOwn(states, announced)) {
      throw new ConfigurationError(
        `defineKind('${kind}'): webhook '${type}' announces ${JSON.stringify(announced)}, which \`states\` does not map`,
      );
    }
  }
  for (const [name, value] of [
    ['webhookStatus', webhookStatus],
    ['webhookJobId', webhookJobId],
  ] as const) {
    if (value !== undefined && typeof value !== 'function') {
      throw new ConfigurationError(`defineKind('${kind}'): \`${name}\` must be a function`);
    }
  }
  const { maxWaitMs } = definition;
  if (maxWaitMs !== undefined && !(Number.isFinite(maxWaitMs) && maxWaitMs > 0)) {
    throw new ConfigurationError(`defineKind('${kind}'): maxWaitMs must be a positive number of ms`);
  }
}

/** True for the stub a webhook announced a job with (`announced: true`), which carries no field of the API's. */
function isAnnounced(job: unknown): job is AnnouncedJob {
  return typeof job === 'object' && job !== null && (job as { announced?: unknown }).announced === true;
}

/** Reads an answer: a `Response` becomes its JSON, or the `APIError` the OpenAI SDK would have thrown for it. */
async function read<Job>(answer: DefinedAnswer<Job>): Promise<{ job: Job; headers: Headers }> {
  if (answer instanceof Response) {
    const body: unknown = await answer.json().catch(() => undefined);
    if (!answer.ok) {
      // The SDK's error classes carry the status and headers runstate's retry policy reads.
      throw APIError.generate(answer.status, body as object | undefined, answer.statusText, answer.headers);
    }
    return { job: body as Job, headers: answer.headers };
  }
  if (typeof answer === 'object' && answer !== null && 'job' in answer && answer.headers instanceof Headers) {
    return answer as { job: Job; headers: Headers };
  }
  return { job: answer as Job, headers: new Headers() };
}

function specOf<Kind extends string, Ids extends string, Job>(
  definition: KindDefinition<Kind, Ids, Job>,
): DefinedKind<Kind, Ids, Job> {
  type Ref = DefinedRef<Kind, Ids, Job>;
  const { kind, ids, states, webhooks } = definition;
  const own = (ref: RefLike): Ref => {
    if (ref.kind !== kind) throw new TypeError(`not a ${kind}: ${ref.kind}`);
    return ref as unknown as Ref;
  };
  const ownId = ids[ids.length - 1] as Ids;
  const stateOf = new Map(Object.entries(states));
  const describe = definition.describe ?? ((ref: Ref) => `${kind} ${ids.map((id) => ref[id]).join('/')}`);
  const progress = definition.progress;
  const context = (client: OpenAI, signal: AbortSignal | undefined): DefinedCallContext =>
    signal ? { client, signal } : { client };
  const spec: DefinedKind<Kind, Ids, Job> & { [DEFINITION]: unknown } = {
    [DEFINITION]: definition,
    kind,
    ref(given) {
      const ref = { ...given, kind } as unknown as Ref;
      const problem = idsProblem(ref as unknown as RefLike, ids);
      if (problem) throw new ConfigurationError(`${kind}.ref(): ${problem} (${ids.join(', ')})`);
      return ref;
    },
    jobId: (ref) => own(ref)[ownId] as string,
    describe: (ref) => describe(own(ref)),
    refProblem: (ref) => idsProblem(ref, ids),
    refFromJobId: (jobId, parentId) =>
      Object.fromEntries([['kind', kind], ...ids.map((id) => [id, id === ownId ? jobId : parentId])]) as Ref,
    async retrieve(client, ref, options) {
      return read(await definition.retrieve(own(ref), context(client, options.signal)));
    },
    async cancel(client, ref, options) {
      if (!definition.cancel) {
        throw new ConfigurationError(`${describe(own(ref))}: the kind '${kind}' was defined without cancel`);
      }
      return read(await definition.cancel(own(ref), context(client, options.signal)));
    },
    // A job a webhook announced (fetch 'never' or 'when-needed') is runstate's stub, not the user's object: its
    // status is its own field, and it knows no expiry.
    status: (job) => (isAnnounced(job) ? job.status : definition.status(job)),
    mapStatus: (status) => stateOf.get(status),
    expiresAt: (job) => {
      if (isAnnounced(job)) return null;
      const at = definition.expiresAt?.(job);
      // A date the object lacks (Date.parse(undefined) is NaN) is no expiry rather than one at NaN.
      return typeof at === 'number' && Number.isFinite(at) ? at : null;
    },
    // Tool calls belong to Assistants runs; a defined kind has none.
    toolCalls: () => [],
    webhookStatus: (type) =>
      (webhooks && Object.hasOwn(webhooks, type) ? webhooks[type] : undefined) ??
      definition.webhookStatus?.(type),
    ...(definition.webhookJobId ? { webhookJobId: (event) => definition.webhookJobId?.(event) } : {}),
    announced: (ref, status) => ({ id: spec.jobId(ref), object: kind, status, announced: true }),
    durationDetail: (job) => (job && !isAnnounced(job) ? definition.durationDetail?.(job as Job) : undefined),
    defaults: {
      maxWaitMs: definition.maxWaitMs ?? ONE_HOUR,
      poll: definition.poll ?? {},
      hybridPoll: definition.hybridPoll ?? definition.poll ?? {},
    },
    slimFields: definition.slimFields ?? [],
    snapshotExtras(job) {
      // Extras are read from any object the watch holds: an announced stub from a webhook carries no counts.
      if (!progress || typeof job !== 'object' || job === null || isAnnounced(job)) return {};
      const value = progress(job as Job);
      return value === undefined ? {} : { progress: value };
    },
    extrasKey: ({ progress: value }) => (value === undefined ? '' : JSON.stringify(value)),
    ...(definition.progressUnit ? { progressUnit: definition.progressUnit } : {}),
  };
  return spec;
}
