import { DueHeap } from '../../internal/due-heap.js';

/**
 * The simulator's notion of time. Job statuses are computed from `now()`; the single `schedule` queue fires
 * the moments something must happen (a webhook for a status reached, a retry of a delivery).
 */
export interface SimClock {
  /** `'real'`, `'scaled'` (real time × speed) or `'manual'`. */
  readonly kind: 'real' | 'scaled' | 'manual';
  /** Current clock time, epoch ms. */
  now(): number;
  /**
   * Clock ms per real ms, for a clock that keeps pace with real time (1 when real, the speed when scaled); absent
   * for a manual clock, whose time moves only when driven. Waits the server asks of a client (`retry-after-ms`,
   * `openai-poll-after-ms`, `x-ratelimit-reset-*`) are divided by it: a client waits in its own, real time.
   */
  readonly speed?: number;
  /**
   * Runs `fn` once the clock reaches `atMs` (at once, asynchronously, when that time has passed).
   * Returns a function that cancels it.
   */
  schedule(atMs: number, fn: () => void): () => void;
}

/** A clock that moves only when told: deterministic tests and benchmarks. */
export interface ManualClock extends SimClock {
  readonly kind: 'manual';
  /**
   * Moves time forward by `ms`, firing due callbacks in time order with `now()` equal to each one's due time,
   * and yielding to I/O after each. Resolves once time reached the target. Calls are serialized.
   */
  advance(ms: number): Promise<void>;
  /** Moves time forward to `epochMs` (never backwards: statuses already reached stay reached). */
  set(epochMs: number): Promise<void>;
  /** Callbacks waiting on the clock. */
  readonly pending: number;
  /** Clock time of the earliest callback waiting, or undefined when none is: where a driver jumps to next. */
  readonly nextAt: number | undefined;
}

/** How `startSimulator` keeps time: real, real × speed, or a clock you drive (see {@link createManualClock}). */
export type ClockOption = 'real' | { speed: number } | SimClock;

/** Default start of a manual clock: fixed so object timestamps and ids replay identically. */
export const MANUAL_CLOCK_START = Date.UTC(2026, 0, 1);

// setTimeout overflows above this and fires immediately.
const MAX_TIMER_MS = 2 ** 31 - 1;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function runSafely(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    // A failing callback must not stop the clock for every other job.
    process.emitWarning(`runstate/sim: scheduled callback threw: ${String(error)}`);
  }
}

/** A manual clock starting at `startMs` (default 2026-01-01T00:00:00Z). */
export function createManualClock(startMs: number = MANUAL_CLOCK_START): ManualClock {
  let current = startMs;
  const queue = new DueHeap<() => void>();
  let chain: Promise<void> = Promise.resolve();

  const runUntil = async (target: number): Promise<void> => {
    for (;;) {
      const at = queue.peek();
      if (at === undefined || at > target) break;
      current = Math.max(current, at);
      const fn = queue.popDue(current);
      if (fn) runSafely(fn);
      await nextTurn();
    }
    current = Math.max(current, target);
  };
  const enqueue = (step: () => Promise<void>): Promise<void> => {
    chain = chain.then(step, step);
    return chain;
  };

  return {
    kind: 'manual',
    now: () => current,
    schedule(atMs, fn) {
      const cancel = queue.push(atMs, fn);
      // Already due: fire on the next turn rather than waiting for someone to advance.
      if (atMs <= current) void enqueue(() => runUntil(current));
      return cancel;
    },
    advance(ms) {
      if (!(ms >= 0)) return Promise.reject(new RangeError(`advance(ms) needs ms >= 0, got ${ms}`));
      return enqueue(() => runUntil(current + ms));
    },
    set(epochMs) {
      if (epochMs < current) {
        return Promise.reject(new RangeError(`set(${epochMs}) would move the clock back from ${current}`));
      }
      return enqueue(() => runUntil(epochMs));
    },
    get pending() {
      return queue.size;
    },
    get nextAt() {
      return queue.peek();
    },
  };
}

/**
 * Real time × `speed` (1 = real time): a job scripted to take 30 s takes 30 ms at speed 1000. One unref'd
 * Node timer is armed for the earliest callback, so the clock never keeps the process alive on its own.
 * `origin` (default: now) is the wall time at which simulated and real time agree: two processes that build the
 * clock with the same origin and speed read the same time.
 */
export function createScaledClock(speed = 1, origin = Date.now()): SimClock {
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`clock speed must be > 0, got ${speed}`);
  const now = speed === 1 ? Date.now : () => origin + (Date.now() - origin) * speed;
  const queue = new DueHeap<() => void>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let armedFor = Number.POSITIVE_INFINITY;

  const fire = () => {
    timer = undefined;
    armedFor = Number.POSITIVE_INFINITY;
    const t = now();
    for (let fn = queue.popDue(t); fn; fn = queue.popDue(t)) runSafely(fn);
    arm();
  };
  const arm = () => {
    const at = queue.peek();
    if (at === undefined || (timer && armedFor <= at)) return;
    if (timer) clearTimeout(timer);
    armedFor = at;
    const wallMs = Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil((at - now()) / speed)));
    timer = setTimeout(fire, wallMs);
    timer.unref();
  };

  return {
    kind: speed === 1 ? 'real' : 'scaled',
    speed,
    now,
    schedule(atMs, fn) {
      const cancel = queue.push(atMs, fn);
      arm();
      return cancel;
    },
  };
}

/** Turns a {@link ClockOption} into a clock. */
export function resolveClock(option: ClockOption = 'real'): SimClock {
  if (option === 'real') return createScaledClock(1);
  if ('speed' in option && !('now' in option)) return createScaledClock(option.speed);
  return option as SimClock;
}
