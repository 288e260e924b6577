import { Observable, type Subscriber, type Unsubscribable } from 'rxjs';
import { isAborted, listenNudges } from '../internal/watch-context.js';
import { byKind } from '../kinds/registry.js';
import type { Source, StatusEvent } from '../model/types.js';
import type { WebhookRoutes } from '../webhooks/hub.js';
import type { BudgetedPollSource } from './budget.js';
import { isPlainPoll, type PollOptions, poll } from './poll.js';
import { type PollLoop, type PollSink, type PollWatch, pollLoop } from './poll-loop.js';
import { type StreamOptions, type StreamSource, stream } from './stream.js';
import {
  type LiveEventListener,
  openWebhookWatch,
  resolveOptions,
  type StartReadPolicy,
  type WebhookSourceOptions,
} from './webhook.js';

/**
 * The fallback poll of {@link hybrid} by default, by kind: each delay is the job's age (polls at ages doubling),
 * so a lost webhook is noticed within the job's own duration, or within the first delay for jobs shorter than
 * half of it: 90 s for runs and responses, 5 minutes for batches. Delays stop growing at 1 h (runs, responses)
 * and 2 h (batches).
 */
// Each kind's spec holds its numbers (`defaults.hybridPoll`), chosen in bench/strategies.ts with 5% of webhooks
// lost: the first delays are the shortest that keep the fallback within its retrieve goals on every distribution
// (figures: docs/benchmarks.md, "Why the defaults are what they are").
export const HYBRID_FALLBACK_POLL = {
  schedules: byKind((spec) => spec.defaults.hybridPoll),
} as const satisfies PollOptions;

/**
 * Options of {@link hybrid}: those of the webhook part (`createdJustNow` skips its read at start). Its read at start
 * spends a token of `budget`, by default the fallback's own when it is a budget's poll (`budget.poll()`).
 */
export type HybridOptions = WebhookSourceOptions;

let sharedFallback: Source | undefined;

/**
 * The default fallback, made once: a poll source is settings and a function, the same for every watch, and
 * `hybrid(hub)` is usually called once per watch; resolving its schedules each time was about 1.3 KiB of every
 * hybrid watch (docs/benchmarks.md, "Heap per idle watched run").
 */
function defaultFallback(): Source {
  sharedFallback ??= poll(HYBRID_FALLBACK_POLL);
  return sharedFallback;
}

/**
 * Webhooks first, polling as a safety net: merges `webhookSource(hub)` with a slow `fallback` source, and restarts
 * the fallback's schedule at each webhook event about the job (through its `nudge$`), so the poll fires only when
 * webhooks go quiet. Both may report the same change; the machine keeps one snapshot per change.
 * @example watchRun({ client, job: { kind: 'response', id }, source: hybrid(hub) })
 */
export function hybrid(
  hub: WebhookRoutes,
  fallback: Source = defaultFallback(),
  options: HybridOptions = {},
): Source {
  const resolved = resolveOptions(options);
  resolved.budget ??= (fallback as Partial<BudgetedPollSource>).budget;
  return {
    name: 'hybrid',
    // Written out rather than composed (defer, share, merge, map): an idle hybrid watch is these few subscriptions,
    // where an operator chain per watch was most of its heap (docs/benchmarks.md, "Heap per idle watched run").
    watch: (ctx) =>
      new Observable<StatusEvent>((subscriber) => {
        // The default fallback, a plain poll(), runs inside this subscription: its entry in the poll loop reports
        // to the sink and is nudged directly (poll-loop.ts), with no subscription of its own.
        if (isPlainPoll(fallback)) {
          const loop = pollLoop(ctx.scheduler);
          const watch = new HybridWatch(subscriber, loop);
          // A failed read at start is not fatal here: the fallback poll will look.
          watch.webhook = openWebhookWatch(hub, ctx, resolved, IGNORE_START_READ_FAILURE, watch, watch);
          if (subscriber.closed) return watch;
          if (isAborted(ctx) || ctx.scheduler.now() >= ctx.deadline) watch.complete();
          else watch.polling = loop.start(ctx, fallback, watch);
          watch.nudges = listenNudges(ctx, () => watch.liveEvent());
          return watch;
        }
        // Any other fallback gets its nudges as an Observable: the watch's own (a tool output submitted), and each
        // live webhook event about the job, so it polls only when webhooks go quiet. Its subscriber is subscribed to
        // the watch's nudges as is (no Subject, no second subscriber), and webhook events call it directly.
        let pollNudges: Subscriber<void> | undefined;
        const nudge$ = new Observable<void>((nudges) => {
          pollNudges = nudges;
          ctx.nudge$.subscribe(nudges);
          return () => {
            if (pollNudges === nudges) pollNudges = undefined;
          };
        });
        const sink = new HybridWatch(subscriber, undefined);
        // A failed read at start is not fatal here: the fallback poll will look.
        const webhook = openWebhookWatch(hub, ctx, resolved, IGNORE_START_READ_FAILURE, sink, {
          liveEvent: () => pollNudges?.next(),
        });
        const polls = subscriber.closed ? undefined : fallback.watch({ ...ctx, nudge$ }).subscribe(sink);
        return () => {
          webhook.unsubscribe();
          polls?.unsubscribe();
        };
      }),
  };
}

const IGNORE_START_READ_FAILURE: StartReadPolicy = { startReadFailure: 'ignore' };

/**
 * One hybrid watch: both parts report to it, and it completes its subscriber when both have. With a plain poll
 * fallback it also holds the poll loop entry, restarts it at each live webhook event and each nudge, and is the
 * subscription's teardown. A class: an idle hybrid watch is objects, not closures (docs/benchmarks.md, "Heap per
 * idle watched run").
 */
class HybridWatch implements PollSink, LiveEventListener {
  private open = 2;
  polling: PollWatch | undefined = undefined;
  webhook: Unsubscribable | undefined = undefined;
  nudges: Unsubscribable | undefined = undefined;

  constructor(
    private readonly subscriber: Subscriber<StatusEvent>,
    readonly loop: PollLoop | undefined,
  ) {}

  next(event: StatusEvent): void {
    this.subscriber.next(event);
  }

  error(error: unknown): void {
    this.subscriber.error(error);
  }

  complete(): void {
    this.open--;
    if (this.open === 0) this.subscriber.complete();
  }

  /** A live webhook event about the job, or a nudge of the watch (a tool output submitted): the fallback's
   * schedule starts over. */
  liveEvent(): void {
    if (this.polling) this.loop?.nudge(this.polling);
  }

  unsubscribe(): void {
    this.webhook?.unsubscribe();
    this.nudges?.unsubscribe();
    if (this.polling) this.loop?.drop(this.polling);
    this.polling = undefined;
  }
}

/**
 * The stream first, a slow poll behind it: `stream()` whose watchdog retrieves after 30 s of silence, and which
 * falls back to the hybrid's slow poll (`HYBRID_FALLBACK_POLL`) when the response cannot stream or the stream
 * cannot resume. For responses created with `background: true, stream: true`.
 * @example watchRun({ client, job: { kind: 'response', id }, source: hybridStream() })
 */
export function hybridStream(options: Omit<StreamOptions, 'fallback'> = {}): StreamSource {
  return stream({
    watchdogMs: 30_000,
    ...options,
    fallback: poll(HYBRID_FALLBACK_POLL),
  });
}
