import { asyncScheduler, Observable, type SchedulerLike, type Subscription, type Unsubscribable } from 'rxjs';
import { DueHeap } from '../internal/due-heap.js';
import { EarliestTimer } from '../internal/earliest-timer.js';
import { withLongDelays } from '../internal/long-delay-scheduler.js';
import { isAborted, listenAbort, listenNudges, unlistenAbort } from '../internal/watch-context.js';
import { isJobTerminal } from '../model/states.js';
import type { SourceContext, StatusEvent } from '../model/types.js';
import { exhausted, type Outcome, request } from './poll-request.js';
import { delayIn, type PollSettings, WatchSchedule } from './watch-schedule.js';

/** Where a poll watch's events go: its subscriber, or a source that runs the poll inside its own (hybrid). */
export interface PollSink {
  readonly closed?: boolean;
  next(event: StatusEvent): void;
  error(error: unknown): void;
  complete(): void;
}

/** One watch of a {@link PollLoop}: where it stands in its schedule. A plain object, no timer of its own. */
export class PollWatch {
  /** Schedule attempt of the next request (-1: the extra immediate one). */
  attempt = 0;
  /** Consecutive failed requests. */
  failures = 0;
  /** The current cycle began with a nudge (a growth schedule starts short then). */
  nudged = false;
  /** Bumped by every nudge and every request, to tell a stale answer or timer from the current one. */
  turn = 0;
  done = false;
  cancelDue: { cancel(): void } | undefined = undefined;
  request: Subscription | undefined = undefined;
  nudges: Unsubscribable | undefined = undefined;
  readonly schedule: WatchSchedule;

  constructor(
    readonly loop: PollLoop,
    readonly ctx: SourceContext,
    readonly source: PollSettings,
    readonly subscriber: PollSink,
  ) {
    this.schedule = new WatchSchedule(source, ctx.job, ctx.scheduler.now());
  }

  /** The context's signal aborted (the watch is its own abort listener: no closure per watch). */
  handleEvent(): void {
    this.loop.finish(this);
  }
}

/**
 * The timer queue behind `poll()`: every poll watch on one scheduler waits in one heap, and one timer wakes the
 * earliest, as the shared budget does. A watch is a plain object instead of a chain of operators with a timer of
 * its own, which was most of an idle watch's heap (docs/benchmarks.md, "Heap per idle watched run"). Each watch
 * polls on its own schedule, exactly in virtual time and up to {@link REAL_TIME_WAKE_GRID_MS} late on the real
 * clock; nothing is shared but the timer.
 */
export class PollLoop {
  private readonly waiting = new DueHeap<PollWatch>();
  private readonly timer: EarliestTimer;

  /** @param wakeGridMs see {@link REAL_TIME_WAKE_GRID_MS} (0: each watch wakes exactly when it is due). */
  constructor(
    private readonly scheduler: SchedulerLike,
    wakeGridMs = 0,
  ) {
    this.timer = new EarliestTimer(scheduler, () => this.pump(), wakeGridMs);
  }

  /** The status events of one watch: retrieves on the source's schedule until a terminal status or the deadline. */
  watch(ctx: SourceContext, source: PollSettings): Observable<StatusEvent> {
    return new Observable<StatusEvent>((subscriber) => {
      if (isAborted(ctx) || ctx.scheduler.now() >= ctx.deadline) {
        subscriber.complete();
        return;
      }
      const w = this.start(ctx, source, subscriber, true);
      return () => this.drop(w);
    });
  }

  /**
   * Starts one watch that reports to `sink` rather than to a subscriber of its own, and whose nudges the caller
   * gives through {@link nudge}: a source that runs this poll inside its own subscription (hybrid's fallback) then
   * pays for no second subscription, no nudge subscription of its own. Stop it with {@link drop}. The caller has
   * checked the signal and the deadline.
   */
  start(ctx: SourceContext, source: PollSettings, sink: PollSink, ownNudges = false): PollWatch {
    const w = new PollWatch(this, ctx, source, sink);
    listenAbort(ctx, w);
    // Each nudge starts a new cycle: the pending wait and a request in flight are dropped.
    if (ownNudges) w.nudges = listenNudges(ctx, () => this.nudge(w));
    this.cycle(w, source.immediate, false);
    return w;
  }

  /** Starts the watch's schedule over: a change is likely now (a webhook event, a tool output submitted). */
  nudge(w: PollWatch): void {
    this.cycle(w, false, true);
  }

  /** Starts the watch's schedule over from attempt 0 (or with one immediate request). */
  private cycle(w: PollWatch, immediate: boolean, nudged: boolean): void {
    if (w.done) return;
    this.unschedule(w);
    w.nudged = nudged;
    w.failures = 0;
    w.attempt = immediate ? -1 : 0;
    this.after(w, immediate ? 0 : w.schedule.delay(w.ctx, 0, w.nudged, undefined));
  }

