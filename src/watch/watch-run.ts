import type OpenAI from 'openai';
import {
  asyncScheduler,
  Observable,
  ReplaySubject,
  type SchedulerLike,
  Subject,
  share,
  throwError,
} from 'rxjs';
import { createActor, type InspectionEvent, type Observer, type Snapshot } from 'xstate';
import { ConfigurationError } from '../errors/configuration-error.js';
import { onAbort } from '../internal/abort-listener.js';
import { withLongDelays } from '../internal/long-delay-scheduler.js';
import { clockFrom } from '../internal/scheduler-clock.js';
import { byKind, findKindSpec, isJobKind, kindSpec, knownKindList } from '../kinds/registry.js';
import { isTerminal } from '../model/states.js';
import type {
  AnyDefinedRef,
  JobKind,
  JobRef,
  RunSnapshot,
  SnapshotOf,
  Source,
  SourceContext,
} from '../model/types.js';
import { createRequestMeter } from '../requests/request-meter.js';
import { poll } from '../sources/poll.js';
import { toolCallRegistry } from '../tools/tool-call-registry.js';
import { type ToolErrorPolicy, type ToolHandlers, toolsProblem } from '../tools/tools.js';
import { changeKey, toSnapshot } from './snapshot.js';
import { attachWatch, watchMachine } from './watch-actors.js';

/**
 * Options of `watchRun` and `waitForRun`; `Ref` is the job ref, which decides the type of `snapshot.job`. A job of
 * a kind defined with `defineKind` needs no `client` (its own requests are given the one passed, if any).
 */
export type WatchRunOptions<Ref extends JobRef | AnyDefinedRef = JobRef> = WatchRunSettings<Ref> &
  ([Ref] extends [AnyDefinedRef] ? { client?: OpenAI } : { client: OpenAI });

/** The options of `watchRun` besides `client`. */
export interface WatchRunSettings<Ref extends JobRef | AnyDefinedRef = JobRef> {
  /** An OpenAI client (`new OpenAI(...)`); runstate never reads OPENAI_API_KEY itself. */
  client?: OpenAI;
  /**
   * Which job: `{ kind: 'response', id }`, `{ kind: 'batch', id }`, `{ kind: 'assistants.run', threadId, runId }`,
   * or a ref of a kind defined with `defineKind` (`kind.ref({ id })`).
   */
  job: Ref;
  /**
   * Where observations come from.
   *
   * @defaultValue `poll()`, whose schedule is chosen by kind
   */
  source?: Source;
  /** Handlers for `requires_action` tool calls, by tool name. */
  tools?: ToolHandlers;
  /**
   * What a throwing tool handler does: `'report'` (its message becomes the output) or `'fail'`.
   *
   * @defaultValue `'report'`
   */
  onToolError?: ToolErrorPolicy;
  /**
   * How long to wait before giving up with state `timed_out` (the job may still run).
   *
   * @defaultValue by kind, `DEFAULT_MAX_WAIT_MS` (from `runstate/polling`): 15 min for runs, 1 h for responses, 25 h
   * for batches
   */
  maxWaitMs?: number;
  /** Stop watching when it aborts; the Observable completes after the last snapshot. */
  signal?: AbortSignal;
  /**
   * With `signal`: also cancel the job when it aborts. The last snapshot is the cancel's answer: `done: true` in
   * `cancelled` when the server cancels at once (responses), `done: false` while it is `cancelling`.
   *
   * @defaultValue `false`
   */
  cancelOnAbort?: boolean;
  /** Passed to XState's `createActor` (for instance `createBrowserInspector().inspect` or a WebSocket inspector). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /**
   * Scheduler for every delay (sources and machine).
   *
   * @defaultValue RxJS `asyncScheduler`
   */
  scheduler?: SchedulerLike;
  /**
   * Random source in [0, 1) for jitter.
   *
   * @defaultValue `Math.random`
   */
  random?: () => number;
  /**
   * Resume from a snapshot persisted by `onPersist` (in this process or another). Deadlines are absolute, so the
   * resumed watch times out and notices expiry exactly as the one that stopped would have.
   */
  snapshot?: PersistedWatch;
  /** Called with the machine's persisted snapshot (JSON-serializable) after each change, to resume from later. */
  onPersist?: (snapshot: PersistedWatch) => void;
}

