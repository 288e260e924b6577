import { catchError, EMPTY, map, Observable, of, retry, type Subscription, throwError, timer } from 'rxjs';
import { ConfigurationError } from '../errors/configuration-error.js';
import { classifyRequestError } from '../errors/from-api-error.js';
import { RetriesExhaustedError } from '../errors/retries-exhausted-error.js';
import { kindSpec } from '../kinds/registry.js';
import type { AnnouncedJob } from '../kinds/spec.js';
import { toStatusEvent } from '../kinds/to-status-event.js';
import { isJobTerminal } from '../model/states.js';
import type { JobRef, Source, SourceContext, StatusEvent } from '../model/types.js';
import type { WebhookEvent } from '../webhooks/event.js';
import type { WebhookRoutes } from '../webhooks/hub.js';
import { budgetRead, type PollBudget } from './budget.js';
import { startReadGate } from './read-gate.js';

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

/**
 * Turns one job's events into status events, in order (one retrieve at a time), starting with a read of the job
 * unless the caller says it was created just now, the hub held an event about it (replayed on subscription), or
 * the hub's store kept one (delivered to any instance sharing the store, some time ago); a kept event the hub does
 * not hold any more is replayed. `onLiveEvent` is told of each event that arrives after the subscription (hybrid
 * restarts its fallback's schedule then). Shared by `webhookSource` and `hybrid`.
 */
export function webhookStatusEvents(
  hub: WebhookRoutes,
  ctx: SourceContext,
  options: ResolvedWebhookSourceOptions,
  policy: StartReadPolicy,
  onLiveEvent?: () => void,
): Observable<StatusEvent> {
  // Written out rather than composed (defer, concatMap, takeWhile, takeUntil, and a layer for the read at start):
  // an idle webhook watch is this one subscription and its subscription to the hub, where an operator chain per
  // watch was most of its heap (docs/benchmarks.md).
  return new Observable<StatusEvent>((subscriber) => {
    if (ctx.signal.aborted) {
      subscriber.complete();
      return;
    }
    const jobId = ctx.adapter.jobId(ctx.job);
    let queue: Arrival[] | undefined;
    let active: Subscription | undefined;
    let busy = false;
    let eventsDone = false;
    let live = false;
    // The webhook ids seen, to replay a kept event only when it was not: made at the first event (most idle
    // watches never see one).
    let seen: Set<string> | undefined;
    const onAbort = () => subscriber.complete();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    // Like poll, the source is done once the job is: a terminal event is its last.
    const emit = (event: StatusEvent) => {
      subscriber.next(event);
      if (isJobTerminal(event.state)) subscriber.complete();
    };
    // One arrival at a time, in order (one retrieve at a time).
    const drain = () => {
      while (!busy && !subscriber.closed) {
        const arrival = queue?.shift();
        if (!arrival) {
          if (eventsDone) subscriber.complete();
          return;
        }
        const status$ = statusOf(arrival, ctx, options, policy);
        if (!status$) continue;
        busy = true;
        let finished = false;
        const inner = status$.subscribe({
          next: emit,
          error: (error: unknown) => subscriber.error(error),
          complete: () => {
            finished = true;
            busy = false;
            active = undefined;
            drain();
          },
        });
        // An arrival that yields at once (an announced event) has finished, and maybe started the next, by now.
        if (!finished) active = inner;
      }
    };
    const arrive = (arrival: Arrival) => {
      queue ??= [];
      queue.push(arrival);
      drain();
    };
    const events = hub.jobEvents(jobId).subscribe({
      next: (event) => {
        seen ??= new Set();
        seen.add(event.webhookId);
        arrive(event);
        if (live) onLiveEvent?.();
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => {
        eventsDone = true;
        drain();
      },
    });
    live = true;
    if (!options.createdJustNow && !subscriber.closed) {
      const held = seen !== undefined;
      const recall = hub.lastEvent ? hub.lastEvent(jobId).catch(() => undefined) : Promise.resolve(undefined);
      void recall.then((kept) => {
        if (subscriber.closed) return;
        if (kept) {
          if (!seen?.has(kept.webhookId)) arrive(kept);
        } else if (!held) {
          arrive(READ);
        }
      });
    }
    return () => {
      ctx.signal.removeEventListener('abort', onAbort);
      events.unsubscribe();
      active?.unsubscribe();
    };
  });
}

/** What one arrival yields: a read's event, an event's (announced, or read), or undefined for nothing. */
function statusOf(
  arrival: Arrival,
  ctx: SourceContext,
  options: ResolvedWebhookSourceOptions,
  policy: StartReadPolicy,
): Observable<StatusEvent> | undefined {
  if (arrival === READ) return startRead(ctx, options, policy);
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

/** The read at start: a retrieve like a poll's (source `'poll'`), retried like the source's other retrieves. */
function startRead(
  ctx: SourceContext,
  options: ResolvedWebhookSourceOptions,
  policy: StartReadPolicy,
): Observable<StatusEvent> {
  // Many watches starting together read through their budget when they have one, else through one gate per
  // client: a few at a time, with jitter. The read is built when its turn comes, so a waiting one holds no request.
  const read = () => readAtStart(ctx, options, policy);
  return (
    (options.budget && budgetRead(options.budget, read, ctx.scheduler)) ??
    startReadGate(ctx.client).through(read, ctx.scheduler, ctx.random)
  );
}

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
