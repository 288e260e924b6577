import type OpenAI from 'openai';
import { asyncScheduler, NEVER, type Observable, type SchedulerLike, throwError } from 'rxjs';
import { createActor, type InspectionEvent, type Observer, type Snapshot } from 'xstate';
import type { RunMachineContext, RunMachineInput } from '../../machines/run.machine.js';
import { isNewerEventId, snapshotEventId } from '../client/event-order.js';
import { ConfigurationError } from '../errors/configuration-error.js';
import { onAbort } from '../internal/abort-listener.js';
import { withLongDelays } from '../internal/long-delay-scheduler.js';
import { clockFrom } from '../internal/scheduler-clock.js';
import { timerQueue } from '../internal/timer-queue.js';
import { WatchContext } from '../internal/watch-context.js';
import { byKind, findKindSpec, isJobKind, kindSpec, knownKindList, specFor } from '../kinds/registry.js';
import type { AnyKindSpec } from '../kinds/spec.js';
import { toStatusEvent } from '../kinds/to-status-event.js';
import { isTerminal } from '../model/states.js';
import type {
  AnyDefinedRef,
  JobKind,
  JobRef,
  RunSnapshot,
  SnapshotOf,
  Source,
  StatusEvent,
} from '../model/types.js';
import { createRequestMeter } from '../requests/request-meter.js';
import { isOrderedSource } from '../sources/ordered-source.js';
import { poll } from '../sources/poll.js';
import {
  startWatchTelemetry,
  type TelemetryOptions,
  type WatchTelemetry,
} from '../telemetry/watch-telemetry.js';
import { type ApprovalHandler, approvalTools } from '../tools/approvals.js';
import { toolCallRegistry } from '../tools/tool-call-registry.js';
import { type ToolErrorPolicy, type ToolHandlers, toolsProblem } from '../tools/tools.js';
import { repeatsLatest } from './repeat.js';
import { type LatestSink, shareLatestOf } from './share-latest.js';
import { changeKey, toSnapshot } from './snapshot.js';
import { SourceRelay } from './source-relay.js';
import { attachWatch, initialContext, type WatchActor, watchMachine } from './watch-actors.js';
import { isWhenPaused, stoppedWhenPaused, type WhenPaused } from './when-paused.js';

/**
 * Options of `watchRun` and `waitForRun`; `Ref` is the job ref, which decides the type of `snapshot.job`. A job of
 * a kind defined with `defineKind` needs no `client` (its own requests are given the one passed, if any).
 */
export type WatchRunOptions<Ref extends JobRef | AnyDefinedRef = JobRef> = WatchRunSettings<Ref> &
  ([Ref] extends [AnyDefinedRef] ? { client?: OpenAI } : { client: OpenAI });

/** The options of `watchRun` besides `client`. */
export interface WatchRunSettings<Ref extends JobRef | AnyDefinedRef = JobRef> extends TelemetryOptions {
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
   * Agent sessions: decides their MCP and computer-use approval requests. Without it none is answered: the
   * snapshot lists them in `missingHandlers` and the turn is left to the user.
   */
  approvals?: ApprovalHandler;
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
  /**
   * What a watch does when the job is paused (a fine-tune's `paused`: neither ended nor running; the snapshot says
   * `paused: true`): `'wait'` keeps watching until it is resumed and ends, `'stop'` completes the Observable after
   * the paused snapshot, with a note (the job stays paused on the server).
   *
   * @defaultValue `'wait'`
   */
  whenPaused?: WhenPaused;
  /**
   * A first observation made before the watch: the job as a read of your own saw it (`{ job, at }`). The watch
   * starts from it instead of from `queued`: its first snapshot is this one (the terminal one, when the job had
   * already ended), and nothing older follows it, not even a stream replaying from its first event. So a client
   * that showed that read never sees a state, or a response's text, go back.
   *
   * @example
   * const first = await client.responses.retrieve(id);
   * watchRun({ client, job: { kind: 'response', id }, source: stream(), seed: { job: first, at: Date.now() } });
   */
  seed?: WatchSeed;
}

/** A first observation for {@link WatchRunOptions.seed}: the API object, and when it was true (epoch ms). */
export interface WatchSeed {
  /** The API object as retrieved (a Response, a Batch, a Run). */
  job: unknown;
  /**
   * When the read was answered, epoch ms.
   *
   * @defaultValue now, by the watch's scheduler
   */
  at?: number;
}

