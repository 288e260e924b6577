import { UsageError } from './command.js';

/**
 * Runs a `node:util` `parseArgs` call and turns its errors into a one-line `UsageError` (its messages carry a
 * second sentence about positionals that does not help here).
 */
export function parseOrUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (!code.startsWith('ERR_PARSE_ARGS')) throw error;
    // `--max-wait -5s`: parseArgs takes a value starting with a dash for a forgotten value, in three lines.
    const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous/.exec((error as Error).message);
    if (ambiguous) {
      throw new UsageError(`${ambiguous[1]} got a value starting with "-": negative values are refused`);
    }
    const message = (error as Error).message.split(/\. (?=To specify)/)[0]!.replace(/\.$/, '');
    throw new UsageError(message);
  }
}

/** An integer flag within bounds; `undefined` stays undefined. */
export function integer(
  flag: string,
  value: string | undefined,
  { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `--${flag} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`,
    );
  }
  return n;
}

/** A TCP port: 0 (any free port) to 65535. */
export const port = (flag: string, value: string | undefined) =>
  integer(flag, value, { min: 0, max: 65_535 });

/** A non-negative number flag (a clock speed, milliseconds). */
export function positive(
  flag: string,
  value: string | undefined,
  { allowZero = false } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    throw new UsageError(
      `--${flag} must be a number ${allowZero ? '>= 0' : '> 0'} (got ${JSON.stringify(value)})`,
    );
  }
  return n;
}

/** A probability, `0.1` or `10%`. */
export function probability(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const percent = value.endsWith('%');
  const n = Number(percent ? value.slice(0, -1) : value) / (percent ? 100 : 1);
  if (!Number.isFinite(n) || n < 0 || n > 1) {
    throw new UsageError(
      `--${flag} must be a probability: 0 to 1, or a percentage like 10% (got ${JSON.stringify(value)})`,
    );
  }
  return n;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration: `500ms`, `90s`, `10m`, `1h`, or a plain number of seconds. Returns milliseconds. */
export function duration(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  const ms = match ? Number(match[1]) * UNITS[match[2] ?? 's']! : Number.NaN;
  if (!(ms > 0)) {
    throw new UsageError(
      `--${flag} must be a duration like 90s, 10m, 1h or 500ms (got ${JSON.stringify(value)})`,
    );
  }
  return ms;
}

/** The first defined value, or a usage error naming where it could have come from. */
export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === '') throw new UsageError(`${what} is required`);
  return value;
}
