import { ConfigurationError } from '../errors/configuration-error.js';

/**
 * How a delay is spread around its exponential base:
 * - `none`: exactly the base (the seed's loop);
 * - `full`: uniform between the floor (`minDelayMs`) and the base;
 * - `equal`: half the base plus a uniform share of the other half.
 */
export type Jitter = 'none' | 'full' | 'equal';

/**
 * Options of an exponential backoff policy. Every field has a default: the poll schedule's
 * ({@link DEFAULT_POLL_BACKOFF}) unless the option that takes it says otherwise (retries, reconnects).
 */
export interface BackoffOptions {
  /**
   * Base delay of attempt 0, in ms (> 0).
   *
   * @defaultValue `500`
   */
  initialDelayMs?: number;
  /**
   * Growth of the base per attempt (≥ 1).
   *
   * @defaultValue `1.5`
   */
  factor?: number;
  /**
   * Cap of the base, in ms (≥ initialDelayMs). Jitter still applies at the cap.
   *
   * @defaultValue `5000`
   */
  maxDelayMs?: number;
  /**
   * How each delay is spread around its base (see {@link Jitter}).
   *
   * @defaultValue `'none'`
   */
  jitter?: Jitter;
  /**
   * No delay is ever shorter, so jitter cannot make a tight loop.
   *
   * @defaultValue `min(initialDelayMs, 100)`
   */
  minDelayMs?: number;
}

/** A validated backoff policy: every option resolved. */
export type BackoffPolicy = Readonly<Required<BackoffOptions>>;

/** The largest delay a JavaScript timer honours (2^31 − 1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** The floor used when `minDelayMs` is not given: 100 ms, or the initial delay when that is shorter. */
export const DEFAULT_MIN_DELAY_MS = 100;

/** The poll schedule by default: the seed's numbers (0.5 s, ×1.5, capped at 5 s), no jitter. */
// No jitter by default: in bench/strategies.ts full jitter costs retrieves for a lower p95, while 'none' is no
// worse than the seed's loop on either count (figures: docs/benchmarks.md, "Why the defaults are what they are").
// Polls of jobs created at different times do not march in step; retries after failures keep full jitter
// (DEFAULT_RETRY_BACKOFF), and fleets on one client share createPollBudget.
export const DEFAULT_POLL_BACKOFF: BackoffPolicy = {
  initialDelayMs: 500,
  factor: 1.5,
  maxDelayMs: 5000,
  jitter: 'none',
  minDelayMs: 100,
};

const JITTERS: readonly string[] = ['none', 'full', 'equal'] satisfies Jitter[];

/**
 * Validates backoff options and fills in defaults.
 * @throws ConfigurationError for a delay that is not a positive finite number, a factor below 1, a cap below the
 *   initial delay (or above {@link MAX_TIMER_MS}), a floor above the initial delay, or an unknown jitter mode.
 * @example resolveBackoff({ initialDelayMs: 1000 }) // { initialDelayMs: 1000, factor: 1.5, maxDelayMs: 5000, ... }
 */
export function resolveBackoff(
  options: BackoffOptions = {},
  defaults: Omit<BackoffPolicy, 'minDelayMs'> = DEFAULT_POLL_BACKOFF,
  label = 'backoff',
): BackoffPolicy {
  const initialDelayMs = options.initialDelayMs ?? defaults.initialDelayMs;
  const factor = options.factor ?? defaults.factor;
  const maxDelayMs = options.maxDelayMs ?? defaults.maxDelayMs;
  const jitter = options.jitter ?? defaults.jitter;
  const minDelayMs = options.minDelayMs ?? Math.min(initialDelayMs, DEFAULT_MIN_DELAY_MS);

  const fail = (what: string, got: unknown): never => {
    throw new ConfigurationError(`${label}: ${what}, got ${JSON.stringify(got) ?? String(got)}`);
  };
  if (!isFiniteNumber(initialDelayMs) || initialDelayMs <= 0) {
    fail(
      'initialDelayMs must be a positive number of ms (to poll at once, use `immediate: true`)',
      initialDelayMs,
    );
  }
  if (!isFiniteNumber(factor) || factor < 1) fail('factor must be a number ≥ 1', factor);
  if (!isFiniteNumber(maxDelayMs) || maxDelayMs < initialDelayMs || maxDelayMs > MAX_TIMER_MS) {
    fail(
      `maxDelayMs must be a number of ms between initialDelayMs (${initialDelayMs}) and ${MAX_TIMER_MS}`,
      maxDelayMs,
    );
  }
  if (!isFiniteNumber(minDelayMs) || minDelayMs <= 0 || minDelayMs > initialDelayMs) {
    fail(
      `minDelayMs must be a positive number of ms, at most initialDelayMs (${initialDelayMs})`,
      minDelayMs,
    );
  }
  if (typeof jitter !== 'string' || !JITTERS.includes(jitter))
    fail(`jitter must be one of ${JITTERS}`, jitter);
  return { initialDelayMs, factor, maxDelayMs, jitter, minDelayMs };
}

