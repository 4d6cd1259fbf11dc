/**
 * How the Redis stores reach Redis: a client of the app's, or a URL for a client the store owns,
 * with settings that fail fast. One place, so the revocation and the replay store behave the
 * same way when Redis is down.
 *
 * @module
 */
import { Redis } from 'ioredis'
import type { RedisOptions } from 'ioredis'

/**
 * Client options used with a URL: commands fail at once while disconnected (no offline queue),
 * a hung server is given two seconds, and reconnects are retried forever with a capped backoff.
 */
export const FAIL_FAST_REDIS_OPTIONS: Readonly<RedisOptions> = Object.freeze({
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  commandTimeout: 2000,
  retryStrategy: (times: number) => Math.min(50 * 2 ** times, 1000),
})

/** The app's client, or a new fail-fast one the store owns (and must disconnect on close). */
export function openClient(redis: Redis | string): { redis: Redis; owned: boolean } {
  if (typeof redis !== 'string') return { redis, owned: false }
  const client = new Redis(redis, { ...FAIL_FAST_REDIS_OPTIONS })
  // An owned client reports connection errors as events; reconnecting is its job, crashing is not.
  client.on('error', () => undefined)
  return { redis: client, owned: true }
}

/**
 * Resolves when `redis` is connected, at once if it is; rejects when it is not within
 * `timeoutMs`. A fail-fast client refuses commands while it connects, so a store's `ready()`
 * waits here rather than letting the first requests meet that refusal.
 */
export function whenConnected(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve()
  return new Promise((resolve, reject) => {
    const onReady = (): void => {
      clearTimeout(deadline)
      resolve()
    }
    const deadline = setTimeout(() => {
      redis.off('ready', onReady)
      reject(new Error(`redis not connected within ${timeoutMs} ms`))
    }, timeoutMs)
    deadline.unref()
    redis.once('ready', onReady)
  })
}
