import {
  catchError,
  EMPTY,
  map,
  Observable,
  of,
  retry,
  type Subscription,
  throwError,
  timer,
  type Unsubscribable,
} from 'rxjs';
import { ConfigurationError } from '../errors/configuration-error.js';
import { classifyRequestError } from '../errors/from-api-error.js';
import { RetriesExhaustedError } from '../errors/retries-exhausted-error.js';
import { isAborted, listenAbort, unlistenAbort } from '../internal/watch-context.js';
import { kindSpec } from '../kinds/registry.js';
import type { AnnouncedJob } from '../kinds/spec.js';
import { toStatusEvent } from '../kinds/to-status-event.js';
import { isJobTerminal } from '../model/states.js';
import type { JobRef, Source, SourceContext, StatusEvent } from '../model/types.js';
import type { WebhookEvent } from '../webhooks/event.js';
import type { WebhookRoutes } from '../webhooks/hub.js';
import { budgetRead, type PollBudget } from './budget.js';
import { type GateEntry, type GateReader, startReadGate } from './read-gate.js';

/**
 * When the webhook source retrieves the job after an event (a webhook only says that a job changed: its payload is
 * `{ id, type, created_at, data: { id } }`):
 * - `always` (the default): one retrieve per event, so every snapshot carries the full object (output, usage,
 *   `last_error`);
 * - `when-needed`: retrieve only for a non-terminal status (`requires_action` needs the tool calls, active states
 *   carry `expires_at`); a terminal event yields an {@link AnnouncedJob}, so a job ends with 0 retrieves;
 * - `never`: no retrieve at all; every event yields an {@link AnnouncedJob} (no tool calls, no expiry).
 */
export type WebhookFetchPolicy = 'always' | 'when-needed' | 'never';

/** Options of {@link webhookSource}. */
export interface WebhookSourceOptions {
  /**
   * When to retrieve the job after an event: see {@link WebhookFetchPolicy}.
   *
   * @defaultValue `'always'`
   */
  fetch?: WebhookFetchPolicy;
  /**
   * Retries of a retrieve that failed transiently (429, 5xx, network).
   *
   * @defaultValue `3`
   */
  retries?: number;
  /**
   * Delay before the first retry, doubling after each, in ms.
   *
   * @defaultValue `1000`
   */
  retryDelayMs?: number;
  /**
   * The job was created just now, by this caller, so no event about it can have gone by: skip the read at start
   * (the 0-retrieve path). Without it, a watch whose hub holds no event about its job reads the job once when it
   * starts, so a job that ended before the watch (its webhook delivered earlier, or to an instance that has since
   * died) is not waited for until `maxWaitMs`.
   *
   * @defaultValue `false`
   */
  createdJustNow?: boolean;
  /**
   * A shared poll budget (`createPollBudget`) that the read at start spends a token of, as the budget's polls do:
   * many watches starting together then read at the budget's pace. `hybrid(hub, budget.poll())` uses its
   * fallback's budget without this option. Without a budget, the reads at start of one client go out a few at a
   * time, with jitter (docs/webhooks.md, "The read at start").
   */
  budget?: PollBudget;
}

export type { AnnouncedJob };

/** A webhook source: `name`, `watch`, and its resolved fetch policy. */
export interface WebhookSource extends Source {
  readonly name: 'webhook';
  readonly fetch: WebhookFetchPolicy;
}

/**
 * A source fed by a webhook hub: each event about the watched job whose type its kind recognises becomes a status
 * event (source `'webhook'`). It never polls; pair it with a fallback through `hybrid(hub)` unless every change is
 * sure to arrive. It completes after a terminal event. Unknown event types are ignored (counted in
 * `hub.stats().ignored`).
 * @example watchRun({ client, job: { kind: 'batch', id }, source: webhookSource(hub, { fetch: 'when-needed' }) })
 */
