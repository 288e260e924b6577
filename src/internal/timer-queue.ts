import type { SchedulerLike, Subscription } from 'rxjs';
import { MAX_TIMER_MS } from '../sources/backoff.js';
import { DueHeap } from './due-heap.js';

/**
 * Callbacks due at absolute times on one scheduler, behind one timer: ten thousand idle watches waiting for their
 * deadlines cost heap entries, not ten thousand timers (docs/benchmarks.md, "Heap per idle watched run").
 */
export class TimerQueue {
  private readonly heap = new DueHeap<() => void>();
  private timer: Subscription | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private armedAt = 0;
  private armedWith: unknown;

  constructor(private readonly scheduler: SchedulerLike) {}

  /** Calls `fn` once the scheduler's clock reaches `at`; returns a function that cancels it. */
  at(at: number, fn: () => void): () => void {
    const cancel = this.heap.push(at, fn);
    this.arm();
    return () => {
      cancel();
      this.arm();
    };
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.scheduler.now();
    try {
      for (let fn = this.heap.popDue(now); fn; fn = this.heap.popDue(now)) fn();
    } finally {
      this.arm();
    }
  }

  /** One timer for the earliest entry; none when nothing waits (it would keep the process alive). */
  private arm(): void {
    const at = this.heap.peek() ?? Number.POSITIVE_INFINITY;
    const now = this.scheduler.now();
    // An earlier timer may stay: it fires early, which only re-arms. Unless it belongs to timers replaced since
    // (fake timers in tests swap the global functions, and the clock may go back): that one never fires.
    const live =
      this.timer !== undefined &&
      this.armedWith === globalThis.setInterval &&
      now >= this.armedAt &&
      now <= this.timerAt;
    if (live && at >= this.timerAt && at !== Number.POSITIVE_INFINITY) return;
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.timerAt = at;
    if (at === Number.POSITIVE_INFINITY) return;
    this.armedAt = now;
    this.armedWith = globalThis.setInterval;
    // A due time past 2^31 − 1 ms would fire at once: wake at most that far ahead, and re-arm.
    this.timer = this.scheduler.schedule(() => this.fire(), Math.min(MAX_TIMER_MS, Math.max(0, at - now)));
  }
}

const QUEUES = new WeakMap<SchedulerLike, TimerQueue>();

/** The timer queue of a scheduler: one per clock, so virtual time in tests moves only its own entries. */
export function timerQueue(scheduler: SchedulerLike): TimerQueue {
  let queue = QUEUES.get(scheduler);
  if (!queue) {
    queue = new TimerQueue(scheduler);
    QUEUES.set(scheduler, queue);
  }
  return queue;
}
