/**
 * Per-instance caches in front of a user or revocation store: bounded, short-lived, single-flight,
 * never caching errors, and emptied by invalidation events from Redis pub/sub or PostgreSQL
 * LISTEN/NOTIFY so that a change on one instance reaches every instance at once.
 *
 * @module
 */
import { AuthConfigError } from '../../errors.js'
import type { Invalidation, InvalidationSource } from '../invalidation.js'
import type { RevocationQuery, RevocationStore, UserRecord, UserStore } from '../types.js'
import { createLookupCache } from './lookup-cache.js'
import { claimsToCheck, revocableClaims } from '../revocable-claims.js'
import {
  StoreDataError,
  assertRevokeClaim,
  checkFoundUser,
  copyUser,
  isUsableKey,
} from '../validate.js'

/** Options shared by both caches. */
interface CommonCacheOptions {
  /** Most entries kept per instance; the least recently used goes first. */
  max?: number
  /** Clock for expiry (tests pass a controllable one). @defaultValue `() => new Date()` */
  clock?: () => Date
  /**
   * Where invalidations come from (one source or several). Without one, a change made elsewhere
   * is seen once the entry expires.
   */
  invalidations?: InvalidationSource | readonly InvalidationSource[] | undefined
}

/** Options of {@link cacheUserStore}. */
export interface UserCacheOptions extends CommonCacheOptions {
  /** How long a found user is kept, in ms. @defaultValue 5000 */
  ttl?: number
  /** How long "no such user" is kept, in ms; 0 turns it off. @defaultValue 1000 */
  negativeTtl?: number
  /** @defaultValue 1000 */
  max?: number
}

/** Options of {@link cacheRevocationStore}. */
export interface RevocationCacheOptions extends CommonCacheOptions {
  /** How long an answer is kept, in ms. @defaultValue 1000 */
  ttl?: number
  /** @defaultValue 10000 */
  max?: number
  /**
   * The claims besides `sub` the wrapped store revokes by: answers are keyed by their values too,
   * so two sessions (`sid`) of one subject never share an answer, and a `claim` event drops the
   * entries with that value. A claim event or `revokeClaim` for any other claim empties the cache
   * (an event) or is refused (`revokeClaim`). Must include every claim of the store's `claims`.
   * @defaultValue the wrapped store's `claims` when it exposes them (the shipped Redis,
   * PostgreSQL and NATS stores do), else `['sid', 'client_id']`
   */
  claims?: readonly string[]
}

/** What the caches add to the store interfaces. */
export interface CacheControl {
  /** Applies an invalidation to this instance's cache only. */
  invalidate(event: Invalidation): void
  /** Entries currently held. */
  readonly size: number
  /** Stops listening for invalidations and closes the wrapped store. Idempotent. */
  close(): Promise<void>
}

/** A cached {@link UserStore}. */
export type CachedUserStore = UserStore & CacheControl

/** A cached {@link RevocationStore}. */
export type CachedRevocationStore = RevocationStore & CacheControl

function duration(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback
  if (typeof result !== 'number' || !Number.isFinite(result) || result < 0)
    throw new AuthConfigError(name, 'must be a non-negative number of milliseconds')
  return result
}

function bound(value: number | undefined, fallback: number): number {
  const result = value ?? fallback
  if (!Number.isInteger(result) || result < 1)
    throw new AuthConfigError('max', 'must be a positive integer')
  return result
}

function isSourceList(
  sources: InvalidationSource | readonly InvalidationSource[],
): sources is readonly InvalidationSource[] {
  return Array.isArray(sources)
}

function listen(
  sources: CommonCacheOptions['invalidations'],
  apply: (event: Invalidation) => void,
): { stop: () => void; connected: () => boolean } {
  const list: readonly InvalidationSource[] =
    sources === undefined ? [] : isSourceList(sources) ? sources : [sources]
  const stops = list.map((source) => source.subscribe(apply))
  return {
    stop() {
      for (const stop of stops) stop()
    },
    // Entries are kept only while every source can tell us when they go stale.
    connected: () => list.every((source) => source.connected !== false),
  }
}

function closer(stop: () => void, inner: { close?(): Promise<void> }): () => Promise<void> {
  let closing: Promise<void> | undefined
  return () => {
    closing ??= (async () => {
      stop()
      await inner.close?.()
    })()
    return closing
  }
}

/**
 * Wraps a {@link UserStore} in a per-instance cache. Lookups of one username share one query;
 * found users are kept `ttl` ms, unknown ones `negativeTtl` ms; errors and malformed answers are
 * never kept (malformed answers throw {@link StoreDataError}). `createUser`/`updateUser` pass
 * through and drop the entry locally; other instances learn of it through `invalidations`.
 * `checkSchema` passes through untouched.
 */