export function webhookSource(hub: WebhookRoutes, options: WebhookSourceOptions = {}): WebhookSource {
  const resolved = resolveOptions(options);
  return {
    name: 'webhook',
    fetch: resolved.fetch,
    watch: (ctx) => webhookStatusEvents(hub, ctx, resolved, { startReadFailure: 'error' }),
  };
}

/** Resolved {@link WebhookSourceOptions}. */
export type ResolvedWebhookSourceOptions = Required<Omit<WebhookSourceOptions, 'budget'>> & {
  budget: PollBudget | undefined;
};

/** Validates options and fills in defaults; throws `ConfigurationError` at once for invalid ones. */
export function resolveOptions(options: WebhookSourceOptions): ResolvedWebhookSourceOptions {
  const { fetch = 'always', retries = 3, retryDelayMs = 1000, createdJustNow = false, budget } = options;
  if (fetch !== 'always' && fetch !== 'when-needed' && fetch !== 'never') {
    throw new ConfigurationError(
      `webhookSource(): fetch must be 'always', 'when-needed' or 'never', got ${JSON.stringify(fetch)}`,
    );
  }
  if (!(Number.isInteger(retries) && retries >= 0)) {
    throw new ConfigurationError(`webhookSource(): retries must be a whole number ≥ 0, got ${retries}`);
  }
  if (!(Number.isFinite(retryDelayMs) && retryDelayMs >= 0)) {
    throw new ConfigurationError(
      `webhookSource(): retryDelayMs must be a finite number ≥ 0, got ${retryDelayMs}`,
    );
  }
  if (typeof createdJustNow !== 'boolean') {
    throw new ConfigurationError(
      `webhookSource(): createdJustNow must be a boolean, got ${JSON.stringify(createdJustNow)}`,
    );
  }
  if (
    budget !== undefined &&
    (typeof budget !== 'object' || budget === null || typeof budget.poll !== 'function')
  ) {
    throw new ConfigurationError('webhookSource(): budget must be a poll budget made by createPollBudget()');
  }
  return { fetch, retries, retryDelayMs, createdJustNow, budget };
}

/** How {@link webhookStatusEvents} treats the read at start. */
export interface StartReadPolicy {
  /**
   * When the read at start fails transiently after its retries: `'error'` ends the source with the typed error
   * (a webhook-only watch cannot know the outcome otherwise), `'ignore'` goes on (hybrid's poll will look).
   */
  startReadFailure: 'error' | 'ignore';
}

/** The read at start, queued among the job's events. */
const READ: unique symbol = Symbol('read at start');

/** What a webhook-fed watch works from: each event about its job, and, first, maybe a read of the job. */
type Arrival = WebhookEvent | typeof READ;

/** Where a webhook-fed watch's status events go: its subscriber, or hybrid's sink. */
export interface WebhookSink {
  next(event: StatusEvent): void;
  error(error: unknown): void;
  complete(): void;
}

/** Told of each event that arrives after the subscription (hybrid restarts its fallback's schedule then). */
export interface LiveEventListener {
  liveEvent(): void;
}

/**
 * Turns one job's events into status events, in order (one retrieve at a time), starting with a read of the job
 * unless the caller says it was created just now, the hub held an event about it (replayed on subscription), or
 * the hub's store kept one (delivered to any instance sharing the store, some time ago); a kept event the hub does
 * not hold any more is replayed. Shared by `webhookSource` and `hybrid` (which runs it inside its own subscription
 * with {@link openWebhookWatch}).
 */
export function webhookStatusEvents(
  hub: WebhookRoutes,
  ctx: SourceContext,
  options: ResolvedWebhookSourceOptions,
  policy: StartReadPolicy,
): Observable<StatusEvent> {
  return new Observable<StatusEvent>((subscriber) =>
    openWebhookWatch(hub, ctx, options, policy, subscriber, undefined),
  );
}