  /** The watch's next request after `delayMs` (at once for 0), unless the deadline has come by then. */
  private after(w: PollWatch, delayMs: number): void {
    if (delayMs > 0) {
      w.cancelDue = this.waiting.add(this.scheduler.now() + delayMs, w);
      this.arm();
    } else this.fire(w);
  }

  private fire(w: PollWatch): void {
    w.cancelDue = undefined;
    if (w.ctx.scheduler.now() >= w.ctx.deadline) this.finish(w);
    else this.send(w);
  }

  private send(w: PollWatch): void {
    const turn = ++w.turn;
    const subscription = request(w.ctx).subscribe({
      next: (outcome) => this.settle(w, turn, outcome),
      error: (error: unknown) => {
        if (w.turn === turn) this.finish(w, error);
      },
    });
    // A synchronous failure settles inside subscribe(): keep the subscription only while this request is in flight.
    if (w.turn === turn && !w.done && !subscription.closed) w.request = subscription;
  }

  /** One request's outcome: emit, then wait for the next poll (or a retry), or end. */
  private settle(w: PollWatch, turn: number, outcome: Outcome): void {
    if (w.turn !== turn || w.done) return;
    w.request = undefined;
    const { source } = w;
    if (outcome.ok) {
      w.schedule.observe(outcome.event);
      w.subscriber.next(outcome.event);
      // The subscriber may have left, or nudged, while handling the event.
      if (w.turn !== turn || w.done) return;
      if (isJobTerminal(outcome.event.state)) {
        this.finish(w);
        return;
      }
      w.attempt++;
      w.failures = 0;
      this.after(w, w.schedule.delay(w.ctx, w.attempt, w.nudged, outcome.hintMs));
      return;
    }
    w.failures++;
    if (w.failures > source.maxRetries) {
      this.finish(w, exhausted(w.ctx, w.failures, outcome.failure));
      return;
    }
    this.after(w, delayIn(w.ctx, source.retryPolicy, w.failures - 1, outcome.hintMs));
  }

  /** Drops the watch's wait and its request in flight. */
  private unschedule(w: PollWatch): void {
    w.turn++;
    w.cancelDue?.cancel();
    w.cancelDue = undefined;
    const pending = w.request;
    w.request = undefined;
    pending?.unsubscribe();
  }

  /** Ends the watch: completes its source, or errors it with `error`. */
  finish(w: PollWatch, error?: unknown): void {
    if (w.done) return;
    this.drop(w);
    if (error === undefined) w.subscriber.complete();
    else w.subscriber.error(error);
  }

  /** Forgets the watch (its subscriber left, or it ended). */
  drop(w: PollWatch): void {
    if (w.done) return;
    this.unschedule(w);
    w.done = true;
    w.nudges?.unsubscribe();
    unlistenAbort(w.ctx, w);
    this.arm();
  }

  /** Wakes every watch that is due, then re-arms for the next one. */
  private pump(): void {
    this.timer.fired();
    const now = this.scheduler.now();
    for (let w = this.waiting.popDue(now); w; w = this.waiting.popDue(now)) this.fire(w);
    this.arm();
  }

  /** One timer, for the earliest watch due: one loop serves every watch on the scheduler. */
  private arm(): void {
    this.timer.set(this.waiting.peek() ?? Number.POSITIVE_INFINITY);
  }
}

/**
 * On the real clock, the poll loop wakes on multiples of 10 ms: a poll goes out up to 10 ms after it is due (1 % of
 * a 1 s poll), never before, and the watches due within those 10 ms go out on one wake-up. Waking at each due
 * millisecond, 300 watches polled every second woke their process 6,000 to 7,000 times in 15 s where the seed's
 * loops woke it 5,300 to 6,300 times, and cost 1.06× its CPU per retrieve; on the grid, 3,600 to 4,200 wake-ups
 * and 0.96× to 0.98× (docs/benchmarks.md, CPU per retrieve). Why more: an answer's next due time is read from the
 * clock as it is handled, so answers that arrived together spread over the milliseconds their handling took, where
 * Node's timers start from the event loop's time, read once per turn, and keep them together (due times read once
 * per turn here too brought the wake-ups down to 3,600 and the CPU to 0.99×; the grid needs no hook into the event
 * loop, and bounds the lateness). Virtual time (a scheduler a caller passes) stays exact.
 */
export const REAL_TIME_WAKE_GRID_MS = 10;

const LOOPS = new WeakMap<SchedulerLike, PollLoop>();

/** The poll loop of a scheduler: one per clock, so virtual time in tests moves only its own watches. */
export function pollLoop(scheduler: SchedulerLike): PollLoop {
  let loop = LOOPS.get(scheduler);
  if (!loop) {
    const realTime = scheduler === asyncScheduler || scheduler === withLongDelays(asyncScheduler);
    loop = new PollLoop(scheduler, realTime ? REAL_TIME_WAKE_GRID_MS : 0);
    LOOPS.set(scheduler, loop);
  }
  return loop;
}
