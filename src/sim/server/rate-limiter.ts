/** OpenAI writes reset times as Go-style durations: `12ms`, `1s`, `1.5s`, `6m0s`. */
export function formatResetDuration(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms));
  if (whole < 1000) return `${whole}ms`;
  const hours = Math.floor(whole / 3_600_000);
  const minutes = Math.floor((whole % 3_600_000) / 60_000);
  const seconds = (whole % 60_000) / 1000;
  const s = `${Number(seconds.toFixed(3))}s`;
  if (hours > 0) return `${hours}h${minutes}m${s}`;
  if (minutes > 0) return `${minutes}m${s}`;
  return s;
}

/** The limits every answer's `x-ratelimit-*` headers describe, per minute. */
export interface RateLimits {
  /** Requests per minute (`x-ratelimit-limit-requests`). */
  rpm: number;
  /** Tokens per minute (`x-ratelimit-limit-tokens`). */
  tpm: number;
}

/**
 * The simulator's limits when none are configured: 10,000 requests and 2,000,000 tokens per minute (the order of a
 * paid tier's `gpt-4o-mini` limits). High enough that tests and benchmarks never meet them unless they mean to.
 */
export const DEFAULT_RATE_LIMITS: Readonly<RateLimits> = { rpm: 10_000, tpm: 2_000_000 };

/** A token bucket on the simulator clock: `limit` tokens, refilled continuously at limit per minute. */
export class Bucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly limit: number,
    now: number,
  ) {
    if (!(limit > 0)) throw new RangeError(`a rate limit must be > 0, got ${limit}`);
    this.tokens = limit;
    this.last = now;
  }

  private get perMs(): number {
    return this.limit / 60_000;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.limit, this.tokens + Math.max(0, now - this.last) * this.perMs);
    this.last = Math.max(this.last, now);
  }

  /** Whether `amount` tokens are there at `now` (without taking them). */
  has(amount: number, now: number): boolean {
    this.refill(now);
    return this.tokens >= amount;
  }

  take(amount: number, now: number): void {
    this.refill(now);
    this.tokens -= amount;
  }

  /** Whole tokens left (`x-ratelimit-remaining-*`). */
  remaining(now: number): number {
    this.refill(now);
    return Math.max(0, Math.floor(this.tokens));
  }

  /** Time until the bucket is full again (`x-ratelimit-reset-*`: one meaning on every answer, 200 or 429). */
  resetMs(now: number): number {
    this.refill(now);
    return (this.limit - this.tokens) / this.perMs;
  }

  /** Time until `amount` tokens are there (a 429's `retry-after-ms`). */
  waitMs(amount: number, now: number): number {
    this.refill(now);
    return Math.max(0, Math.ceil((Math.min(amount, this.limit) - this.tokens) / this.perMs));
  }
}

/** The outcome of asking the limiter for one request. */
export interface LimiterTake {
  ok: boolean;
  /** Which limit refused the request. */
  refusedBy?: 'requests' | 'tokens';
  /** When refused: how long until the request would be allowed. */
  retryAfterMs: number;
}

/**
 * The requests-per-minute and tokens-per-minute buckets shared by every client, as OpenAI's limiter behaves (a
 * burst up to the limit, then a steady rate). A request takes one request token and its estimated tokens; the
 * headers of every answer describe both buckets after it.
 */
export class RateLimiter {
  readonly requests: Bucket;
  readonly tokens: Bucket;

  constructor(limits: RateLimits, now: number) {
    this.requests = new Bucket(limits.rpm, now);
    this.tokens = new Bucket(limits.tpm, now);
  }

  /** Takes one request and `tokens` tokens at `now` if both buckets have them; takes nothing otherwise. */
  take(tokens: number, now: number): LimiterTake {
    if (!this.requests.has(1, now)) {
      return { ok: false, refusedBy: 'requests', retryAfterMs: this.requests.waitMs(1, now) };
    }
    if (!this.tokens.has(tokens, now)) {
      return { ok: false, refusedBy: 'tokens', retryAfterMs: this.tokens.waitMs(tokens, now) };
    }
    this.requests.take(1, now);
    this.tokens.take(tokens, now);
    return { ok: true, retryAfterMs: 0 };
  }

  /** The six `x-ratelimit-*` headers at `now`; `toClient` turns a wait on the clock into the client's time. */
  headers(now: number, toClient: (clockMs: number) => number = (ms) => ms): Record<string, string> {
    return {
      'x-ratelimit-limit-requests': String(this.requests.limit),
      'x-ratelimit-limit-tokens': String(this.tokens.limit),
      'x-ratelimit-remaining-requests': String(this.requests.remaining(now)),
      'x-ratelimit-remaining-tokens': String(this.tokens.remaining(now)),
      'x-ratelimit-reset-requests': formatResetDuration(toClient(this.requests.resetMs(now))),
      'x-ratelimit-reset-tokens': formatResetDuration(toClient(this.tokens.resetMs(now))),
    };
  }
}

/**
 * The tokens a request is charged: about one per 4 bytes of the prompt it sends to a model (`responses.create`,
 * `runs.create`, `threads.createAndRun`), none for reads and other writes, which OpenAI does not count as tokens.
 */
export function estimateTokens(route: string, bodyBytes: number): number {
  return route === 'responses.create' || route === 'runs.create' || route === 'threads.createAndRun'
    ? Math.max(1, Math.ceil(bodyBytes / 4))
    : 0;
}
