import type { Random } from './scenario/random.js';

/** Makes OpenAI-looking ids (`run_…`, `resp_…`, `batch_…`) from a seeded stream, so a seed replays them. */
export interface IdFactory {
  /** `prefix` followed by `length` random characters, alphanumeric or lowercase hex. */
  make(prefix: string, length?: number, alphabet?: 'alnum' | 'hex'): string;
}

const HEX = '0123456789abcdef';

/** An {@link IdFactory} drawing from `random`. */
export function createIds(random: Random): IdFactory {
  return {
    make: (prefix, length = 24, alphabet = 'alnum') =>
      prefix + random.chars(length, alphabet === 'hex' ? HEX : undefined),
  };
}
