import { sameAsAge } from '../same-as-age.js';
import type { KindDefaults } from '../spec.js';

/**
 * When a background response must be done (`background_options.completion_window`, openai 7.58): `soonest` is
 * the usual background mode; `2h` and `8h` are discounted, and the server keeps the deadline.
 */
export type CompletionWindow = 'soonest' | '2h' | '8h';

/** The windows runstate knows, each with its length in ms (`soonest` has no deadline). */
export const COMPLETION_WINDOWS: Readonly<Record<CompletionWindow, number | null>> = {
  soonest: null,
  '2h': 2 * 60 * 60_000,
  '8h': 8 * 60 * 60_000,
};

/** True for a window runstate knows. */
export function isCompletionWindow(value: unknown): value is CompletionWindow {
  return typeof value === 'string' && Object.hasOwn(COMPLETION_WINDOWS, value);
}

/**
 * How a response with a discounted window is watched: like a batch, whose 24-hour window it resembles. The watch
 * waits the window and one hour more (a batch: 24 h + 1 h), polls every 10 s at first, then 15% of the response's
 * age (docs/polling.md: a fixed share of its duration, a small share of the retrieves of a 10-second answer's
 * schedule), and the hybrid's safety net starts at 5 minutes.
 */
export function windowDefaults(windowMs: number): KindDefaults {
  return {
    maxWaitMs: windowMs + 60 * 60_000,
    poll: {
      initialDelayMs: 10_000,
      factor: 1,
      maxDelayMs: 10_000,
      jitter: 'none',
      growth: { share: 0.15, maxDelayMs: 30 * 60_000 },
    },
    hybridPoll: sameAsAge(5 * 60_000, 2 * 60 * 60_000),
  };
}
