import { Observable, type Subscriber } from 'rxjs';
import { byKind } from '../kinds/registry.js';
import type { Source, StatusEvent } from '../model/types.js';
import type { WebhookRoutes } from '../webhooks/hub.js';
import type { BudgetedPollSource } from './budget.js';
import { isPlainPoll, type PollOptions, poll } from './poll.js';
import { type PollWatch, pollLoop } from './poll-loop.js';
import { type StreamOptions, type StreamSource, stream } from './stream.js';
import { resolveOptions, type WebhookSourceOptions, webhookStatusEvents } from './webhook.js';

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
        const sink = new HybridSink(subscriber);
        // The default fallback, a plain poll(), runs inside this subscription: its entry in the poll loop reports
        // to the sink and is nudged directly (poll-loop.ts), with no subscription of its own.
        if (isPlainPoll(fallback)) {
          const loop = pollLoop(ctx.scheduler);
          let polling: PollWatch | undefined;
          // A failed read at start is not fatal here: the fallback poll will look.
          const webhook = webhookStatusEvents(hub, ctx, resolved, { startReadFailure: 'ignore' }, () => {
            if (polling) loop.nudge(polling);
          }).subscribe(sink);
          if (subscriber.closed) return webhook;
          if (ctx.signal.aborted || ctx.scheduler.now() >= ctx.deadline) sink.complete();
          else polling = loop.start(ctx, fallback, sink);
          const nudges = ctx.nudge$.subscribe(() => {
            if (polling) loop.nudge(polling);
          });
          return () => {
            webhook.unsubscribe();
            nudges.unsubscribe();
            if (polling) loop.drop(polling);
          };
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
        // A failed read at start is not fatal here: the fallback poll will look.
        const webhook = webhookStatusEvents(hub, ctx, resolved, { startReadFailure: 'ignore' }, () =>
          pollNudges?.next(),
        ).subscribe(sink);
        const polls = subscriber.closed ? undefined : fallback.watch({ ...ctx, nudge$ }).subscribe(sink);
        return () => {
          webhook.unsubscribe();
          polls?.unsubscribe();
        };
      }),
  };
}

/** Both parts of a hybrid watch into its subscriber, which completes when both have. A class: no closures. */
class HybridSink {
  private open = 2;

  constructor(private readonly subscriber: Subscriber<StatusEvent>) {}

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
