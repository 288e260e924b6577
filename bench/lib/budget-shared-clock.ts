import { DueHeap } from '../../src/due-heap.js';
import type { SimClock } from '../../src/sim/clock.js';

/**
 * A simulator clock running `speed`× wall time from a given `origin`, like `createScaledClock(speed)` but with
 * the origin chosen by the caller: two processes that build it with the same origin and speed read the same
 * time, so the benchmark can run the simulator in a child process (its own CPU) while the watchers'
 * `simScheduler` keeps the simulator's time.
 */
export function sharedScaledClock(origin: number, speed: number): SimClock {
  const now = () => origin + (Date.now() - origin) * speed;
  const queue = new DueHeap<() => void>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let armedFor = Number.POSITIVE_INFINITY;
  const fire = () => {
    timer = undefined;
    armedFor = Number.POSITIVE_INFINITY;
    const t = now();
    for (let fn = queue.popDue(t); fn; fn = queue.popDue(t)) fn();
    arm();
  };
  const arm = () => {
    const at = queue.peek();
    if (at === undefined || (timer && armedFor <= at)) return;
    if (timer) clearTimeout(timer);
    armedFor = at;
    timer = setTimeout(fire, Math.max(0, Math.ceil((at - now()) / speed)));
    timer.unref();
  };
  return {
    kind: 'scaled',
    now,
    schedule(atMs, fn) {
      const cancel = queue.push(atMs, fn);
      arm();
      return cancel;
    },
  };
}