/** Starts {@link webhookStatusEvents} into `sink`, with no subscription of its own; unsubscribe to stop it. */
export function openWebhookWatch(
  hub: WebhookRoutes,
  ctx: SourceContext,
  options: ResolvedWebhookSourceOptions,
  policy: StartReadPolicy,
  sink: WebhookSink,
  live: LiveEventListener | undefined,
): Unsubscribable {
  return new WebhookWatch(hub, ctx, options, policy, sink, live).open();
}

/**
 * One webhook-fed watch: the hub's observer, the reader of its read at start, the abort listener and its own
 * teardown in one object. Written out rather than composed (defer, concatMap, takeWhile, takeUntil, a layer for the
 * read at start) and as a class rather than closures: an idle webhook watch is this object, its subscription to the
 * hub and its entry at the read gate (no subscription until its turn), where an operator chain per watch was most of
 * its heap (docs/benchmarks.md, "Heap per idle watched run").
 */
class WebhookWatch implements GateReader<StatusEvent> {
  private readonly jobId: string;
  private queue: Arrival[] | undefined = undefined;
  /** The arrival being turned into status events: its subscription, or its read's entry at the gate. */
  private active: Subscription | undefined = undefined;
  private gate: GateEntry<StatusEvent> | undefined = undefined;
  private busy = false;
  private eventsDone = false;
  private live = false;
  private closed = false;
  private listening = false;
  // The webhook ids seen, to replay a kept event only when it was not: made at the first event (most idle watches
  // never see one).
  private seen: Set<string> | undefined = undefined;
  private events: Subscription | undefined = undefined;

  constructor(
    private readonly hub: WebhookRoutes,
    private readonly ctx: SourceContext,
    private readonly options: ResolvedWebhookSourceOptions,
    private readonly policy: StartReadPolicy,
    private readonly sink: WebhookSink,
    private readonly onLive: LiveEventListener | undefined,
  ) {
    this.jobId = ctx.adapter.jobId(ctx.job);
  }

  open(): this {
    const { ctx, hub } = this;
    if (isAborted(ctx)) {
      this.end();
      return this;
    }
    listenAbort(ctx, this);
    this.listening = true;
    const events = hub.jobEvents(this.jobId).subscribe(this);
    // Events held by the hub arrive while subscribing, and a terminal one ends the watch there.
    if (this.closed) {
      events.unsubscribe();
      return this;
    }
    this.events = events;
    this.live = true;
    if (!this.options.createdJustNow) {
      const held = this.seen !== undefined;
      const recall = hub.lastEvent ? hub.lastEvent(this.jobId) : Promise.resolve(undefined);
      void recall.then(
        (kept) => this.recalled(kept, held),
        () => this.recalled(undefined, held),
      );
    }
    return this;
  }

  /** What the hub's store kept about the job (or nothing): replayed if not seen, else the job is read. */
  private recalled(kept: WebhookEvent | undefined, held: boolean): void {
    if (this.closed) return;
    if (kept) {
      if (!this.seen?.has(kept.webhookId)) this.arrive(kept);
    } else if (!held) {
      this.arrive(READ);
    }
  }

  /** An event about the job, from the hub. */
  next(event: WebhookEvent): void {
    this.seen ??= new Set();
    this.seen.add(event.webhookId);
    this.arrive(event);
    if (this.live) this.onLive?.liveEvent();
  }

  /** The hub failed. */
  error(error: unknown): void {
    this.fail(error);
  }

  /** The hub has no more events about the job. */
  complete(): void {
    this.eventsDone = true;
    this.drain();
  }

  /** The watch's signal aborted. */
  handleEvent(): void {
    this.end();
  }

  private arrive(arrival: Arrival): void {
    // Mostly one arrival at a time (the read at start): an array made by push would be sized for 17.
    if (this.queue) this.queue.push(arrival);
    else this.queue = [arrival];
    this.drain();
  }

