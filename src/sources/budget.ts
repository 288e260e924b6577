import {
  Observable,
  type SchedulerLike,
  type Subscriber,
  type Subscription,
  type Unsubscribable,
} from 'rxjs';
import { ConfigurationError } from '../errors/configuration-error.js';
import { isPacing429 } from '../errors/from-api-error.js';
import { DueHeap } from '../internal/due-heap.js';
import { isAborted, listenAbort, listenNudges, unlistenAbort } from '../internal/watch-context.js';
import { isJobTerminal } from '../model/states.js';
import type { SourceContext, StatusEvent } from '../model/types.js';
import { recordBudgetWait } from '../telemetry/process-metrics.js';
import { MAX_TIMER_MS } from './backoff.js';
import { orderedSource } from './ordered-source.js';
import {
  exhausted,
  type Outcome,
  type PollOptions,
  type PollSource,
  poll,
  request,
  WatchSchedule,
} from './poll.js';
import { readRequestLimitHeaders } from './rate-limit-headers.js';
import { TokenBucket } from './token-bucket.js';
import { delayIn } from './watch-schedule.js';

/** Options of {@link createPollBudget}. */
export interface PollBudgetOptions {
  /** Requests per minute that every watch of this budget may spend together (> 0). */
  rpm: number;
  /**
   * Requests that may go out at once after a quiet spell (≥ 1). The default keeps every 60-second window under
   * `rpm + burst` requests, and leaves room in the server's bucket for requests that do not go through the budget
   * (creates, submissions). `burst: rpm` spends a server bucket that is full at the start (as OpenAI's and the
   * simulator's are) at once: faster detection when many watches start together (docs/benchmarks.md, Budget), up
   * to twice `rpm` in the first minute.
   *
   * @defaultValue one second's worth, `ceil(rpm / 60)`
   */
  burst?: number;
  /**
   * Clock of the bucket and of the one timer.
   *
   * @defaultValue the scheduler of the first watch that subscribes (the `scheduler` given to `watchRun`)
   */
  scheduler?: SchedulerLike;
  /**
   * Which due watch gets the next token when the budget is short. Nudged watches always go first (tool outputs
   * were just submitted, or another source saw a change: a change is likely now). Then:
   * - `'lag'`: the watch whose poll is most overdue, in ms: every schedule is stretched by the same lag.
   * - `'relative'`: the most overdue relative to its own interval (`lag / interval`): every schedule is stretched in
   *   proportion, so watches on short intervals keep more of their pace. Meant for schedules whose intervals say
   *   how likely a change is (learned durations). With the default backoff the two rules measured the same within
   *   run-to-run noise (docs/benchmarks.md, Budget).
   *
   * @defaultValue `'lag'`
   */
  priority?: BudgetPriority;
}

/** How a short budget chooses between due watches: see {@link PollBudgetOptions.priority}. */
export type BudgetPriority = 'lag' | 'relative';

/** What a budget is doing, for logs and benchmarks. */
export interface PollBudgetStats {
  /** Watches subscribed. */
  watches: number;
  /**
   * Watches whose poll is due and that wait for a token, and reads at start of webhook-fed watches waiting for one:
   * the backlog when the budget is short.
   */
  due: number;
  /** Retrieves in flight. */
  inFlight: number;
  /** Retrieves sent so far. */
  requests: number;
  /** 429s received so far. */
  rateLimited: number;
  /** Requests per minute in force: the configured rate, lowered by what the server's headers said. */
  rpm: number;
  /** Tokens now (below zero after a 429 or a low `x-ratelimit-remaining-requests`). */
  tokens: number;
  /** End of the retry-after of the last 429 while it is in force. */
  blockedUntil: number | undefined;
}

/** A poll source whose retrieves are scheduled by a shared {@link PollBudget}. */
export interface BudgetedPollSource extends PollSource {
  readonly budget: PollBudget;
}

/**
 * One read outside the watches' schedules, waiting for a token: a webhook-fed watch's read at start
 * ({@link budgetRead}). Built when its token comes, so a waiting one holds no request.
 */
