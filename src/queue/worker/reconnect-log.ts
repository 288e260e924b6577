import type { Logger } from '../../telemetry/logger.js';

/** The part of a Redis client (ioredis, as BullMQ wraps it) whose connection events are logged. */
export interface ConnectionEvents {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * Logs the worker's Redis connection going away and coming back: `redis_reconnect` (warn) each time ioredis plans
 * another attempt, with the delay it chose, and `redis_reconnected` (info) with how long Redis was away once the
 * connection is ready again. An operator reading the log sees an outage begin and end, not only its errors.
 * Returns the function that stops listening.
 */
export function logReconnects(
  redis: ConnectionEvents,
  logger: Logger,
  now: () => number = Date.now,
): () => void {
  let lostAt: number | undefined;
  let attempts = 0;
  const onReconnecting = (...args: unknown[]) => {
    lostAt ??= now();
    attempts++;
    const delay = typeof args[0] === 'number' ? args[0] : undefined;
    logger.warn(
      { event: 'redis_reconnect', attempt: attempts, ...(delay === undefined ? {} : { delay_ms: delay }) },
      'runstate worker: Redis connection lost; reconnecting',
    );
  };
  const onReady = () => {
    if (lostAt === undefined) return;
    logger.info(
      { event: 'redis_reconnected', attempts, down_ms: now() - lostAt },
      'runstate worker: Redis connection back',
    );
    lostAt = undefined;
    attempts = 0;
  };
  redis.on('reconnecting', onReconnecting);
  redis.on('ready', onReady);
  return () => {
    redis.off('reconnecting', onReconnecting);
    redis.off('ready', onReady);
  };
}