/** A watch's machine state as data (XState's persisted snapshot): what `onPersist` gives and `snapshot` takes. */
export type PersistedWatch = Snapshot<unknown>;

// Node's timers fire at once beyond 2^31-1 ms.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * How long a watch waits by default, by kind: an Assistants run expires on the server after about 10 minutes,
 * a background response can think for a long while, and a batch has a 24-hour completion window.
 */
export const DEFAULT_MAX_WAIT_MS: Readonly<Record<JobKind, number>> = byKind(
  (spec) => spec.defaults.maxWaitMs,
);

function validate(options: WatchRunSettings<JobRef>): ConfigurationError | undefined {
  if (!options || typeof options !== 'object')
    return new ConfigurationError('watchRun needs an options object');
  const { client, job, maxWaitMs } = options;
  const spec = findKindSpec(job?.kind);
  if (!job || !spec) {
    return new ConfigurationError(
      `watchRun needs \`job\` with kind ${knownKindList()} (got ${JSON.stringify(job?.kind)}; a kind of your own needs defineKind first)`,
    );
  }
  // A defined kind makes its own requests, and is handed the client only if there is one.
  const needsClient = isJobKind(job.kind) || client !== undefined;
  if (needsClient && (!client || typeof client !== 'object' || !('baseURL' in client))) {
    return new ConfigurationError('watchRun needs `client`: an OpenAI client (new OpenAI({ apiKey }))');
  }
  const problem = spec.refProblem(job);
  if (problem) return new ConfigurationError(`watchRun: job ${job.kind} ${problem}`);
  if (maxWaitMs !== undefined && !(Number.isFinite(maxWaitMs) && maxWaitMs > 0)) {
    return new ConfigurationError(`watchRun: maxWaitMs must be a positive number of ms (got ${maxWaitMs})`);
  }
  const tools = toolsProblem(options.tools);
  if (tools) return new ConfigurationError(`watchRun: ${tools}`);
  if (options.onToolError !== undefined && !['report', 'fail'].includes(options.onToolError)) {
    return new ConfigurationError(`watchRun: onToolError must be 'report' or 'fail'`);
  }
  if (options.snapshot !== undefined) {
    const context = (options.snapshot as { context?: { jobId?: unknown } } | null)?.context;
    const jobId = kindSpec(job.kind).jobId(job);
    if (context?.jobId !== jobId) {
      return new ConfigurationError(
        `watchRun: snapshot belongs to job ${JSON.stringify(context?.jobId)}, not ${jobId}: pass the snapshot onPersist gave for this job`,
      );
    }
  }
  return undefined;
}

/**
 * Watches one asynchronous OpenAI job until it ends. Cold and lazy: nothing is requested before subscription.
 * Emits the current snapshot, then each change; completes after the terminal one. Failed, expired, cancelled,
 * incomplete and timed_out runs are values; it errors only when the outcome cannot be known (typed errors with
 * a `code`). Subscribers share one watch; the last unsubscribe stops it. The job's kind types the snapshots:
 * `{ kind: 'response' }` gives `RunSnapshot<Response>`, `'batch'` a `Batch`, `'assistants.run'` a `Run`.
 *
 * @example
 * watchRun({ client, job: { kind: 'response', id: resp.id } })
 *   .subscribe((s) => console.log(s.state, s.calls, s.job?.output_text));
 */
