import { type SchedulerAction, type SchedulerLike, Subscription } from 'rxjs';
import type { SimClock } from './clock.js';

/**
 * An RxJS scheduler that keeps the simulator's time: `now()` is the simulator clock, and a delay of N ms fires
 * when that clock has moved N ms. Pass it as `watchRun({ scheduler })` so the watcher and a sped-up (or manual)
 * simulator agree on time: a 10-minute `expires_at` then arrives in 10 simulated minutes on both sides.
 *
 * @example
 * const sim = await startSimulator({ clock: { speed: 50 } });
 * watchRun({ client, job, scheduler: simScheduler(sim.clock) });
 */
export function simScheduler(clock: SimClock): SchedulerLike {
  const scheduler: SchedulerLike = {
    now: () => clock.now(),
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
      const subscription = new Subscription();
      const arm = (at: number, current: T | undefined) => {
        let cancel: (() => void) | undefined = clock.schedule(at, () => {
          cancel = undefined;
          if (subscription.closed) return;
          const action = Object.assign(new Subscription(), {
            // RxJS operators reschedule through the action (periodic timers); keep them on this clock too.
            schedule: (next?: T, nextDelay = 0) => {
              arm(clock.now() + nextDelay, next);
              return action;
            },
          }) as unknown as SchedulerAction<T>;
          work.call(action, current);
        });
        subscription.add(() => cancel?.());
      };
      arm(clock.now() + Math.max(0, delay), state);
      return subscription;
    },
  };
  return scheduler;
}
