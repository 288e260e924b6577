import type { CallOptions } from '../model/observation.js';

/**
 * runstate owns the retry policy of its own requests: the SDK would otherwise retry twice out of sight, and
 * those retries would neither be counted in `calls` nor respect the shared budget.
 */
export function requestOptions(options: CallOptions): { maxRetries: 0; signal?: AbortSignal } {
  return options.signal ? { maxRetries: 0, signal: options.signal } : { maxRetries: 0 };
}

/** Unix seconds (or null) to epoch ms (or null). */
export function secondsToMs(seconds: number | null | undefined): number | null {
  return typeof seconds === 'number' ? seconds * 1000 : null;
}