class BudgetRead {
  cancelled = false;
  inner: Subscription | undefined = undefined;

  constructor(
    readonly read: () => Observable<unknown>,
    readonly subscriber: Subscriber<unknown>,
    /** When it started waiting (budget clock): it competes with the due polls by lag. */
    readonly queuedAt: number,
  ) {}
}

/** A scheduler of polls shared by every watch on one client (one rate limit). */
export interface PollBudget {
  /**
   * A `poll()` source (same options, same schedule when the budget is not short) whose retrieves wait for this
   * budget's tokens. Throws `ConfigurationError` for invalid options, as `poll()` does.
   */
  poll(options?: PollOptions): BudgetedPollSource;
  stats(): PollBudgetStats;
}

/** How long everyone waits after a 429 that says nothing about when to come back. */
const DEFAULT_BLOCK_MS = 1000;

const WAITING = 0;
const DUE = 1;
const IN_FLIGHT = 2;
const IDLE = 3;
const DONE = 4;
type Phase = typeof WAITING | typeof DUE | typeof IN_FLIGHT | typeof IDLE | typeof DONE;

/** One watch of the budget: where it stands in its own poll schedule. */
class Watch {
  phase: Phase = IDLE;
  /** Schedule attempt of the next request (-1: the extra immediate one). */
  attempt = 0;
  /** Consecutive failed requests. */
  failures = 0;
  /** When its own schedule wants the next request (budget clock). */
  dueAt = 0;
  /** The delay that led to `dueAt` (the `'relative'` priority measures lateness in these). */
  intervalMs = 1;
  /** Nudged since its last request: goes before every other due watch. */
  nudged = false;
  /** Requests sent, to tell the one in flight from an earlier one. */
  sends = 0;
  cancelDue: (() => void) | undefined = undefined;
  /** While due: its places in the budget's heaps of due watches (by due time, and by deadline). */
  cancelLag: (() => void) | undefined = undefined;
  cancelDeadline: (() => void) | undefined = undefined;
  request: Subscription | undefined = undefined;
  nudges: Unsubscribable | undefined = undefined;
  readonly schedule: WatchSchedule;

  constructor(
    readonly ctx: SourceContext,
    readonly source: PollSource,
    readonly subscriber: Subscriber<StatusEvent>,
    /** The watch's deadline on the budget clock. */
    readonly deadline: number,
    /** When the watch subscribed, on the watch's clock (custom `delays` get the time elapsed since). */
    readonly start: number,
    readonly onAbort: () => void,
  ) {
    this.schedule = new WatchSchedule(source, ctx.job, start);
  }
}

/**
 * Creates a poll scheduler shared by all watches on one client. One loop on one timer decides whose retrieve goes
 * next, instead of a timer per watch; it never spends more than `rpm` requests per minute (a token bucket that
 * also follows the `x-ratelimit-*-requests` headers of every response); a 429 stops every watch for its
 * retry-after; and when the budget is short, the next token goes to a watch that was just nudged (a change is
 * likely), else to the one whose poll is most overdue, so every schedule is stretched by the same lag and none
 * starves (see `priority`). When the budget is not short, each watch polls exactly as `poll()` would.
 *
 * Only the budget's retrieves are scheduled: tool-output submissions, expiry checks and cancels go out at once,
 * and the budget learns about them from the headers of the next responses.
 * @example
 * const budget = createPollBudget({ rpm: 600 });
 * for (const id of ids) watchRun({ client, job: { kind: 'response', id }, source: budget.poll() }).subscribe(...);
 * @throws ConfigurationError for an `rpm` that is not a positive number, a `burst` below 1, or an unknown
 *   `priority`.
 */
