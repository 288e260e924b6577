import type { RequestLimitHeaders } from './rate-limit-headers.js';

/**
 * A requests-per-minute token bucket on an injected clock: `burst` tokens, refilled continuously, that also follows
 * what the server says of the same budget (`x-ratelimit-*-requests`) and stops everything during a 429's
 * retry-after. Every estimate it takes from the server only ever lowers what it allows, so stale or noisy headers
 * make it more careful, never less.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly configuredPerMs: number;
  /** From `x-ratelimit-limit-requests`. */
  private limitPerMs = Number.POSITIVE_INFINITY;
  /** From remaining and reset: the server refills `limit − remaining` tokens in `reset`. */
  private serverPerMs = Number.POSITIVE_INFINITY;
  private capacity: number;
  private blockedUntil = Number.NEGATIVE_INFINITY;

  constructor(
    rpm: number,
    private readonly burst: number,
    now: number,
  ) {
    this.configuredPerMs = rpm / 60_000;
    this.capacity = burst;
    this.tokens = burst;
    this.last = now;
  }

  /** Requests per minute in force: the configured rate, lowered by what the server said. */
  get rpm(): number {
    return this.perMs * 60_000;
  }

  /** Tokens at `now` (negative: requests in flight the server may already have counted against an empty bucket). */
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  /** The end of the last 429's retry-after, or undefined when none is in force at `now`. */
  blockedAt(now: number): number | undefined {
    return now < this.blockedUntil ? this.blockedUntil : undefined;
  }

  /** Takes one token if a request may go at `now`. */
  tryTake(now: number): boolean {
    if (now < this.blockedUntil) return false;
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * Takes `n` tokens for requests already sent (those a read sent beyond its first): the tokens may go negative,
   * and {@link tryTake} then waits until the refill has paid the debt.
   */
  spend(n: number, now: number): void {
    this.refill(now);
    this.tokens -= n;
  }

  /** The earliest time ≥ `now` at which {@link tryTake} can succeed. */
  nextAt(now: number): number {
    this.refill(now);
    const refilled = this.tokens >= 1 ? now : now + Math.ceil((1 - this.tokens) / this.perMs);
    return Math.max(refilled, this.blockedUntil);
  }

  /**
   * Follows a response's `x-ratelimit-*-requests` headers: a lower limit lowers the rate and the burst; `remaining`
   * caps the tokens, less the `inFlight` requests the server may not have counted yet; `remaining` with `reset`
   * gives the server's refill rate.
   */
  observe(headers: RequestLimitHeaders, inFlight: number, now: number): void {
    this.refill(now);
    const { limit, remaining, resetMs } = headers;
    if (limit !== undefined) {
      this.limitPerMs = limit / 60_000;
      this.capacity = Math.min(this.burst, limit);
      this.tokens = Math.min(this.tokens, this.capacity);
    }
    if (remaining !== undefined) {
      this.tokens = Math.min(this.tokens, remaining - inFlight);
      if (limit !== undefined && resetMs !== undefined && resetMs > 0 && limit > remaining) {
        this.serverPerMs = (limit - remaining) / resetMs;
      }
    }
  }

  /** A 429: nothing goes before `until`, and the server's bucket is empty. */
  block(until: number, inFlight: number, now: number): void {
    this.refill(now);
    this.blockedUntil = Math.max(this.blockedUntil, until);
    this.tokens = Math.min(this.tokens, -inFlight);
  }

  private get perMs(): number {
    return Math.min(this.configuredPerMs, this.limitPerMs, this.serverPerMs);
  }

  private refill(now: number): void {
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.perMs);
      this.last = now;
    }
  }
}
