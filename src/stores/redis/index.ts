/**
 * Redis revocation store through ioredis (`jwt-gate/stores/redis`).
 *
 * Keys (`prefix` defaults to `jwt-gate:revocation:`):
 * - `<prefix>jti:<jti>`: the token's expiry, kept {@link MAX_CLOCK_TOLERANCE} seconds past it
 *   (`SET … EXAT`), since a token is accepted until its expiry plus its issuer's tolerance;
 * - `<prefix>sub:<subject>`: "issued before" time in seconds, kept for the mark's ttl plus
 *   {@link MAX_CLOCK_TOLERANCE};
 * - `<prefix>claim:<claim>:<value>`: the same mark for another claim (`revokeClaim`; claim names
 *   hold no colon, so keys never collide).
 *
 * Each revocation is written and published on the channel `<prefix>invalidations` by one Lua
 * script, so it is atomic and costs one round trip; caches on every instance subscribed through
 * {@link RedisRevocationStore.invalidations} drop the matching entries at once.
 *
 * @module
 */
import type { Redis } from 'ioredis'
import type { InvalidationSource } from '../invalidation.js'
import type { RevocationQuery, RevocationStore } from '../types.js'
import { createRedisInvalidationChannel } from './channel.js'
import type { RedisInvalidationChannel } from './channel.js'
import { claimsBesidesSub, claimsToCheck, revocableClaims } from '../revocable-claims.js'
import {
  MAX_CLOCK_TOLERANCE,
  StoreDataError,
  assertRevokeClaim,
  assertRevokeSubject,
  assertRevokeToken,
  isUsableKey,
} from '../validate.js'
import { openClient } from './client.js'

export { FAIL_FAST_REDIS_OPTIONS } from './client.js'
export { createRedisInvalidationChannel } from './channel.js'
export type { RedisInvalidationChannel, RedisInvalidationChannelOptions } from './channel.js'
export { createRedisReplayStore } from './replay.js'
export { createRedisIntrospectionCache } from './introspection-cache.js'
export type { IntrospectionCache } from '../types.js'
export type {
  RedisIntrospectionCache,
  RedisIntrospectionCacheOptions,
} from './introspection-cache.js'
export type { RedisReplayStore, RedisReplayStoreOptions } from './replay.js'

/** Options of {@link createRedisRevocationStore}. */
export interface RedisRevocationStoreOptions {
  /**
   * A client of yours (configure it to fail fast, see {@link FAIL_FAST_REDIS_OPTIONS}), or a
   * `redis://` URL for a client the store owns.
   */
  redis: Redis | string
  /** Key prefix; use one per app sharing a Redis. @defaultValue `'jwt-gate:revocation:'` */
  prefix?: string
  /** Pub/sub channel, or `false` for none. @defaultValue `'<prefix>invalidations'` */
  channel?: string | false
  /** Health check of the subscriber connection (ms). @defaultValue 2000 and 1000 */
  healthCheck?: { interval?: number; timeout?: number }
  /**
   * The claims besides `sub` that `revokeClaim` may revoke by; `isRevoked` reads their marks in
   * the same MGET. Names without colon or whitespace. @defaultValue `['sid', 'client_id']`
   */
  claims?: readonly string[]
}

/** The Redis revocation store. */
export interface RedisRevocationStore extends RevocationStore {
  /** The claims besides `sub` this store checks (its `claims` option); `cacheRevocationStore` keys by them. */
  readonly claims: readonly string[]
  revokeClaim(claim: string, value: string, before: number, ttl: number): Promise<void>
  /** Pub/sub invalidations (absent with `channel: false`); pass to `cacheRevocationStore`. */
  invalidations?: InvalidationSource
  /** Disconnects the subscriber, and the client if the store created it. Idempotent. */
  close(): Promise<void>
}

// KEYS[1] jti key; ARGV: expiresAt (integer seconds), keep-until (expiresAt plus the largest
// tolerance), channel ('' for none), message. An equal expiry is written again, so a denial stored
// without the margin gets it. Unless every tolerance has passed, the revocation is published,
// whether or not the key changed (late ones too: other instances may hold a cached answer).
const REVOKE_TOKEN = `
local exp = tonumber(ARGV[1])
local keep = tonumber(ARGV[2])
if keep <= tonumber(redis.call('TIME')[1]) then return 0 end
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if exp >= current then redis.call('SET', KEYS[1], ARGV[1], 'EXAT', keep) end
if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return 1`

// KEYS[1] subject key; ARGV: before (seconds), ttl (seconds, the margin included), channel,
// message. Marks only move forward: neither the time nor the remaining lifetime of a newer mark
// is ever reduced.
const REVOKE_SUBJECT = `
local value = ARGV[1]
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) and tonumber(current) > tonumber(value) then value = current end
local ttl = tonumber(ARGV[2]) * 1000
local left = redis.call('PTTL', KEYS[1])
if left > ttl then ttl = left end
redis.call('SET', KEYS[1], value, 'PX', ttl)
if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return 1`

