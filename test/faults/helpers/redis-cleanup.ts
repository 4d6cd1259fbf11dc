/** Removes the keys a test wrote under its own prefix, so the shared Redis stays as it was. */
import { Redis } from 'ioredis'

/** Deletes every key starting with `prefix` on the local test Redis. */
export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect()
  try {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
  } finally {
    redis.disconnect()
  }
}
