/**
 * BullMQ's limiter options: at most `max` jobs start in a window of `duration` ms, for every worker together (and
 * runstate's request slots count into the same window).
 */
export interface LimiterOptions {
  max: number;
  duration: number;
}

const MINUTE_MS = 60_000;
// Ten windows a minute: the fleet spends its budget evenly, at 10/11 of `rpm` (see limiterFor).
const SLICES = 10;

/** The smallest budget the limiter can honour: two windows always meet inside some minute. */
export const MIN_RPM = 2;

/**
 * BullMQ's limiter for a budget of `rpm` requests per minute, such that no minute, however it is placed, sees
 * more than `rpm` requests.
 *
 * BullMQ counts in fixed windows: the first job after a window expired opens the next one, of `duration` ms,
 * in which at most `max` jobs start. A step's first request is the start BullMQ counted; each request it sends
 * beyond that (a fine-tune's events read, an idle agent session's latest turn, a session's answer after its read)
 * takes a slot of the same window before it goes out (`request-slots.ts`), so a window holds at most `max`
 * requests. A minute can touch `60 s / duration + 1` windows, so
 * `{ max: rpm, duration: 60 s }` lets 2 × rpm through in the minute that straddles two windows (and drains the
 * server's token bucket). Ten windows a minute with `max = floor(rpm / 11)` keep every minute at or under `rpm`;
 * budgets under 11 rpm get one request per window of `60 s / (rpm - 1)`. Under 2 rpm no fixed window can promise
 * it.
 *
 * @example limiterFor(1200) // { max: 109, duration: 6000 }: at most 1199 in any minute
 */
export function limiterFor(rpm: number): LimiterOptions {
  if (rpm >= SLICES + 1) return { max: Math.floor(rpm / (SLICES + 1)), duration: MINUTE_MS / SLICES };
  return { max: 1, duration: Math.ceil(MINUTE_MS / (Math.max(MIN_RPM, rpm) - 1)) };
}