/** A watch's machine state as data (XState's persisted snapshot): what `onPersist` gives and `snapshot` takes. */
export type PersistedWatch = Snapshot<unknown>;

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
  if (options.whenPaused !== undefined && !isWhenPaused(options.whenPaused)) {
    return new ConfigurationError(
      `watchRun: whenPaused must be 'wait' or 'stop' (got ${JSON.stringify(options.whenPaused)})`,
    );
  }
  if (maxWaitMs !== undefined && !(Number.isFinite(maxWaitMs) && maxWaitMs > 0)) {
    return new ConfigurationError(`watchRun: maxWaitMs must be a positive number of ms (got ${maxWaitMs})`);
  }
  if (options.seed !== undefined) {
    const seeded = options.seed?.job;
    if (!seeded || typeof seeded !== 'object') {
      return new ConfigurationError(
        'watchRun: seed must be { job, at? }, with the API object a read returned',
      );
    }
    if (kindSpec(job.kind).jobId(job) !== (seeded as { id?: unknown }).id) {
      return new ConfigurationError(
        `watchRun: seed is the object of ${JSON.stringify((seeded as { id?: unknown }).id)}, not of ${kindSpec(job.kind).jobId(job)}`,
      );
    }
  }
  const tools = toolsProblem(options.tools);
  if (tools) return new ConfigurationError(`watchRun: ${tools}`);
  if (options.approvals !== undefined && typeof options.approvals !== 'function') {
    return new ConfigurationError('watchRun: approvals must be a function (approval, call) => decision');
  }
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

let sharedPoll: Source | undefined;

/** The default source, made once: a poll source is settings and a function, the same for every watch. */
function defaultPoll(): Source {
  sharedPoll ??= poll();
  return sharedPoll;
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

  const { job } = settings;
  // The job's own spec: a response's completion window gives it a deadline and a longer default wait.
  const adapter = specFor(job);
  const plan: WatchPlan = {
    options: settings,
    job,
    client: settings.client as OpenAI,
    tools: { ...settings.tools, ...approvalTools(settings.approvals) },
    source: settings.source ?? defaultPoll(),
    // Every delay of the watch (sources, machine, actors) goes through here: one place honours those past 2^31 ms.
    scheduler: withLongDelays(settings.scheduler ?? asyncScheduler),
    random: settings.random ?? Math.random,
    adapter,
    maxWaitMs: settings.maxWaitMs ?? adapter.defaults.maxWaitMs,
  };
  // One watch for every subscriber; a late subscriber gets the latest snapshot first, and after the end, the
  // terminal one.
  return shareLatestOf<RunSnapshot>((sink) => new WatchSession(plan, sink).open()) as Observable<Job>;
}

/** What one `watchRun` call resolved from its options: the same for every subscription to it. */
interface WatchPlan {
  readonly options: WatchRunSettings<JobRef>;
  readonly job: JobRef;
  readonly client: OpenAI;
  readonly tools: ToolHandlers;
  readonly source: Source;
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly adapter: AnyKindSpec;
  readonly maxWaitMs: number;
}

/**
 * One subscription of `watchRun`: the watch's state, its actor once it has one, and its teardown. A class with
 * methods rather than a dozen closures over one scope: an idle watch is this object (docs/benchmarks.md, "Heap per
 * idle watched run").
 */
class WatchSession {
  private readonly meter = createRequestMeter();
  private readonly telemetry: WatchTelemetry | undefined;
  private readonly input: RunMachineInput;
  private readonly context: WatchContext;
  /** An idle watch holds no actor: see {@link open}. */
  private readonly lazy: boolean;
  /** A restored actor has lost its `after` timers, and a lazy one started late: see {@link armTick}. */
  private readonly ticking: boolean;
  /** A lazy watch fed by a poll: answers that repeat the machine's latest observation stay out of it. */
  private readonly skipsRepeats: boolean;
  /** A lazy watch subscribes its source itself; the actor's source child adopts that subscription when it starts. */
  private readonly relay: SourceRelay | undefined;
  private readonly runKey: string | undefined;
  private readonly leaveRegistry: (() => void) | undefined;
  private actor: WatchActor | undefined = undefined;
  /** A lazy watch's first context, until {@link open} has emitted it. */
  private initial: RunMachineContext | undefined;
  /**
   * With a seed: nothing before it is emitted (the machine's own start), and nothing older after it (a stream
   * replaying its first events) until the watch has passed what the seed showed.
   */
  private seeding: boolean;
  private seedId: string | undefined = undefined;
  private lastKey: string | undefined = undefined;
  private nudges: { unsubscribe(): void } | undefined = undefined;
  private subscription: { unsubscribe(): void } | undefined = undefined;
  private tickDue: number | undefined = undefined;
  private tick: { cancel(): void } | undefined = undefined;
  private stopListening: (() => void) | undefined = undefined;