  /** One arrival at a time, in order (one retrieve at a time). */
  private drain(): void {
    while (!this.busy && !this.closed) {
      const arrival = this.queue?.shift();
      if (!arrival) {
        this.queue = undefined;
        if (this.eventsDone) this.end();
        return;
      }
      if (arrival === READ && !this.options.budget) {
        // Many watches starting together read through one gate per client: a few at a time, with jitter. The read
        // waits there as a bare entry and is built when its turn comes.
        this.busy = true;
        this.gate = startReadGate(this.ctx.client).enter(this, this.ctx.scheduler, this.ctx.random);
        return;
      }
      const status$ = statusOf(arrival, this.ctx, this.options, this.policy);
      if (!status$) continue;
      this.busy = true;
      let finished = false;
      const inner = status$.subscribe({
        next: (event) => this.emit(event),
        error: (error: unknown) => this.fail(error),
        complete: () => {
          finished = true;
          this.settled();
        },
      });
      // An arrival that yields at once (an announced event) has finished, and maybe started the next, by now.
      if (!finished) this.active = inner;
    }
  }

  /** The arrival in progress is done: on to the next. */
  private settled(): void {
    this.busy = false;
    this.active = undefined;
    this.gate = undefined;
    this.drain();
  }

  gateRead(): Observable<StatusEvent> {
    return readAtStart(this.ctx, this.options, this.policy);
  }

  gateNext(event: StatusEvent): void {
    this.emit(event);
  }

  gateError(error: unknown): void {
    this.fail(error);
  }

  gateComplete(): void {
    this.settled();
  }

  // Like poll, the source is done once the job is: a terminal event is its last.
  private emit(event: StatusEvent): void {
    if (this.closed) return;
    this.sink.next(event);
    if (isJobTerminal(event.state)) this.end();
  }

  private end(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink.complete();
    this.unsubscribe();
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.sink.error(error);
    this.unsubscribe();
  }

  /** Stops the watch: the hub, the arrival in progress, the abort listener. */
  unsubscribe(): void {
    this.closed = true;
    if (this.listening) {
      this.listening = false;
      unlistenAbort(this.ctx, this);
    }
    const { events, active, gate } = this;
    this.events = undefined;
    this.active = undefined;
    this.gate = undefined;
    events?.unsubscribe();
    active?.unsubscribe();
    gate?.cancel();
  }
}

/** What one arrival yields: a read's event, an event's (announced, or read), or undefined for nothing. */
function statusOf(
  arrival: Arrival,
  ctx: SourceContext,
  options: ResolvedWebhookSourceOptions,
  policy: StartReadPolicy,
): Observable<StatusEvent> | undefined {
  if (arrival === READ) {
    // Without a budget the watch waits at the read gate itself (WebhookWatch.drain).
    return options.budget ? budgetedStartRead(ctx, options, policy, options.budget) : undefined;
  }
  const event = arrival;
  const status = ctx.adapter.webhookStatus(event.type);
  if (status === undefined) return undefined;
  const terminal = isJobTerminal(ctx.adapter.mapStatus(status));
  // created_at is in whole seconds: coarse, but it is when the change happened, not when we heard of it.
  const announced = () =>
    toStatusEvent(ctx.adapter, announcedJob(ctx.job, status), event.created_at * 1000, 'webhook');
  const fetch = options.fetch === 'always' || (options.fetch === 'when-needed' && !terminal);
  if (!fetch) return of(announced());
  return fetchJob(ctx, options).pipe(
    map(({ job, at }) => toStatusEvent(ctx.adapter, job, at, 'webhook')),
    catchError((e: unknown) => {
      if (ctx.signal.aborted) return EMPTY;
      const failure = classifyRequestError(e, ctx.job, ctx.adapter.describe(ctx.job));
      if (!failure.transient) return throwError(() => failure.error);
      // The signed event already says the job ended: report that rather than nothing. A non-terminal change
      // is skipped; the next event (or hybrid's fallback poll) catches up.
      return terminal ? of(announced()) : EMPTY;
    }),
  );
}