export function createPollBudget(options: PollBudgetOptions): PollBudget {
  const { rpm } = options ?? {};
  if (typeof rpm !== 'number' || !Number.isFinite(rpm) || rpm <= 0) {
    throw new ConfigurationError(
      `createPollBudget: rpm must be a positive number of requests per minute, got ${JSON.stringify(rpm)}`,
    );
  }
  const burst = options.burst ?? Math.max(1, Math.ceil(rpm / 60));
  if (typeof burst !== 'number' || !Number.isFinite(burst) || burst < 1) {
    throw new ConfigurationError(
      `createPollBudget: burst must be a number ≥ 1, got ${JSON.stringify(burst)}`,
    );
  }
  const priority = options.priority ?? 'lag';
  if (priority !== 'lag' && priority !== 'relative') {
    throw new ConfigurationError(
      `createPollBudget: priority must be 'lag' or 'relative', got ${JSON.stringify(priority)}`,
    );
  }
  const loop = new BudgetLoop(rpm, burst, priority, options.scheduler);
  const budget: PollBudget = {
    poll(pollOptions: PollOptions = {}) {
      const { policy, schedules, retryPolicy, maxRetries, immediate, delays, kindDefaults } =
        poll(pollOptions);
      const source: BudgetedPollSource = {
        name: 'poll',
        policy,
        schedules,
        retryPolicy,
        maxRetries,
        immediate,
        delays,
        kindDefaults,
        budget,
        watch: (ctx) => loop.watch(ctx, source),
      };
      return orderedSource(source);
    },
    stats: () => loop.stats(),
  };
  LOOPS.set(budget, loop);
  return budget;
}

const LOOPS = new WeakMap<PollBudget, BudgetLoop>();

/**
 * `read()` sent when `budget` gives it a token, or undefined when `budget` was not made by
 * {@link createPollBudget}. A webhook-fed watch's read at start goes through here when the watch has a budget
 * (issue 21: 10,000 such watches starting together must not send 10,000 retrieves at once); it competes with the
 * due polls by how long it has waited, after the nudged ones. The read's own retries stay within its token.
 */
export function budgetRead<T>(
  budget: PollBudget,
  read: () => Observable<T>,
  scheduler: SchedulerLike,
): Observable<T> | undefined {
  return LOOPS.get(budget)?.read(read, scheduler);
}

/** The scheduler loop behind a budget. */
class BudgetLoop {
  private bucket: TokenBucket | undefined;
  /** Watches waiting for their own schedule, by due time. */
  private readonly waiting = new DueHeap<Watch>();
  /** Watches whose poll is due, waiting for a token. */
  private readonly due = new Set<Watch>();
  // The due watches again, ordered, so that choosing the next one, and finding those past their deadline, costs
  // log n instead of a pass over a backlog that can hold every watch (10,000 due watches made each answer cost
  // three passes of 10,000): by due time (the most overdue first, for `'lag'`), nudged ones apart, and by deadline.
  private readonly dueByLag = new DueHeap<Watch>();
  private readonly dueNudged = new Set<Watch>();
  private readonly dueByDeadline = new DueHeap<Watch>();
  /** Reads waiting for a token (see {@link budgetRead}), in arrival order from `readsHead`. */
  private reads: BudgetRead[] = [];
  private readsHead = 0;
  private readsWaiting = 0;
  private watches = 0;
  private inFlight = 0;
  private requests = 0;
  private rateLimited = 0;
  private timer: Subscription | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private pumping = false;
  private again = false;
  private soon: Subscription | undefined;

  constructor(
    private readonly rpm: number,
    private readonly burst: number,
    private readonly priority: BudgetPriority,
    private scheduler: SchedulerLike | undefined,
  ) {}

  watch(ctx: SourceContext, source: PollSource): Observable<StatusEvent> {
    return new Observable<StatusEvent>((subscriber) => {
      if (isAborted(ctx) || ctx.scheduler.now() >= ctx.deadline) {
        subscriber.complete();
        return;
      }
      this.scheduler ??= ctx.scheduler;
      const now = this.now();
      this.bucket ??= new TokenBucket(this.rpm, this.burst, now);
      // The deadline moves to the budget's clock as a duration, so a budget on another clock still honours it.
      const deadline = now + (ctx.deadline - ctx.scheduler.now());
      const start = ctx.scheduler.now();
      const w: Watch = new Watch(ctx, source, subscriber, deadline, start, () => this.finish(w));
      this.watches++;
      listenAbort(ctx, w.onAbort);
      // Each nudge restarts the watch's schedule and drops its request in flight, as poll() does.
      w.nudges = listenNudges(ctx, () => {
        w.nudged = true;
        this.restart(w, false);
      });
      this.restart(w, source.immediate, true);
      return () => this.drop(w);
    });
  }

