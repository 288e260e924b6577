import { describe, expect, it } from 'vitest';
import { formatResetDuration, RateLimiter } from '../../../src/sim/server/rate-limiter.js';

describe('rate limiter', () => {
  it('formats reset durations like OpenAI', () => {
    expect([12, 1000, 1500, 360_000, 3_723_000].map(formatResetDuration)).toEqual([
      '12ms',
      '1s',
      '1.5s',
      '6m0s',
      '1h2m3s',
    ]);
  });

  it('allows a burst of rpm, then one request per 60/rpm seconds; reset is always the time to a full bucket', () => {
    const limiter = new RateLimiter({ rpm: 120, tpm: 1000 }, 0);
    for (let i = 0; i < 120; i++) expect(limiter.take(0, 0).ok).toBe(true);
    const refused = limiter.take(0, 0);
    expect(refused).toMatchObject({ ok: false, refusedBy: 'requests', retryAfterMs: 500 });
    expect(limiter.headers(0)).toMatchObject({
      'x-ratelimit-limit-requests': '120',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1m0s',
    });
    expect(limiter.take(0, 499).ok).toBe(false);
    expect(limiter.take(0, 500).ok).toBe(true);
    // Half a minute later 60 requests are back, and the bucket is full 30 s after that.
    expect(limiter.headers(30_500)).toMatchObject({
      'x-ratelimit-remaining-requests': '60',
      'x-ratelimit-reset-requests': '30s',
    });
  });

  it('refuses a request whose tokens the tokens bucket does not have, taking nothing', () => {
    const limiter = new RateLimiter({ rpm: 100, tpm: 1000 }, 0);
    expect(limiter.take(900, 0).ok).toBe(true);
    expect(limiter.take(200, 0)).toMatchObject({ ok: false, refusedBy: 'tokens', retryAfterMs: 6000 });
    expect(limiter.headers(0)).toMatchObject({
      'x-ratelimit-remaining-requests': '99',
      'x-ratelimit-remaining-tokens': '100',
      'x-ratelimit-reset-tokens': '54s',
    });
  });
});
