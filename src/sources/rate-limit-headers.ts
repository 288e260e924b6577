import type { HeaderReader } from './server-hint.js';

/** What a response says about the client's request budget (`x-ratelimit-*-requests`); absent fields are unknown. */
export interface RequestLimitHeaders {
  /** `x-ratelimit-limit-requests`: requests allowed per minute. */
  limit?: number;
  /** `x-ratelimit-remaining-requests`: requests left now. */
  remaining?: number;
  /** `x-ratelimit-reset-requests`, in ms: time until the limit is back to its initial state (the bucket is full). */
  resetMs?: number;
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const DURATION =
  /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h)(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))*$/;
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/**
 * A Go duration string, as OpenAI writes `x-ratelimit-reset-*` (`12ms`, `1s`, `1.5s`, `6m0s`, `1h2m3.5s`), in ms;
 * `undefined` for anything else (negative, empty, no unit). A bare `0` is 0, as Go prints it.
 * @example parseGoDuration('6m0s') // 360000
 */
export function parseGoDuration(value: string | null | undefined): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (text === '0') return 0;
  if (!DURATION.test(text)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * UNIT_MS[unit!]!;
  return Number.isFinite(ms) ? ms : undefined;
}

function count(value: string | null): number | undefined {
  if (value == null || !/^\s*\d+\s*$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Reads the request-budget headers of a response (success or error); garbage values are left out.
 * @example readRequestLimitHeaders(outcome.headers) // { limit: 600, remaining: 599, resetMs: 100 }
 */
export function readRequestLimitHeaders(headers: HeaderReader | null | undefined): RequestLimitHeaders {
  if (!headers) return {};
  const found: RequestLimitHeaders = {};
  const limit = count(headers.get('x-ratelimit-limit-requests'));
  const remaining = count(headers.get('x-ratelimit-remaining-requests'));
  const resetMs = parseGoDuration(headers.get('x-ratelimit-reset-requests'));
  if (limit !== undefined && limit > 0) found.limit = limit;
  if (remaining !== undefined) found.remaining = remaining;
  if (resetMs !== undefined) found.resetMs = resetMs;
  return found;
}
