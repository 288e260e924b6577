// The `delays` hook of poll(): the seam the adaptive schedule plugs into. It lives here (not in poll.test.ts)
// because the adaptive schedule is its only user.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../../src/errors/index.js';
import { type PollDelays, poll } from '../../src/sources/poll.js';
import { apiError, testSourceContext } from '../helpers/source-context.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

function watch(
  delays: PollDelays,
  script: Parameters<typeof testSourceContext>[0] = ['in_progress'],
  deadline = 60_000,
) {
  const t = testSourceContext(script, { deadline });
  const seen: [number, number][] = [];
  const source = poll({
    jitter: 'none',
    retryBackoff: { jitter: 'none' },
    delays: (attempt, elapsedMs) => {
      seen.push([attempt, elapsedMs]);
      return delays(attempt, elapsedMs);
    },
  });
  const events: string[] = [];
  source.watch(t.ctx).subscribe((e) => events.push(e.status));
  return { ...t, seen, events, times: () => t.calls.map((c) => c.at) };
}

describe('poll({ delays })', () => {
  it('takes each delay from the hook, with the attempt and the time since the watch started', async () => {
    const { times, seen } = watch((attempt) => 1000 * (attempt + 1));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(times()).toEqual([1000, 3000, 6000, 10_000]);
    expect(seen.slice(0, 4)).toEqual([
      [0, 0],
      [1, 1000],
      [2, 3000],
      [3, 6000],
    ]);
  });

  it('floors bad or tiny delays at minDelayMs, never a tight loop', async () => {
    for (const bad of [Number.NaN, -5, 0, 3]) {
      vi.setSystemTime(0);
      const { times, stop } = watch(() => bad, ['in_progress'], 1000);
      await vi.advanceTimersByTimeAsync(1000);
      expect(times()).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900]);
      stop.abort();
    }
  });

  it('waits until the deadline for an infinite delay', async () => {
    const { times } = watch(() => Number.POSITIVE_INFINITY, ['in_progress'], 30_000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(times()).toEqual([]);
  });

  it('keeps server hints as lower bounds and clips to the deadline', async () => {
    const { times } = watch(
      () => 1000,
      [{ status: 'in_progress', headers: { 'openai-poll-after-ms': '4000' } }, 'in_progress'],
      7500,
    );
    await vi.advanceTimersByTimeAsync(10_000);
    expect(times()).toEqual([1000, 5000, 6000, 7000]);
  });

  it('restarts the attempt count after a nudge, while elapsed time keeps counting', async () => {
    const { seen, nudge } = watch(() => 1000);
    await vi.advanceTimersByTimeAsync(2500);
    nudge.next();
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toEqual([
      [0, 0],
      [1, 1000],
      [2, 2000],
      [0, 2500],
      [1, 3500],
    ]);
  });

  it('leaves retries on the retry backoff', async () => {
    const busy = { error: apiError(503) };
    const t = watch(() => 5000, ['in_progress', busy, 'in_progress']);
    await vi.advanceTimersByTimeAsync(16_000);
    expect(t.times().slice(0, 3)).toEqual([5000, 10_000, 11_000]);
  });

  it('rejects a hook that is not a function', () => {
    expect(() => poll({ delays: 5 as unknown as PollDelays })).toThrow(ConfigurationError);
  });
});