  constructor(
    private readonly plan: WatchPlan,
    private readonly subscriber: LatestSink<RunSnapshot>,
  ) {
    const { options, job, client, adapter, scheduler, tools } = plan;
    const startedAt = scheduler.now();
    const jobId = adapter.jobId(job);
    // One recorder per watch, or none (telemetry: false, or no SDK and no logger): src/telemetry/.
    this.telemetry = startWatchTelemetry(options, {
      kind: adapter.kind,
      jobId,
      source: plan.source.name,
      now: () => scheduler.now(),
    });
    const restored = options.snapshot;
    this.input = {
      job,
      kind: job.kind,
      jobId,
      startedAt,
      maxWaitMs: plan.maxWaitMs,
      toolNames: Object.keys(tools),
    };
    // An idle watch holds no actor: it waits on its source and its deadline, and the actor starts at the first
    // thing that happens (an event, the deadline, an abort). A restored watch, one persisted on every change and
    // one shown to an inspector start theirs at once, so they see every snapshot from the first.
    this.lazy = !restored && !options.inspect && !options.onPersist && options.seed === undefined;
    this.ticking = Boolean(restored) || this.lazy;
    this.seeding = options.seed !== undefined && !restored;
    if (this.lazy) this.initial = initialContext(this.input);
    else this.actor = this.createActor();
    this.context = new WatchContext(
      client,
      job,
      this.telemetry ? this.telemetry.adapter(adapter) : adapter,
      this.meter,
      scheduler,
      plan.random,
      (this.initial ?? this.actor!.getSnapshot().context).deadlineAt,
    );
    // Watches of one run in this process handle each tool call once: they meet in the registry under this key.
    const hasTools = this.input.toolNames.length > 0;
    this.runKey = hasTools ? `${client?.baseURL ?? ''}|${job.kind}|${jobId}` : undefined;
    this.leaveRegistry = this.runKey === undefined ? undefined : toolCallRegistry.join(this.runKey);
    this.relay = this.lazy ? new SourceRelay(this) : undefined;
    // Only the library's polls stamp their events as they are answered, one read at a time: another source's (a
    // webhook's, a hybrid's, one of your own) may be older than the last one applied, and only the `at` the machine
    // keeps would tell it stale.
    this.skipsRepeats = this.lazy && isOrderedSource(plan.source);
  }

  /** Starts the watch: emits its first snapshot, and listens to its source (or starts its actor). */
  open(): this {
    const { plan, subscriber, actor } = this;
    const { options } = plan;
    if (actor) {
      this.run(actor);
      const seed = options.seed;
      if (this.seeding && seed) {
        const { job: seenJob, at = this.input.startedAt } = seed;
        // A read made before the watch started is older than the machine's start, which would take it for stale:
        // it is the starting point instead.
        actor.send(toStatusEvent(plan.adapter, seenJob, Math.max(at, this.input.startedAt), 'poll'));
        this.seeding = false;
        const seeded = actor.getSnapshot();
        options.onPersist?.(actor.getPersistedSnapshot());
        const snapshot = toSnapshot(
          seeded.context,
          seeded.status === 'done' ? 'done' : 'watching',
          this.meter.count,
        );
        this.emit(snapshot);
        this.seedId = snapshotEventId(snapshot);
        if (seeded.status === 'done') subscriber.complete();
      }
      if (options.snapshot) {
        actor.send({ type: 'tick', at: this.now() });
        if (actor.getSnapshot().status === 'active') this.armTick(actor.getSnapshot().context);
      }
      const first = actor.getSnapshot();
      if (first.status === 'active') this.emit(toSnapshot(first.context, 'watching', this.meter.count));
    } else {
      const initial = this.initial!;
      this.initial = undefined;
      this.emit(toSnapshot(initial, 'watching', this.meter.count));
      this.armTick(initial);
      this.relay!.listen(plan.source.watch(this.context));
    }
    const { signal } = options;
    if (signal?.aborted) this.abort();
    else if (signal) this.stopListening = onAbort(signal, () => this.abort());
    return this;
  }

  private now(): number {
    return this.plan.scheduler.now();
  }

