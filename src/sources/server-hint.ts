/** Anything with a `get(name)` like the Fetch API's `Headers` (the SDK hands those out). */
export interface HeaderReader {
  get(name: string): string | null;
}

const NON_NEGATIVE_NUMBER = /^\s*\d+(?:\.\d+)?\s*$/;
const HTTP_DATE_START = /^\s*(?:mon|tue|wed|thu|fri|sat|sun)/i;

/**
 * The server's lower bound for the next request, in ms, or `undefined` when the response gives none.
 * Reads `openai-poll-after-ms` (ms), `retry-after-ms` (ms) and `retry-after` (seconds, or an HTTP date taken
 * relative to `now`); when several are present the largest wins, since each one is a lower bound. Garbage,
 * negative and non-finite values are ignored; a date in the past gives 0. The value is not capped here: the
 * backoff clips every delay to the watch's deadline and to the longest delay a timer can hold.
 * @example serverHintMs(error.headers, scheduler.now()) // 2000 for `retry-after: 2`
 */
export function serverHintMs(headers: HeaderReader | null | undefined, now: number): number | undefined {
  if (!headers) return undefined;
  return largest([parseMilliseconds(headers.get('openai-poll-after-ms')), retryHintMs(headers, now)]);
}

/**
 * The server's lower bound before retrying a failed request (`retry-after-ms`, `retry-after`), in ms, or
 * `undefined`. Same parsing as {@link serverHintMs}, without the poll hint.
 * @example retryHintMs(apiError.headers, scheduler.now()) // 5000 for a 429 with `retry-after: 5`
 */
export function retryHintMs(headers: HeaderReader | null | undefined, now: number): number | undefined {
  if (!headers) return undefined;
  const hints = [
    parseMilliseconds(headers.get('retry-after-ms')),
    parseRetryAfter(headers.get('retry-after'), now),
  ];
  return largest(hints);
}

function largest(hints: readonly (number | undefined)[]): number | undefined {
  const found = hints.filter((h): h is number => h !== undefined);
  return found.length === 0 ? undefined : Math.max(...found);
}

/** A header holding a non-negative number of ms (`openai-poll-after-ms`, `retry-after-ms`). */
export function parseMilliseconds(value: string | null | undefined): number | undefined {
  if (value == null || !NON_NEGATIVE_NUMBER.test(value)) return undefined;
  const ms = Number(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * A `retry-after` header (RFC 9110 §10.2.3): delay-seconds, or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`)
 * turned into ms from `now`.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value == null) return undefined;
  if (NON_NEGATIVE_NUMBER.test(value)) {
    const ms = Number(value) * 1000;
    return Number.isFinite(ms) ? ms : undefined;
  }
  // Every HTTP date format (IMF-fixdate, RFC 850, asctime) starts with the day's name. Checking that keeps `-5`
  // or `a 5` away from Date.parse, which V8 would read as dates in 2001.
  if (!HTTP_DATE_START.test(value)) return undefined;
  const at = Date.parse(value);
  if (!Number.isFinite(at) || !Number.isFinite(now)) return undefined;
  return Math.max(0, at - now);
}
