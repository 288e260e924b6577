import { describe, expect, it } from 'vitest';
import { limiterFor } from '../../../src/queue/worker/limiter.js';

/**
 * The most requests BullMQ's fixed windows let out in some minute: windows of `duration` ms open back to back
 * (the tightest packing), each holds `max` of them (steps started, and the request slots steps take beside)
 * wherever the adversary likes, so a minute gets `max` from every window it touches.
 */
function worstMinute({ max, duration }: { max: number; duration: number }): number {
  let most = 0;
  for (let t = 0; t <= duration; t++) {
    // Windows [i·d, (i+1)·d) that meet the minute [t, t + 60 s).
    const first = Math.floor(t / duration);
    const last = Math.ceil((t + 60_000) / duration) - 1;
    most = Math.max(most, (last - first + 1) * max);
  }
  return most;
}

describe('limiterFor', () => {
  it.each([2, 3, 4, 8, 10, 11, 30, 60, 500, 1200, 10_000])(
    'never lets more than %i requests into any minute',
    (rpm) => {
      const limiter = limiterFor(rpm);
      expect(limiter.max).toBeGreaterThanOrEqual(1);
      expect(worstMinute(limiter)).toBeLessThanOrEqual(rpm);
    },
  );

  it('uses most of the budget: over 80% at 60 rpm, over 90% from 600 rpm up', () => {
    const share = (rpm: number) => {
      const { max, duration } = limiterFor(rpm);
      return (max * 60_000) / duration / rpm;
    };
    expect(share(60)).toBeGreaterThan(0.8);
    for (const rpm of [600, 1200, 5000]) expect(share(rpm)).toBeGreaterThanOrEqual(0.9);
  });

  it('is what a plain { max: rpm, duration: 60 s } is not: two windows meet inside one minute', () => {
    expect(worstMinute({ max: 60, duration: 60_000 })).toBe(120);
  });
});
