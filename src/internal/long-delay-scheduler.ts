import { type SchedulerAction, type SchedulerLike, Subscription } from 'rxjs';
import { MAX_TIMER_MS } from '../sources/backoff.js';

/**
 * A scheduler that honours delays longer than a JavaScript timer holds (2^31 − 1 ms, about 24.8 days): Node and
 * browsers fire longer timers at once, so `maxWaitMs` of 30 days used to end a watch after 2 ms. A long delay is
 * waited in hops of at most {@link MAX_TIMER_MS}; shorter ones go straight to `scheduler`, unchanged.
 * @example watchRun({ client, job, scheduler: withLongDelays(myScheduler) }) // watchRun already wraps its own
 */
export function withLongDelays(scheduler: SchedulerLike): SchedulerLike {
  // One wrapper per scheduler: it holds no state, and the poll loop keeps one timer queue per scheduler it is given.
  let wrapped = WRAPPED.get(scheduler);
  if (!wrapped) {
    wrapped = wrap(scheduler);
    WRAPPED.set(scheduler, wrapped);
  }
  return wrapped;
}

const WRAPPED = new WeakMap<SchedulerLike, SchedulerLike>();

function wrap(scheduler: SchedulerLike): SchedulerLike {
  return {
    now: () => scheduler.now(),
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
      if (!(delay > MAX_TIMER_MS)) return scheduler.schedule(work, delay, state);
      const due = scheduler.now() + delay;
      // One subscription for the whole wait; each hop is added to it, so unsubscribing cancels the one armed.
      const whole = new Subscription();
      const arm = (ms: number) => {
        whole.add(
          scheduler.schedule(function (this: SchedulerAction<T>) {
            const left = due - scheduler.now();
            if (left > 0) arm(Math.min(MAX_TIMER_MS, left));
            else work.call(this, state);
          }, ms),
        );
      };
      arm(MAX_TIMER_MS);
      return whole;
    },
  };
}
