import type { SchedulerLike, Subscription } from 'rxjs';
import { MAX_TIMER_MS } from '../sources/backoff.js';

/**
 * One timer for the earliest of many due times on a scheduler (a heap of watches, of deadlines): the queue behind
 * it calls `set` with its earliest entry whenever that may have changed, and `fired` first thing in `onFire`.
 */
export class EarliestTimer {
  private timer: Subscription | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private armedAt = 0;
  private armedWith: unknown;

  /**
   * @param gridMs wakes only on multiples of this many ms of the scheduler's clock (0: exactly when due): entries
   *   due within one step of the grid then share a wake-up, each at most `gridMs` late, never early.
   */
  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly onFire: () => void,
    private readonly gridMs = 0,
  ) {}

  /** The timer has fired: nothing is armed until the next `set`. */
  fired(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  /**
   * Keeps one timer, for `due` (the earliest entry, on the grid if there is one; +∞ for none, which arms nothing:
   * it would keep the process alive).
   */
  set(due: number): void {
    const at =
      this.gridMs > 0 && due !== Number.POSITIVE_INFINITY ? Math.ceil(due / this.gridMs) * this.gridMs : due;
    const now = this.scheduler.now();
    // An earlier timer may stay: it fires early, which only re-arms. Unless it belongs to timers replaced since
    // (fake timers installed or removed in a test swap the global functions, and the clock may go back): that one
    // never fires.
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
    this.timer = this.scheduler.schedule(this.onFire, Math.min(MAX_TIMER_MS, Math.max(0, at - now)));
  }
}