/** The read at start through the watch's budget: many watches starting together read at the budget's pace. */
function budgetedStartRead(
  ctx: SourceContext,
  options: ResolvedWebhookSourceOptions,
  policy: StartReadPolicy,
  budget: PollBudget,
): Observable<StatusEvent> {
  // The read is built when its turn comes, so a waiting one holds no request.
  const read = () => readAtStart(ctx, options, policy);
  return (
    budgetRead(budget, read, ctx.scheduler) ??
    startReadGate(ctx.client).through(read, ctx.scheduler, ctx.random)
  );
}

/** The read at start: a retrieve like a poll's (source `'poll'`), retried like the source's other retrieves. */
function readAtStart(
  ctx: SourceContext,
  options: ResolvedWebhookSourceOptions,
  policy: StartReadPolicy,
): Observable<StatusEvent> {
  return fetchJob(ctx, options).pipe(
    map(({ job, at }) => toStatusEvent(ctx.adapter, job, at, 'poll')),
    catchError((e: unknown) => {
      if (ctx.signal.aborted) return EMPTY;
      const failure = classifyRequestError(e, ctx.job, ctx.adapter.describe(ctx.job));
      if (!failure.transient) return throwError(() => failure.error);
      if (policy.startReadFailure === 'ignore') return EMPTY;
      const last = failure.status === undefined ? 'a network error' : `HTTP ${failure.status}`;
      const attempts = options.retries + 1;
      return throwError(
        () =>
          new RetriesExhaustedError(
            `${ctx.adapter.describe(ctx.job)}: the read when the webhook watch started failed, retried up to ${options.retries} times (last: ${last}); whether the job already ended is unknown. Use hybrid(hub), or raise webhookSource({ retries })`,
            attempts,
            { job: ctx.job, status: failure.status, cause: failure.cause },
          ),
      );
    }),
  );
}

/** One counted retrieve, retried on transient failures on the context's scheduler, never past the deadline. */
function fetchJob(
  ctx: SourceContext,
  options: ResolvedWebhookSourceOptions,
): Observable<{ job: unknown; at: number }> {
  return retrieve(ctx).pipe(
    retry({
      count: options.retries,
      delay: (e: unknown, attempt) => {
        const wait = options.retryDelayMs * 2 ** (attempt - 1);
        const transient = classifyRequestError(e, ctx.job, ctx.adapter.describe(ctx.job)).transient;
        if (!transient || ctx.signal.aborted || ctx.scheduler.now() + wait >= ctx.deadline)
          return throwError(() => e);
        return timer(wait, ctx.scheduler);
      },
    }),
  );
}

/** Counts and sends one retrieve; unsubscribing aborts it. */
function retrieve(ctx: SourceContext): Observable<{ job: unknown; at: number }> {
  return new Observable((subscriber) => {
    // Linked by hand rather than with AbortSignal.any, which would keep a dependent signal per request alive on the
    // watch's long-lived signal.
    const controller = new AbortController();
    const abort = () => controller.abort(ctx.signal.reason);
    if (ctx.signal.aborted) abort();
    else ctx.signal.addEventListener('abort', abort, { once: true });
    ctx.meter.add();
    // Only a request still in flight is aborted (poll-request.ts says why).
    let settled = false;
    // Promise.resolve().then: an adapter that throws synchronously becomes an error of this observable.
    Promise.resolve()
      .then(() =>
        ctx.adapter.retrieve(ctx.client, ctx.job, {
          signal: controller.signal,
          onExtraRequest: () => ctx.meter.add(),
        }),
      )
      .then(
        ({ job }) => {
          settled = true;
          subscriber.next({ job, at: ctx.scheduler.now() });
          subscriber.complete();
        },
        (e: unknown) => {
          settled = true;
          subscriber.error(e);
        },
      );
    return () => {
      ctx.signal.removeEventListener('abort', abort);
      if (!settled) controller.abort();
    };
  });
}

/** The job as a webhook announced it: what a webhook-fed watch applies when it does not read the job. */
export function announcedJob(ref: JobRef, status: string): AnnouncedJob {
  return kindSpec(ref.kind).announced(ref, status);
}