  /** One read outside the schedules, sent when a token comes; unsubscribing leaves the queue or aborts it. */
  read<T>(read: () => Observable<T>, scheduler: SchedulerLike): Observable<T> {
    return new Observable<T>((subscriber) => {
      this.scheduler ??= scheduler;
      const now = this.now();
      this.bucket ??= new TokenBucket(this.rpm, this.burst, now);
      const entry = new BudgetRead(read, subscriber as Subscriber<unknown>, now);
      this.reads.push(entry);
      this.readsWaiting++;
      // As for a new watch: spend tokens once the code starting the watches lets go of the event loop.
      this.pumpSoon();
      return () => {
        if (entry.cancelled) return;
        entry.cancelled = true;
        if (entry.inner) {
          entry.inner.unsubscribe();
          this.inFlight--;
        } else {
          this.readsWaiting--;
          if (!this.pumping) this.arm();
        }
      };
    });
  }

  stats(): PollBudgetStats {
    const now = this.scheduler ? this.now() : 0;
    return {
      watches: this.watches,
      due: this.due.size + this.readsWaiting,
      inFlight: this.inFlight,
      requests: this.requests,
      rateLimited: this.rateLimited,
      rpm: this.bucket?.rpm ?? this.rpm,
      tokens: this.bucket?.available(now) ?? this.burst,
      blockedUntil: this.bucket?.blockedAt(now),
    };
  }

  private now(): number {
    return this.scheduler!.now();
  }

  /**
   * Starts the watch's schedule over from attempt 0 (or with one immediate request). A new watch (`later`) spends
   * tokens once the code subscribing it lets go of the event loop: subscribing thousands of watches in one go holds
   * the loop while the clock runs, and tokens taken meanwhile at the budget's pace would leave together afterwards,
   * one burst the server's bucket cannot absorb (429s).
   */
  private restart(w: Watch, immediate: boolean, later = false): void {
    if (w.phase === DONE) return;
    this.unschedule(w);
    w.failures = 0;
    w.attempt = immediate ? -1 : 0;
    this.schedule(w, immediate ? 0 : w.schedule.delay(w.ctx, 0, w.nudged, undefined));
    if (!later) this.pump();
    else this.pumpSoon();
  }

  private pumpSoon(): void {
    this.soon ??= this.scheduler!.schedule(() => {
      this.soon = undefined;
      this.pump();
    });
  }

  private schedule(w: Watch, delayMs: number): void {
    w.dueAt = this.now() + delayMs;
    w.intervalMs = Math.max(1, delayMs);
    w.phase = WAITING;
    w.cancelDue = this.waiting.push(w.dueAt, w);
  }

  /** Takes the watch out of the waiting heap and the due set, and drops its request in flight. */
  private unschedule(w: Watch): void {
    w.cancelDue?.();
    w.cancelDue = undefined;
    this.leaveDue(w);
    if (w.phase === IN_FLIGHT) {
      const pending = w.request;
      this.release(w);
      pending?.unsubscribe();
    }
    if (w.phase !== DONE) w.phase = IDLE;
  }

  private release(w: Watch): void {
    if (w.phase !== IN_FLIGHT) return;
    this.inFlight--;
    w.request = undefined;
    w.phase = IDLE;
  }

