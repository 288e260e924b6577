import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withLongDelays } from '../../src/internal/long-delay-scheduler.js';
import { poll } from '../../src/sources/poll.js';
import { PollLoop, REAL_TIME_WAKE_GRID_MS } from '../../src/sources/poll-loop.js';
import { record, stopRecordings, testSourceContext } from '../helpers/source-context.js';

// vitest's fake timers drive asyncScheduler's timers and clock (Date.now).
beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
const subscriptions: Subscription[] = [];
afterEach(() => {
  for (const s of subscriptions.splice(0)) s.unsubscribe();
  stopRecordings();
  vi.useRealTimers();
});

/** A poll that waits exactly `ms` before each retrieve. */
const every = (ms: number) => poll({ initialDelayMs: ms, factor: 1, maxDelayMs: ms, jitter: 'none' });

/** The real clock under a name of its own: a loop of the test's own, which no other test shares. */
const ownClock = (): SchedulerLike => ({
  now: () => asyncScheduler.now(),
  schedule: asyncScheduler.schedule.bind(asyncScheduler),
});

/**
 * Watches on one loop, each polling every one of `delays`, answered after `latencyMs`; returns the times of all
 * their retrieves.
 */
function watchAll(loop: PollLoop, scheduler: SchedulerLike, delays: number[], latencyMs = 0): () => number[] {
  const contexts = delays.map((ms, i) => {
    const t = testSourceContext([{ status: 'in_progress', latencyMs }], {
      scheduler,
      job: { kind: 'response', id: `resp_${i}` },
    });
    subscriptions.push(loop.watch(t.ctx, every(ms)).subscribe());
    return t;
  });
  return () => contexts.flatMap((t) => t.calls.map((c) => c.at)).sort((a, b) => a - b);
}

describe('the poll loop: wake-ups', () => {
  it('without a grid, wakes each watch exactly when it is due', async () => {
    const scheduler = ownClock();
    const times = watchAll(new PollLoop(scheduler), scheduler, [1003, 1005, 1012]);
    await vi.advanceTimersByTimeAsync(1020);
    expect(times()).toEqual([1003, 1005, 1012]);
  });

  it('on a grid, wakes the watches due within one step together, at the step, never before they are due', async () => {
    const scheduler = ownClock();
    const times = watchAll(new PollLoop(scheduler, 10), scheduler, [1003, 1005, 1012, 1020], 3);
    await vi.advanceTimersByTimeAsync(1009);
    expect(times()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(times()).toEqual([1010, 1010]);
    await vi.advanceTimersByTimeAsync(10);
    // 1020 is on the grid: it is not moved.
    expect(times()).toEqual([1010, 1010, 1020, 1020]);
    // Each next delay counts from the answer (at 1013 and 1023): due at 2016, 2018, 2035 and 2043.
    await vi.advanceTimersByTimeAsync(1030);
    expect(times().slice(4)).toEqual([2020, 2020, 2040, 2050]);
  });

  it("uses the grid on the default real clock (watchRun's), and not on a scheduler a caller passes", async () => {
    expect(REAL_TIME_WAKE_GRID_MS).toBe(10);
    const real = testSourceContext(['in_progress'], { scheduler: withLongDelays(asyncScheduler) });
    const own = testSourceContext(['in_progress']);
    record(every(1003), real.ctx);
    record(every(1003), own.ctx);
    await vi.advanceTimersByTimeAsync(1010);
    expect(real.calls.map((c) => c.at)).toEqual([1010]);
    expect(own.calls.map((c) => c.at)).toEqual([1003]);
  });
});