export function watchRun<Ref extends JobRef | AnyDefinedRef>(
  options: WatchRunOptions<Ref>,
): Observable<SnapshotOf<Ref>> {
  // The snapshots' job type follows from the ref's kind, which only the adapter chosen at run time knows.
  type Job = SnapshotOf<Ref>;
  // At run time a defined kind's ref is a ref like any other: its spec is found by its name.
  const settings = options as unknown as WatchRunSettings<JobRef>;
  const invalid = validate(settings);
  if (invalid) return throwError(() => invalid);

  const { job, tools = {}, onToolError = 'report', signal, cancelOnAbort = false, inspect } = settings;
  const client = settings.client as OpenAI;
  const source = options.source ?? poll();
  // Every delay of the watch (sources, machine, actors) goes through here: one place honours those past 2^31 ms.
  const scheduler = withLongDelays(options.scheduler ?? asyncScheduler);
  const random = options.random ?? Math.random;
  const adapter = kindSpec(job.kind);
  const maxWaitMs = options.maxWaitMs ?? adapter.defaults.maxWaitMs;

  const watch$ = new Observable<Job>((subscriber) => {
    const stop = new AbortController();
    const meter = createRequestMeter();
    const nudge$ = new Subject<void>();
    const now = () => scheduler.now();
    const startedAt = now();
    const restored = options.snapshot;
    const actor = createActor(watchMachine, {
      input: {
        job,
        kind: job.kind,
        jobId: adapter.jobId(job),
        startedAt,
        maxWaitMs,
        toolNames: Object.keys(tools),
      },
      ...(restored ? { snapshot: restored } : {}),
      clock: clockFrom(scheduler),
      ...(inspect ? { inspect } : {}),
    });
    const context: SourceContext = {
      client,
      job,
      adapter,
      meter,
      scheduler,
      random,
      deadline: actor.getSnapshot().context.deadlineAt,
      nudge$: nudge$.asObservable(),
      signal: stop.signal,
    };

    // Watches of one run in this process handle each tool call once: they meet in the registry under this key.
    const runKey = `${client?.baseURL ?? ''}|${job.kind}|${adapter.jobId(job)}`;
    const leaveRegistry = Object.keys(tools).length > 0 ? toolCallRegistry.join(runKey) : undefined;
    attachWatch(actor.system, { client, source, context, tools, onToolError, runKey });

    let lastKey: string | undefined;
    const emit = (snapshot: RunSnapshot) => {
      const key = changeKey(snapshot);
      if (key === lastKey) return;
      lastKey = key;
      subscriber.next(snapshot as Job);
    };

    const nudges = actor.on('nudge', () => nudge$.next());
    // A restored actor has lost its `after` timers (statelyai/xstate#5331): time reaches it as ticks at the next
    // absolute deadline in context instead.
    let tickDue: number | undefined;
    let tickTimer: { unsubscribe(): void } | undefined;
    const armTick = (c: { deadlineAt: number; expiresAt: number | null }) => {
      const due = Math.min(c.deadlineAt, c.expiresAt ?? Number.POSITIVE_INFINITY);
      if (due === tickDue) return;
      tickDue = due;
      tickTimer?.unsubscribe();
      tickTimer = scheduler.schedule(
        () => actor.send({ type: 'tick', at: now() }),
        Math.min(MAX_TIMER_MS, Math.max(0, due - now())),
      );
    };
    // XState's subscribe does not replay the current snapshot, and an actor stopped by hand never completes its
    // subscribers: both are handled here.
    const subscription = actor.subscribe({
      next: (s) => {
        const done = s.status === 'done';
        if (done && s.value === 'faulted') {
          subscriber.error(s.context.fault);
          return;
        }
        // A cancel that the server answered with a final status (a response cancels at once) is the job's
        // outcome: the watch ended done, not merely stopped.
        const phase = !done
          ? 'watching'
          : s.value === 'stopped' && !isTerminal(s.context.state)
            ? 'stopped'
            : 'done';
        options.onPersist?.(actor.getPersistedSnapshot());
        if (restored && !done) armTick(s.context);
        emit(toSnapshot(s.context, phase, meter.count));
        if (done) subscriber.complete();
      },
      error: (e) => subscriber.error(e),
    });

    const abort = () => actor.send({ type: 'abort', cancel: cancelOnAbort });
    actor.start();
    if (restored) {
      actor.send({ type: 'tick', at: now() });
      if (actor.getSnapshot().status === 'active') armTick(actor.getSnapshot().context);
    }
    const first = actor.getSnapshot();
    if (first.status === 'active') emit(toSnapshot(first.context, 'watching', meter.count));
    let stopListening = () => {};
    if (signal?.aborted) abort();
    else if (signal) stopListening = onAbort(signal, abort);

    return () => {
      stopListening();
      nudges.unsubscribe();
      tickTimer?.unsubscribe();
      subscription.unsubscribe();
      actor.stop();
      stop.abort();
      nudge$.complete();
      leaveRegistry?.();
    };
  });

  // One watch for every subscriber; a late subscriber gets the latest snapshot first, and after the end, the
  // terminal one.
  return watch$.pipe(
    share({
      connector: () => new ReplaySubject<Job>(1),
      resetOnError: true,
      resetOnComplete: false,
      resetOnRefCountZero: true,
    }),
  );
}