  private createActor(): WatchActor {
    const { options, scheduler } = this.plan;
    const { snapshot: restored, inspect } = options;
    return createActor(watchMachine, {
      input: this.input,
      ...(restored ? { snapshot: restored } : {}),
      clock: clockFrom(scheduler),
      ...(inspect ? { inspect } : {}),
    });
  }

  /** The source, unless a seed that already ended is the whole watch: nothing opens a connection then. */
  private watched(): Source {
    const { options, source, adapter } = this.plan;
    const seededEnd =
      options.seed !== undefined &&
      !options.snapshot &&
      isTerminal(adapter.mapStatus(adapter.status(options.seed.job)));
    return seededEnd ? { ...source, watch: () => NEVER } : source;
  }

  private emit(snapshot: RunSnapshot): void {
    const { subscriber } = this;
    if (this.seedId !== undefined && !snapshot.done) {
      const id = snapshotEventId(snapshot);
      if (!isNewerEventId(id, this.seedId)) return;
      this.seedId = undefined;
    }
    const key = changeKey(snapshot);
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.telemetry?.observe(snapshot);
    const stopped = stoppedWhenPaused(snapshot, this.plan.options.whenPaused);
    if (stopped) {
      subscriber.next(stopped);
      subscriber.complete();
      return;
    }
    subscriber.next(snapshot);
  }

  // One queue of due times per scheduler, not a timer per watch: an idle watch waits on its deadline there. Time
  // reaches a restored or late-started actor's `after` timers (statelyai/xstate#5331) as ticks at the next absolute
  // deadline in context.
  private armTick(c: { deadlineAt: number; expiresAt: number | null; checkedExpiry: number | null }): void {
    // An expiry a confirming read already checked is not due again: the deadline is the next moment then.
    const expiry =
      c.expiresAt !== null && c.expiresAt !== c.checkedExpiry ? c.expiresAt : Number.POSITIVE_INFINITY;
    const due = Math.min(c.deadlineAt, expiry);
    if (due === this.tickDue) return;
    this.tickDue = due;
    this.tick?.cancel();
    this.tick = timerQueue(this.plan.scheduler).at(due, () =>
      this.wake().send({ type: 'tick', at: this.now() }),
    );
  }

  /** Attaches the watch to its actor, subscribes to it and starts it. */
  private run(a: WatchActor): void {
    const { plan, subscriber, telemetry, meter } = this;
    const { options } = plan;
    attachWatch(a.system, {
      client: plan.client,
      source: this.relay ? plan.source : this.watched(),
      context: this.context,
      tools: plan.tools,
      onToolError: options.onToolError ?? 'report',
      runKey: this.runKey,
      relay: this.relay,
      telemetry,
    });
    this.nudges = a.on('nudge', () => this.context.nudge());
    // XState's subscribe does not replay the current snapshot, and an actor stopped by hand never completes its
    // subscribers: both are handled here.
    this.subscription = a.subscribe({
      next: (s) => {
        // The machine's start and the seed itself: told in open(), once the seed is applied.
        if (this.seeding) return;
        const done = s.status === 'done';
        if (done && s.value === 'faulted') {
          telemetry?.fail(s.context.fault);
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
        options.onPersist?.(a.getPersistedSnapshot());
        if (this.ticking && !done) this.armTick(s.context);
        this.emit(toSnapshot(s.context, phase, meter.count));
        if (done) subscriber.complete();
      },
      error: (e) => {
        telemetry?.fail(e);
        subscriber.error(e);
      },
    });
    a.start();
  }

  /** Whether the relay may leave `event` out of the machine: see {@link repeatsLatest}. */
  repeats(event: StatusEvent): boolean {
    const { actor } = this;
    return actor !== undefined && this.skipsRepeats && repeatsLatest(actor.getSnapshot(), event);
  }

  /** The watch's actor, started now if the watch was idle until this moment (the relay calls it too). */
  wake(): WatchActor {
    if (this.actor) return this.actor;
    const actor = this.createActor();
    this.actor = actor;
    this.run(actor);
    return actor;
  }

  private abort(): void {
    this.wake().send({ type: 'abort', cancel: this.plan.options.cancelOnAbort ?? false });
  }

  /** The last subscriber left, or the watch ended. */
  unsubscribe(): void {
    this.telemetry?.end(this.meter.count);
    this.stopListening?.();
    this.nudges?.unsubscribe();
    this.tick?.cancel();
    this.subscription?.unsubscribe();
    this.actor?.stop();
    this.relay?.close();
    this.context.stop();
    this.leaveRegistry?.();
  }
}
