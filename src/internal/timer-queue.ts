import type { SchedulerLike } from 'rxjs';
import { type DueEntry, DueHeap } from './due-heap.js';
import { EarliestTimer } from './earliest-timer.js';

/**
 * Callbacks due at absolute times on one scheduler, behind one timer: ten thousand idle watches waiting for their
 * deadlines cost heap entries, not ten thousand timers (docs/benchmarks.md, "Heap per idle watched run").
 */
export class TimerQueue {
  // A cancelled entry re-arms the timer for the new earliest: a timer left for it would keep the process alive.
  private readonly heap = new DueHeap<() => void>(() => this.arm());
  private readonly timer: EarliestTimer;

  constructor(private readonly scheduler: SchedulerLike) {
    this.timer = new EarliestTimer(scheduler, () => this.fire());
  }

  /** Calls `fn` once the scheduler's clock reaches `at`; `cancel()` the entry returned to drop it. */
  at(at: number, fn: () => void): DueEntry<() => void> {
    const entry = this.heap.add(at, fn);
    this.arm();
    return entry;
  }

  private fire(): void {
    this.timer.fired();
    const now = this.scheduler.now();
    try {
      for (let fn = this.heap.popDue(now); fn; fn = this.heap.popDue(now)) fn();
    } finally {
      this.arm();
    }
  }

  private arm(): void {
    this.timer.set(this.heap.peek() ?? Number.POSITIVE_INFINITY);
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