export function cacheUserStore(store: UserStore, options: UserCacheOptions = {}): CachedUserStore {
  const ttl = duration('ttl', options.ttl, 5000)
  const negativeTtl = duration('negativeTtl', options.negativeTtl, 1000)
  const clock = options.clock ?? (() => new Date())
  const cache = createLookupCache<UserRecord | undefined, string>({
    max: bound(options.max, 1000),
    now: () => clock().getTime(),
    ttlOf: (user) => (!sources.connected() ? 0 : user === undefined ? negativeTtl : ttl),
  })

  const invalidate = (event: Invalidation): void => {
    if (event.type === 'all') cache.clear()
    else if (event.type === 'user') cache.delete(event.username)
  }
  const sources = listen(options.invalidations, invalidate)
  const cached: CachedUserStore = {
    async findUser(username) {
      if (!isUsableKey(username)) return undefined
      const user = await cache.get(username, username, async () =>
        checkFoundUser('user store', await store.findUser(username), username),
      )
      return user === undefined ? undefined : copyUser(user)
    },
    invalidate,
    get size() {
      return cache.size
    },
    close: closer(sources.stop, store),
  }
  /** A write passed through, dropping the user's entry whether it succeeds or not. */
  const writeThrough =
    (write: (user: UserRecord) => Promise<void>) =>
    async (user: UserRecord): Promise<void> => {
      try {
        await write(user)
      } finally {
        cache.delete(user.username)
      }
    }
  if (store.createUser !== undefined) cached.createUser = writeThrough(store.createUser.bind(store))
  if (store.checkSchema !== undefined) cached.checkSchema = store.checkSchema.bind(store)
  if (store.updateUser !== undefined) cached.updateUser = writeThrough(store.updateUser.bind(store))
  return cached
}

interface QueryMeta {
  subject: unknown
  jti: unknown
  /** The checked claims' values, for `claim` events. */
  claims: [string, string][]
}

/**
 * The claims answers are keyed by: the option, else the wrapped store's own `claims` (the shipped
 * stores expose theirs), else the default. An option that leaves out a claim the store checks
 * would share one answer between tokens the store tells apart: refused at creation.
 */
function cacheClaims(option: readonly string[] | undefined, store: object): ReadonlySet<string> {
  const own = (store as { claims?: unknown }).claims
  const storeClaims = Array.isArray(own) ? revocableClaims(own) : undefined
  const claims = revocableClaims(option ?? own)
  if (storeClaims !== undefined && [...storeClaims].some((claim) => !claims.has(claim)))
    throw new AuthConfigError('claims', 'must list every claim the wrapped store checks')
  return claims
}

/** Drops the entries a revocation event may have changed. */
function applyEvent(
  cache: { clear(): void; deleteWhere(matches: (meta: QueryMeta) => boolean): void },
  claims: ReadonlySet<string>,
  event: Invalidation,
): void {
  if (event.type === 'token') cache.deleteWhere((meta) => meta.jti === event.jti)
  else if (event.type === 'subject') cache.deleteWhere((meta) => meta.subject === event.subject)
  else if (event.type === 'claim' && event.claim === 'sub')
    cache.deleteWhere((meta) => meta.subject === event.value)
  else if (event.type === 'claim' && claims.has(event.claim))
    cache.deleteWhere((meta) =>
      meta.claims.some(([claim, value]) => claim === event.claim && value === event.value),
    )
  // `all`, and a claim whose values the entries do not record: drop everything.
  else if (event.type !== 'user') cache.clear()
}

/**
 * Wraps a {@link RevocationStore} in a per-instance cache. Identical queries share one lookup;
 * answers are kept `ttl` ms; errors and non-boolean answers are never kept. Revocations made
 * through the wrapper drop the matching entries locally at once; other instances drop theirs
 * when the event arrives through `invalidations`.
 */
export function cacheRevocationStore(
  store: RevocationStore,
  options: RevocationCacheOptions = {},
): CachedRevocationStore {
  const ttl = duration('ttl', options.ttl, 1000)
  const clock = options.clock ?? (() => new Date())
  const cache = createLookupCache<boolean, QueryMeta>({
    max: bound(options.max, 10_000),
    now: () => clock().getTime(),
    ttlOf: () => (sources.connected() ? ttl : 0),
  })
  const claims = cacheClaims(options.claims, store)
  const invalidate = (event: Invalidation): void => applyEvent(cache, claims, event)
  const sources = listen(options.invalidations, invalidate)

  const cached: CachedRevocationStore = {
    isRevoked(query: RevocationQuery) {
      const pairs = claimsToCheck(query, claims)
      // The store's answer depends on these claims too: two sessions of one subject differ.
      const key = JSON.stringify([query.subject, query.issuer, query.jti, query.issuedAt, pairs])
      const meta = { subject: query.subject, jti: query.jti, claims: pairs }
      return cache.get(key, meta, async () => {
        const revoked: unknown = await store.isRevoked(query)
        if (typeof revoked !== 'boolean')
          throw new StoreDataError('revocation store', 'isRevoked did not return a boolean')
        return revoked
      })
    },
    async revokeToken(jti, expiresAt) {
      try {
        await store.revokeToken(jti, expiresAt)
      } finally {
        invalidate({ type: 'token', jti })
      }
    },
    async revokeSubject(subject, before, ttlSeconds) {
      try {
        await store.revokeSubject(subject, before, ttlSeconds)
      } finally {
        invalidate({ type: 'subject', subject })
      }
    },
    invalidate,
    get size() {
      return cache.size
    },
    close: closer(sources.stop, store),
  }
  const revokeClaim = store.revokeClaim?.bind(store)
  if (revokeClaim !== undefined)
    cached.revokeClaim = async (claim, value, before, ttlSeconds) => {
      // Entries are keyed by these claims only: a revocation by another would stay unseen here.
      assertRevokeClaim(claim, claims)
      try {
        await revokeClaim(claim, value, before, ttlSeconds)
      } finally {
        invalidate({ type: 'claim', claim, value })
      }
    }
  return cached
}
