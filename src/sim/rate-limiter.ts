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

/** The outcome of asking the bucket for one request. */
export interface BucketTake {
  ok: boolean;
  /** `x-ratelimit-*-requests` headers describing the bucket after this request. */
  headers: Record<string, string>;
  /** When refused: how long until one request is allowed again. */
  retryAfterMs: number;
}

/**
 * A requests-per-minute token bucket on the simulator clock, shared by every client: `rpm` tokens, refilled
 * continuously at rpm/60 s. OpenAI's own limiter behaves like this (a burst up to the limit, then a steady rate).
 */
export class RequestBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly rpm: number,
    now: number,
  ) {
    if (!(rpm > 0)) throw new RangeError(`rpm must be > 0, got ${rpm}`);
    this.tokens = rpm;
    this.last = now;
  }

  /** Takes one token at `now` if there is one. */
  take(now: number): BucketTake {
    const perMs = this.rpm / 60_000;
    this.tokens = Math.min(this.rpm, this.tokens + Math.max(0, now - this.last) * perMs);
    this.last = now;
    const ok = this.tokens >= 1;
    if (ok) this.tokens -= 1;
    const retryAfterMs = ok ? 0 : Math.ceil((1 - this.tokens) / perMs);
    return {
      ok,
      retryAfterMs,
      headers: {
        'x-ratelimit-limit-requests': String(this.rpm),
        'x-ratelimit-remaining-requests': String(Math.floor(this.tokens)),
        'x-ratelimit-reset-requests': formatResetDuration((this.rpm - this.tokens) / perMs),
      },
    };
  }
}
