import type { SchedulerLike } from 'rxjs';

/** XState's clock driven by an RxJS scheduler, so one injected scheduler moves every timer of a watch. */
export function clockFrom(scheduler: SchedulerLike) {
  return {
    setTimeout: (fn: () => void, ms: number) => scheduler.schedule(() => fn(), ms),
    clearTimeout: (subscription: { unsubscribe(): void } | undefined) => subscription?.unsubscribe(),
  };
}
