import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseMilliseconds,
  parseRetryAfter,
  retryHintMs,
  serverHintMs,
} from '../../src/sources/server-hint.js';

const NOW = Date.parse('2026-11-02T10:00:00Z');

describe('serverHintMs', () => {
  it('reads openai-poll-after-ms', () => {
    expect(serverHintMs(new Headers({ 'openai-poll-after-ms': '1500' }), NOW)).toBe(1500);
  });

  it('reads retry-after-ms and retry-after in seconds', () => {
    expect(serverHintMs(new Headers({ 'retry-after-ms': '250' }), NOW)).toBe(250);
    expect(serverHintMs(new Headers({ 'retry-after': '2' }), NOW)).toBe(2000);
    expect(serverHintMs(new Headers({ 'retry-after': '0.5' }), NOW)).toBe(500);
  });

  it('reads retry-after as an HTTP date relative to now', () => {
    expect(serverHintMs(new Headers({ 'retry-after': 'Mon, 02 Nov 2026 10:00:07 GMT' }), NOW)).toBe(7000);
    // RFC 850 and asctime forms are still HTTP dates.
    expect(parseRetryAfter('Monday, 02-Nov-26 10:00:03 GMT', NOW)).toBe(3000);
    expect(parseRetryAfter('Mon Nov  2 10:00:04 2026', NOW)).toBeTypeOf('number');
  });

  it('gives 0 for a date in the past', () => {
    expect(serverHintMs(new Headers({ 'retry-after': 'Mon, 02 Nov 2026 09:00:00 GMT' }), NOW)).toBe(0);
  });

  it('takes the largest of several hints, each being a lower bound', () => {
    const headers = new Headers({
      'openai-poll-after-ms': '800',
      'retry-after-ms': '300',
      'retry-after': '1',
    });
    expect(serverHintMs(headers, NOW)).toBe(1000);
  });

  it('returns undefined when there is no hint', () => {
    expect(serverHintMs(new Headers(), NOW)).toBeUndefined();
    expect(serverHintMs(undefined, NOW)).toBeUndefined();
    expect(serverHintMs(null, NOW)).toBeUndefined();
  });

  it.each(['-1', '', ' ', 'abc', '1e3', 'NaN', 'Infinity', '0x10', '5 seconds', '1,000', 'a 5', 'Jan 1'])(
    'ignores garbage %j in every hint header',
    (value) => {
      for (const name of ['openai-poll-after-ms', 'retry-after-ms', 'retry-after']) {
        expect(serverHintMs(new Headers({ [name]: value }), NOW)).toBeUndefined();
      }
    },
  );

  it('ignores a number too large to be finite', () => {
    expect(parseMilliseconds('9'.repeat(400))).toBeUndefined();
    expect(parseRetryAfter('9'.repeat(400), NOW)).toBeUndefined();
  });

  it('never returns a negative, NaN or infinite value, whatever the header says', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (a, b, c) => {
        let headers: Headers;
        try {
          headers = new Headers({ 'openai-poll-after-ms': a, 'retry-after-ms': b, 'retry-after': c });
        } catch {
          return; // not a valid header value at all
        }
        const hint = serverHintMs(headers, NOW);
        if (hint !== undefined) {
          expect(Number.isFinite(hint)).toBe(true);
          expect(hint).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });

  it('round-trips any non-negative integer', () => {
    fc.assert(
      fc.property(fc.nat(), (n) => {
        expect(serverHintMs(new Headers({ 'retry-after-ms': String(n) }), NOW)).toBe(n);
        expect(serverHintMs(new Headers({ 'retry-after': String(n) }), NOW)).toBe(n * 1000);
      }),
    );
  });
});

describe('retryHintMs', () => {
  it('reads only the retry headers', () => {
    const headers = new Headers({
      'openai-poll-after-ms': '9000',
      'retry-after-ms': '300',
      'retry-after': '1',
    });
    expect(retryHintMs(headers, NOW)).toBe(1000);
    expect(retryHintMs(new Headers({ 'openai-poll-after-ms': '9000' }), NOW)).toBeUndefined();
    expect(retryHintMs(undefined, NOW)).toBeUndefined();
  });
});