/**
 * The un-jittered delay before attempt `attempt` (0-based): `min(maxDelayMs, initialDelayMs · factor^attempt)`.
 * Non-decreasing in `attempt`.
 */
export function baseDelay(policy: BackoffPolicy, attempt: number): number {
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** n);
}

/** What a delay depends on besides the policy and the attempt. */
export interface DelayInput {
  /** Random source in [0, 1); called at most once per delay, and only by the jittered modes. */
  random: () => number;
  /**
   * Current time, epoch ms (the same clock as `deadline`).
   *
   * @defaultValue `0`
   */
  now?: number;
  /**
   * Epoch ms after which nothing may be scheduled.
   *
   * @defaultValue none
   */
  deadline?: number;
  /** A server hint (`openai-poll-after-ms`, `retry-after`...): a lower bound in ms. Ignored unless ≥ 0. */
  hintMs?: number | undefined;
}

/**
 * The delay in ms to wait before attempt `attempt` (0-based): the jittered base, never below the floor, raised
 * to the server hint, rounded up to a whole ms, then clipped to the time left before the deadline (0 once past).
 * @example nextDelay(resolveBackoff(), 0, { random: Math.random }) // 100..500
 */
export function nextDelay(policy: BackoffPolicy, attempt: number, input: DelayInput): number {
  const base = baseDelay(policy, attempt);
  let delay = jittered(policy, base, input.random);
  const hint = input.hintMs;
  if (typeof hint === 'number' && hint >= 0) delay = Math.max(delay, Math.min(hint, MAX_TIMER_MS));
  delay = Math.ceil(delay);
  const remaining = (input.deadline ?? Number.POSITIVE_INFINITY) - (input.now ?? 0);
  if (!(remaining > 0)) return 0;
  return Math.min(delay, remaining);
}

function jittered(policy: BackoffPolicy, base: number, random: () => number): number {
  const floor = policy.minDelayMs;
  switch (policy.jitter) {
    case 'none':
      return Math.max(floor, base);
    case 'full':
      return floor + unit(random) * Math.max(0, base - floor);
    case 'equal':
      return Math.max(floor, base / 2 + (unit(random) * base) / 2);
  }
}

/** A misbehaving random source must not produce NaN or negative delays (cockatiel#86). */
function unit(random: () => number): number {
  const r = random();
  return Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
}

/** Input of {@link backoffSchedule}. */
export interface ScheduleOptions {
  /** The same random source the poll source would get. */
  random: () => number;
  /**
   * Epoch ms of the subscription.
   *
   * @defaultValue `0`
   */
  start?: number;
  /**
   * No poll at or after this time (the watch's deadline, or a horizon).
   *
   * @defaultValue none
   */
  until?: number;
  /**
   * Stop after this many polls.
   *
   * @defaultValue `10_000`
   */
  maxPolls?: number;
  /** Poll once at `start` before the first delay (`poll({ immediate: true })`). */
  immediate?: boolean;
}

/**
 * The times (epoch ms) at which a poll source with this policy retrieves the job, from `start` until `until`,
 * when every response is instant, successful, not terminal and carries no hint. Consumes `random` exactly as the
 * poll source does, so a scripted run's retrieve count can be checked against it.
 * @example backoffSchedule(resolveBackoff({ jitter: 'none' }), { random: Math.random, until: 4000 })
 *   // [500, 1250, 2375]
 */
export function backoffSchedule(policy: BackoffPolicy, options: ScheduleOptions): number[] {
  const {
    random,
    start = 0,
    until = Number.POSITIVE_INFINITY,
    maxPolls = 10_000,
    immediate = false,
  } = options;
  const times: number[] = [];
  let now = start;
  if (immediate && now < until && times.length < maxPolls) times.push(now);
  for (let attempt = 0; times.length < maxPolls; attempt++) {
    now += nextDelay(policy, attempt, { random, now, deadline: until });
    if (now >= until) break;
    times.push(now);
  }
  return times;
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}
