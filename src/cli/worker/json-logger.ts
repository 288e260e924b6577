import type { Logger } from '../../telemetry/logger.js';

/**
 * A {@link Logger} writing one JSON object per line (`--log json`): `time` (ISO), `level`, the event's fields, and
 * `msg`. What a log shipper (Loki, Cloud Logging, Datadog) reads without a parser of its own.
 */
export function jsonLogger(write: (line: string) => void, now: () => number = Date.now): Logger {
  const log = (level: string) => (fields: object, message?: string) => {
    write(
      `${JSON.stringify({ time: new Date(now()).toISOString(), level, ...fields, ...(message ? { msg: message } : {}) })}\n`,
    );
  };
  return { info: log('info'), warn: log('warn'), error: log('error') };
}
