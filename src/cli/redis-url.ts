import { UsageError } from './command.js';

/** Redis connection options read from `--redis redis://[user:password@]host[:port][/db]`. */
export interface RedisFlag {
  host: string;
  port: number;
  db?: number;
  username?: string;
  password?: string;
}

/** Parses the `--redis` flag; a malformed URL is a usage error that never echoes the password. */
export function redisFlag(value: string | undefined): RedisFlag {
  if (value === undefined)
    throw new UsageError('--redis URL is required (for example redis://127.0.0.1:6379)');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError('--redis must be a URL like redis://127.0.0.1:6379');
  }
  if (url.protocol !== 'redis:')
    throw new UsageError(`--redis must start with redis:// (got ${url.protocol}//)`);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined;
  if (db !== undefined && !(Number.isInteger(db) && db >= 0))
    throw new UsageError('--redis: the database must be a number');
  return {
    host: url.hostname || '127.0.0.1',
    port: url.port ? Number(url.port) : 6379,
    ...(db === undefined ? {} : { db }),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
}
