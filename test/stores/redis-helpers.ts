/** Redis clients for tests: fail-fast, connected before use, and key cleanup by prefix. */
import { once } from 'node:events'
import { Redis } from 'ioredis'
import type { RedisOptions } from 'ioredis'
import { FAIL_FAST_REDIS_OPTIONS } from '../../src/stores/redis/index.js'
import { REDIS_URL } from './services.js'

/** A fail-fast client (no offline queue), resolved once it is ready. */
export async function connectRedis(
  url: string = REDIS_URL,
  options: RedisOptions = {},
): Promise<Redis> {
  const redis = new Redis(url, { ...FAIL_FAST_REDIS_OPTIONS, ...options })
  redis.on('error', () => undefined)
  if (redis.status !== 'ready') await once(redis, 'ready')
  return redis
}

/** Deletes every key starting with `prefix`. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
    cursor = next
    if (keys.length > 0) await redis.del(...keys)
  } while (cursor !== '0')
}