  /** Moves due watches to the due set, ends those past their deadline, and spends the tokens there are. */
  private pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        const now = this.now();
        for (let w = this.waiting.popDue(now); w; w = this.waiting.popDue(now)) {
          w.cancelDue = undefined;
          w.phase = DUE;
          this.enterDue(w);
        }
        for (let w = this.dueByDeadline.popDue(now); w; w = this.dueByDeadline.popDue(now)) this.finish(w);
        while ((this.due.size > 0 || this.readsWaiting > 0) && this.bucket!.tryTake(now)) {
          const read = this.nextRead();
          if (read) this.sendRead(read);
          else this.send(this.next(now));
        }
      } while (this.again);
    } finally {
      this.pumping = false;
    }
    this.arm();
  }

  /**
   * The due watch that gets the next token: a nudged one first, then the most overdue (in ms, or relative to its
   * interval). `'lag'` is the default because under a short budget a watch's attempt count, and so its backoff
   * interval, stops tracking its age: a short interval no longer means a change is near, and holding every watch
   * to the same lag bounds the worst case. (bench/budget.ts measured the two the same within noise.)
   */
  private next(now: number): Watch {
    const relative = this.priority === 'relative';
    // Nudges are rare: a pass over them. `'relative'` scores change order as time passes: a pass over all.
    const pool = this.dueNudged.size > 0 ? this.dueNudged : relative ? this.due : undefined;
    if (!pool) return this.dueByLag.popDue(Number.POSITIVE_INFINITY)!;
    let best: Watch | undefined;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const w of pool) {
      const lag = now - w.dueAt;
      const score = relative ? lag / w.intervalMs : lag;
      if (!best || (w.nudged && !best.nudged) || (w.nudged === best.nudged && score > bestScore)) {
        best = w;
        bestScore = score;
      }
    }
    return best!;
  }

  /**
   * The read to send with the next token, if one goes before every due watch: none while a watch is nudged, else
   * the oldest read when it has waited at least as long as the most overdue poll.
   */
  private nextRead(): BudgetRead | undefined {
    if (this.readsWaiting === 0 || this.dueNudged.size > 0) return undefined;
    let read = this.reads[this.readsHead];
    while (read?.cancelled) read = this.reads[++this.readsHead];
    if (!read) return undefined;
    if (this.due.size > 0 && read.queuedAt > (this.dueByLag.peek() ?? Number.POSITIVE_INFINITY))
      return undefined;
    this.readsHead++;
    // Drop the entries already served, once they are the larger part of the queue.
    if (this.readsHead > 1024 && this.readsHead * 2 > this.reads.length) {
      this.reads = this.reads.slice(this.readsHead);
      this.readsHead = 0;
    }
    return read;
  }

  private sendRead(read: BudgetRead): void {
    this.readsWaiting--;
    this.inFlight++;
    this.requests++;
    let ended = false;
    const end = () => {
      if (ended || read.cancelled) return;
      ended = true;
      read.cancelled = true;
      this.inFlight--;
    };
    const inner = read.read().subscribe({
      next: (value) => read.subscriber.next(value),
      error: (error: unknown) => {
        end();
        read.subscriber.error(error);
      },
      complete: () => {
        end();
        read.subscriber.complete();
      },
    });
    if (!ended) read.inner = inner;
  }

  private enterDue(w: Watch): void {
    this.due.add(w);
    if (w.nudged) this.dueNudged.add(w);
    else w.cancelLag = this.dueByLag.push(w.dueAt, w);
    w.cancelDeadline = this.dueByDeadline.push(w.deadline, w);
  }

  private leaveDue(w: Watch): void {
    if (!this.due.delete(w)) return;
    this.dueNudged.delete(w);
    w.cancelLag?.();
    w.cancelDeadline?.();
    w.cancelLag = undefined;
    w.cancelDeadline = undefined;
  }

  private send(w: Watch): void {
    recordBudgetWait(w.ctx.adapter.kind, this.now() - w.dueAt);
    this.leaveDue(w);
    w.nudged = false;
    w.phase = IN_FLIGHT;
    this.inFlight++;
    this.requests++;
    const sent = ++w.sends;
    let answered = false;
    const subscription = request(w.ctx).subscribe({
      next: (outcome) => {
        answered = true;
        this.settle(w, outcome);
      },
      error: (error: unknown) => {
        answered = true;
        this.release(w);
        this.finish(w, error);
      },
      // Completing without an outcome: the watch's signal aborted the request; its abort listener ends the watch.
      // (After an outcome the watch may already wait on, or send, its next request: leave that one alone.)
      complete: () => {
        if (!answered) this.release(w);
      },
    });
    // A synchronous failure settles inside subscribe(): keep the subscription only while this request is in flight.
    if (w.phase === IN_FLIGHT && w.sends === sent) w.request = subscription;
  }

  /** One request's outcome: update the bucket from its headers, emit, and schedule the watch's next poll. */
  private settle(w: Watch, outcome: Outcome): void {
    if (w.phase !== IN_FLIGHT) return;
    this.release(w);
    const bucket = this.bucket!;
    const now = this.now();
    if (outcome.extraRequests > 0) {
      // A read that sent more than one request (a fine-tune's events read) spends a token for each: the bucket
      // goes into debt, and the next grants wait for it.
      this.requests += outcome.extraRequests;
      bucket.spend(outcome.extraRequests, now);
    }
    const limits = readRequestLimitHeaders(outcome.headers);
    bucket.observe(limits, this.inFlight, now);
    if (!outcome.ok && outcome.failure.status === 429) {
      this.rateLimited++;
      bucket.block(now + (outcome.hintMs ?? DEFAULT_BLOCK_MS), this.inFlight, now);
    }
    const { source } = w;
    if (outcome.ok) {
      w.schedule.observe(outcome.event);
      w.subscriber.next(outcome.event);
      // The subscriber may have left, or nudged, while handling the event (TypeScript cannot see next() change it).
      if ((w.phase as Phase) !== IDLE) return;
      if (isJobTerminal(outcome.event.state)) {
        this.finish(w);
        return;
      }
      w.attempt++;
      w.failures = 0;
      this.schedule(w, w.schedule.delay(w.ctx, w.attempt, w.nudged, outcome.hintMs));
    } else {
      // A pacing 429 is the shared key's pace, which the budget keeps (the bucket is blocked for its wait above):
      // it says nothing about this job, so it does not bring the watch nearer RetriesExhaustedError. Without
      // this, a read of two requests (an idle session and its turn) under heavy 429s ran out of retries.
      if (!isPacing429(outcome.failure)) w.failures++;
      if (w.failures > source.maxRetries) {
        this.finish(w, exhausted(w.ctx, w.failures, outcome.failure));
        return;
      }
      this.schedule(w, delayIn(w.ctx, source.retryPolicy, Math.max(0, w.failures - 1), outcome.hintMs));
    }
    this.pump();
  }

  /** Ends the watch: completes its source, or errors it with `error`. */
  private finish(w: Watch, error?: unknown): void {
    if (w.phase === DONE) return;
    this.drop(w);
    if (error === undefined) w.subscriber.complete();
    else w.subscriber.error(error);
  }

  /** Forgets the watch (its subscriber left, or it ended). */
  private drop(w: Watch): void {
    if (w.phase === DONE) return;
    this.unschedule(w);
    w.phase = DONE;
    w.nudges?.unsubscribe();
    unlistenAbort(w.ctx, w.onAbort);
    this.watches--;
    if (!this.pumping) this.arm();
  }

  /** Keeps one timer, for the earliest moment something can happen: a watch due, a token for the backlog, a deadline. */
  private arm(): void {
    const bucket = this.bucket;
    if (!bucket) return;
    const now = this.now();
    let at = this.waiting.peek() ?? Number.POSITIVE_INFINITY;
    if (this.due.size > 0) {
      at = Math.min(at, bucket.nextAt(now), this.dueByDeadline.peek() ?? Number.POSITIVE_INFINITY);
    }
    if (this.readsWaiting > 0) at = Math.min(at, bucket.nextAt(now));
    // An earlier timer may stay (it wakes the loop for nothing and re-arms); none may stay when nothing waits, or
    // it would keep the process alive.
    if (at >= this.timerAt && at !== Number.POSITIVE_INFINITY) return;
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.timerAt = at;
    if (at === Number.POSITIVE_INFINITY) return;
    this.timer = this.scheduler!.schedule(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      // A deadline past 2^31 − 1 ms would fire at once; waking early only re-arms.
      Math.min(MAX_TIMER_MS, Math.max(0, at - now)),
    );
  }
}
