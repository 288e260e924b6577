import type { PollDefaults } from './spec.js';

/**
 * A safety-net poll schedule: every `floorMs` at first, then as often as the job is old (polls at ages doubling),
 * up to `maxDelayMs`. What `hybrid()` polls with while webhooks carry the news.
 */
export function sameAsAge(floorMs: number, maxDelayMs: number): PollDefaults {
  return {
    initialDelayMs: floorMs,
    factor: 1,
    maxDelayMs: floorMs,
    jitter: 'none',
    growth: { share: 1, maxDelayMs },
  };
}
