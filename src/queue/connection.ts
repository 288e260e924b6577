import type { ConnectionOptions } from 'bullmq';
import { ConfigurationError } from '../errors/configuration-error.js';
import { QueueUnavailableError } from '../errors/queue-unavailable-error.js';

/** The queue's name when none is given. */
export const DEFAULT_QUEUE_NAME = 'runstate';

/** How long a queue or worker waits for Redis at start before giving up with a typed error. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** Checks the connection and queue name given by a user; throws a `ConfigurationError` naming the problem. */
export function checkConnection(connection: unknown, name: unknown, who: string): void {
  if (typeof connection !== 'object' || connection === null || Array.isArray(connection)) {
    throw new ConfigurationError(
      `${who} needs \`connection\`: Redis options such as { host: '127.0.0.1', port: 6379 }, or an ioredis instance`,
    );
  }
  const { port, host } = connection as { port?: unknown; host?: unknown };
  if (port !== undefined && !(Number.isInteger(port) && (port as number) > 0 && (port as number) < 65536)) {
    throw new ConfigurationError(`${who}: connection.port must be a TCP port (got ${JSON.stringify(port)})`);
  }
  if (host !== undefined && (typeof host !== 'string' || host === '')) {
    throw new ConfigurationError(`${who}: connection.host must be a non-empty string`);
  }
  if (typeof name !== 'string' || name === '' || name.includes(':')) {
    throw new ConfigurationError(
      `${who}: name must be a non-empty string without ':' (got ${JSON.stringify(name)})`,
    );
  }
}

/** Where the connection points, for messages (never a password). */
export function describeConnection(connection: ConnectionOptions): string {
  const c = connection as { host?: string; port?: number; url?: string };
  if (typeof c.host === 'string' || typeof c.port === 'number')
    return `${c.host ?? '127.0.0.1'}:${c.port ?? 6379}`;
  return 'the given Redis connection';
}

/**
 * Waits for a BullMQ object's Redis connection, or rejects with a `QueueUnavailableError` after `timeoutMs`
 * (ioredis would otherwise retry forever and the caller would hang without a word).
 */
export async function whenReady(
  ready: Promise<unknown>,
  connection: ConnectionOptions,
  timeoutMs: number,
  lastError: () => unknown,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([ready.then(() => 'ready' as const), timeout]);
    if (outcome === 'timeout') {
      const cause = lastError();
      const why = cause instanceof Error ? `: ${cause.message}` : '';
      throw new QueueUnavailableError(
        `Redis at ${describeConnection(connection)} is not reachable after ${timeoutMs} ms${why}; check that it runs and the host and port`,
        { cause },
      );
    }
  } catch (e) {
    if (e instanceof QueueUnavailableError) throw e;
    throw new QueueUnavailableError(`Redis at ${describeConnection(connection)} refused the connection`, {
      cause: e,
    });
  } finally {
    clearTimeout(timer);
  }
}