/** The invalidation channel on `channel`, or none for `''`. */
function openChannel(
  redis: Redis,
  channel: string,
  healthCheck: RedisRevocationStoreOptions['healthCheck'],
): RedisInvalidationChannel | undefined {
  if (channel === '') return undefined
  return createRedisInvalidationChannel({
    redis,
    channel,
    ...(healthCheck?.interval === undefined ? {} : { healthCheckInterval: healthCheck.interval }),
    ...(healthCheck?.timeout === undefined ? {} : { healthCheckTimeout: healthCheck.timeout }),
  })
}

/** What each MGET key of a query holds: a token denial, or an "issued before" mark. */
type KeyKind = 'token' | 'mark'

/**
 * Decides a query from the MGET answer for its keys, or throws {@link StoreDataError} for an
 * answer of the wrong shape.
 */
function decide(values: unknown, kinds: readonly KeyKind[], query: RevocationQuery): boolean {
  if (!Array.isArray(values) || values.length !== kinds.length)
    throw new StoreDataError('redis revocation store', 'MGET returned a wrong shape')
  let revoked = false
  kinds.forEach((kind, index) => {
    const value: unknown = (values as unknown[])[index]
    if (value === null || value === undefined) return
    if (kind === 'token') {
      revoked = true
      return
    }
    const before = Number(value)
    if (value === '' || !Number.isFinite(before))
      throw new StoreDataError('redis revocation store', 'a revocation mark is not a number')
    // Without a numeric iat the token cannot prove it was issued after the mark.
    if (typeof query.issuedAt !== 'number' || !(query.issuedAt >= before)) revoked = true
  })
  return revoked
}

/** The keys a query reads in one MGET, and what each holds. */
function lookupKeys(
  query: RevocationQuery,
  claims: ReadonlySet<string>,
  keyOf: { token(jti: string): string; mark(claim: string, value: string): string },
): { keys: string[]; kinds: KeyKind[] } {
  const keys: string[] = []
  const kinds: KeyKind[] = []
  const add = (key: string, kind: KeyKind): void => {
    keys.push(key)
    kinds.push(kind)
  }
  if (isUsableKey(query.subject)) add(keyOf.mark('sub', query.subject), 'mark')
  if (isUsableKey(query.jti)) add(keyOf.token(query.jti), 'token')
  for (const [claim, value] of claimsToCheck(query, claims)) add(keyOf.mark(claim, value), 'mark')
  return { keys, kinds }
}

/** Creates a {@link RedisRevocationStore}. */
export function createRedisRevocationStore(
  options: RedisRevocationStoreOptions,
): RedisRevocationStore {
  const { redis, owned } = openClient(options.redis)
  const prefix = options.prefix ?? 'jwt-gate:revocation:'
  const channelName = options.channel === false ? '' : (options.channel ?? `${prefix}invalidations`)
  const channel = openChannel(redis, channelName, options.healthCheck)
  const tokenKey = (jti: string): string => `${prefix}jti:${jti}`
  const claimKey = (claim: string, value: string): string =>
    claim === 'sub' ? `${prefix}sub:${value}` : `${prefix}claim:${claim}:${value}`
  const claims = revocableClaims(options.claims)
  let closing: Promise<void> | undefined

  const store: RedisRevocationStore = {
    claims: claimsBesidesSub(claims),
    async isRevoked(query: RevocationQuery) {
      const { keys, kinds } = lookupKeys(query, claims, { token: tokenKey, mark: claimKey })
      if (keys.length === 0) return false
      // One round trip, whatever the number of claims checked.
      return decide(await redis.mget(...keys), kinds, query)
    },
    async revokeToken(jti, expiresAt) {
      assertRevokeToken(jti, expiresAt)
      const expiry = Math.ceil(expiresAt)
      const keepUntil = String(expiry + MAX_CLOCK_TOLERANCE)
      const message = JSON.stringify({ type: 'token', jti })
      await redis.eval(
        REVOKE_TOKEN,
        1,
        tokenKey(jti),
        String(expiry),
        keepUntil,
        channelName,
        message,
      )
    },
    revokeSubject: (subject, before, ttl) => store.revokeClaim('sub', subject, before, ttl),
    async revokeClaim(claim, value, before, ttl) {
      assertRevokeClaim(claim, claims)
      assertRevokeSubject(value, before, ttl)
      const keepFor = String(ttl + MAX_CLOCK_TOLERANCE)
      const message = JSON.stringify(
        claim === 'sub' ? { type: 'subject', subject: value } : { type: 'claim', claim, value },
      )
      const key = claimKey(claim, value)
      await redis.eval(REVOKE_SUBJECT, 1, key, String(before), keepFor, channelName, message)
    },
    close() {
      closing ??= (async () => {
        await channel?.close()
        if (owned) redis.disconnect()
      })()
      return closing
    },
  }
  if (channel !== undefined) store.invalidations = channel
  return store
}
