/**
 * Redis {@link IntrospectionCache} through ioredis: the introspection answers of a fleet in one
 * place, so a token is introspected once for every instance (`jwt-gate/stores/redis`).
 *
 * Keys are `<prefix><sha-256 of the token>`, set with `PX`; Redis drops them when they expire.
 *
 * @module
 */
import type { Redis } from 'ioredis'
import type { IntrospectionCache } from '../types.js'
import { openClient } from './client.js'

/** Options of {@link createRedisIntrospectionCache}. */
export interface RedisIntrospectionCacheOptions {
  /**
   * A client of yours (configure it to fail fast, see `FAIL_FAST_REDIS_OPTIONS`), or a
   * `redis://` URL for a client the cache owns.
   */
  redis: Redis | string
  /** Key prefix; use one per app sharing a Redis. @defaultValue `'jwt-gate:introspection:'` */
  prefix?: string
}

/** The Redis introspection cache. */
export interface RedisIntrospectionCache extends IntrospectionCache {
  /** Disconnects the client if the cache created it. Idempotent. */
  close(): Promise<void>
}

/** Creates a {@link RedisIntrospectionCache}. */
export function createRedisIntrospectionCache(
  options: RedisIntrospectionCacheOptions,
): RedisIntrospectionCache {
  const { redis, owned } = openClient(options.redis)
  const prefix = options.prefix ?? 'jwt-gate:introspection:'
  let closed = false
  return {
    async get(key) {
      const value = await redis.get(prefix + key)
      return value ?? undefined
    },
    async set(key, value, ttl) {
      await redis.set(prefix + key, value, 'PX', Math.max(1, Math.ceil(ttl)))
    },
    close() {
      if (!closed && owned) redis.disconnect()
      closed = true
      return Promise.resolve()
    },
  }
}
