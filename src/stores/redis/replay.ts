/**
 * Redis replay store (`jwt-gate/stores/redis`): one key per remembered value,
 * `<prefix><SHA-256 of the key, base64url>`, written by one `SET … NX PXAT <expiresAt>`. Redis
 * runs it atomically, so of several instances presenting the same key at once exactly one
 * writes it; Redis's own clock expires it, one clock for every instance.
 *
 * @module
 */
import type { Redis } from 'ioredis'
import { AuthConfigError } from '../../errors.js'
import { assertRemember, replayDigest } from '../replay-key.js'
import type { ReplayStore } from '../types.js'
import { StoreDataError } from '../validate.js'
import { openClient, whenConnected } from './client.js'

/** Options of {@link createRedisReplayStore}. */
export interface RedisReplayStoreOptions {
  /**
   * A client of yours (configure it to fail fast, see `FAIL_FAST_REDIS_OPTIONS`), or a
   * `redis://` URL for a client the store owns.
   */
  redis: Redis | string
  /** Key prefix; use one per app sharing a Redis. @defaultValue `'jwt-gate:replay:'` */
  prefix?: string
}

/** The Redis replay store. */
export interface RedisReplayStore extends ReplayStore {
  /** Resolves once the client is connected; rejects after its `connectTimeout` (2 s by default). */
  ready(): Promise<void>
  /** Disconnects the client if the store created it. Idempotent. */
  close(): Promise<void>
}

/** Longest prefix accepted: keys stay short whatever the prefix. */
const MAX_PREFIX_LENGTH = 200

/** Creates a {@link RedisReplayStore}. */
export function createRedisReplayStore(options: RedisReplayStoreOptions): RedisReplayStore {
  const prefix = options.prefix ?? 'jwt-gate:replay:'
  if (typeof prefix !== 'string' || prefix.length > MAX_PREFIX_LENGTH)
    throw new AuthConfigError(
      'prefix',
      `must be a string of at most ${MAX_PREFIX_LENGTH} characters`,
    )
  if (typeof options.redis !== 'string' && typeof options.redis?.set !== 'function')
    throw new AuthConfigError('redis', 'must be an ioredis client or a redis:// URL')
  const { redis, owned } = openClient(options.redis)
  let closing: Promise<void> | undefined

  return {
    async remember(key, expiresAt) {
      assertRemember(key, expiresAt)
      // An expiry already past is accepted by Redis: the key is not kept, and blocks nothing.
      const at = Math.ceil(expiresAt * 1000)
      const answer: unknown = await redis.set(prefix + replayDigest(key), '1', 'PXAT', at, 'NX')
      if (answer === 'OK') return true
      if (answer === null) return false
      throw new StoreDataError('redis replay store', 'SET NX returned neither OK nor nil')
    },
    ready: () => whenConnected(redis, redis.options.connectTimeout ?? 2000),
    close() {
      closing ??= Promise.resolve().then(() => {
        if (owned) redis.disconnect()
      })
      return closing
    },
  }
}
