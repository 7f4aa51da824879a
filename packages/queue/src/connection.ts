import { ValidationError } from '@abc/core';
import type { RedisOptions } from 'bullmq';

/** The queue's name in Redis (keys `bull:abc:*`). */
export const DEFAULT_QUEUE_NAME = 'abc';

/**
 * Reads a queue address, `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]` or `rediss://…` (TLS), into ioredis
 * options. Requests wait through a lost connection (ioredis reconnects), as BullMQ's workers need.
 *
 * @example
 * redisOptions('redis://127.0.0.1:6379/2');         // { host: '127.0.0.1', port: 6379, db: 2, … }
 * redisOptions('rediss://:s3cret@queue.example:6380'); // TLS, with a password
 */
export function redisOptions(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ValidationError('param', `--queue must be a redis://HOST:PORT[/DB] or rediss:// address, got "${url}"`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new ValidationError('param', `--queue must start with redis:// or rediss:// (TLS), got "${url}"`);
  }
  if (!u.hostname) throw new ValidationError('param', `--queue names no host: "${url}"`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!(Number.isInteger(db) && db >= 0))
    throw new ValidationError('param', `--queue: the database must be a number, got "${dbText}" in "${url}"`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host,
    port,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: { servername: host } } : {}),
    maxRetriesPerRequest: null,
    // Reconnect quickly after a restart of Redis, at most once a second.
    retryStrategy: (times: number) => Math.min(50 * 2 ** times, 1000),
  };
}

/**
 * The address without its password, for messages and logs.
 *
 * @example
 * safeUrl('redis://:s3cret@host:6379'); // 'redis://:***@host:6379'
 */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
