/**
 * In-memory user, revocation and replay stores, for tests, examples and single-process apps.
 *
 * @module
 */
import { AuthConfigError } from '../errors.js'
import type { RevocationQuery, RevocationStore, UserRecord, UserStore } from './types.js'
import {
  MAX_CLOCK_TOLERANCE,
  assertRevokeClaim,
  assertRevokeSubject,
  assertRevokeToken,
  assertUserInput,
  copyUser,
  isUsableKey,
} from './validate.js'
import { claimsBesidesSub, revocableClaims } from './revocable-claims.js'
import { settle } from './settle.js'

export { createMemoryReplayStore } from './memory-replay.js'
export type { MemoryReplayStoreOptions } from './memory-replay.js'
export { createMemoryIntrospectionCache } from './memory-introspection.js'
export type { MemoryIntrospectionCacheOptions } from './memory-introspection.js'

/** A {@link UserStore} held in a `Map`, with the create/update methods and a few helpers. */
export interface MemoryUserStore extends UserStore {
  createUser(user: UserRecord): Promise<void>
  updateUser(user: UserRecord): Promise<void>
  /** Inserts or replaces a user, including `disabled` (an admin action, unlike `updateUser`). */
  setUser(user: UserRecord): void
  /** Removes a user; true when it existed. */
  deleteUser(username: string): boolean
}

/**
 * Creates a {@link MemoryUserStore}, optionally seeded. Lookups are exact `Map` lookups, so
 * `__proto__` or `constructor` are ordinary strings that match only a user of that name.
 */
export function createMemoryUserStore(users: Iterable<UserRecord> = []): MemoryUserStore {
  const byName = new Map<string, UserRecord>()
  const put = (user: UserRecord): void => {
    assertUserInput(user)
    const record = copyUser(user)
    record.disabled = user.disabled ?? false
    byName.set(record.username, record)
  }
  for (const user of users) put(user)

  return {
    findUser(username) {
      if (!isUsableKey(username)) return Promise.resolve(undefined)
      const user = byName.get(username)
      return Promise.resolve(user === undefined ? undefined : copyUser(user))
    },
    createUser: (user) =>
      settle(() => {
        assertUserInput(user)
        // Insert-if-absent: two instances racing to create the same user both succeed.
        if (!byName.has(user.username)) put(user)
      }),
    updateUser: (user) =>
      settle(() => {
        assertUserInput(user)
        const current = byName.get(user.username)
        // Only name and roles follow the token; `disabled` is never changed by a login.
        if (current !== undefined) {
          const next: UserRecord = { ...current, roles: [...user.roles] }
          if (user.name !== undefined) next.name = user.name
          byName.set(user.username, next)
        }
      }),
    setUser(user) {
      put(user)
    },
    deleteUser(username) {
      return byName.delete(username)
    },
  }
}

/** Options of {@link createMemoryRevocationStore}. */
export interface MemoryRevocationStoreOptions {
  /** Clock deciding when entries expire. @defaultValue `() => new Date()` */
  clock?: () => Date
  /**
   * Most entries (token denials plus subject and claim marks) held at once. When full even after
   * dropping expired entries, new revocations are refused with an error rather than evicting live
   * ones, which would silently un-revoke a token. @defaultValue 100000
   */
  max?: number
  /**
   * The claims besides `sub` that `revokeClaim` may revoke by; each is looked up in every
   * query's claims. Names without colon or whitespace, as in the other stores.
   * @defaultValue `['sid', 'client_id']`
   */
  claims?: readonly string[]
}

/** A "denied if issued before" mark, kept until `expiresAt` (seconds since the epoch). */
interface Mark {
  before: number
  expiresAt: number
}

/** Seconds (since the epoch) until which each entry is kept: its expiry plus the tolerance. */
interface Entries {
  tokens: Map<string, number>
  /** Marks by claim name, then by the claim's value; `sub` holds the subject marks. */
  marks: Map<string, Map<string, Mark>>
}

/** Whether the mark of `claim` = `value` denies a token issued at `issuedAt`. */
function markDenies(
  entries: Entries,
  claim: string,
  value: unknown,
  issuedAt: unknown,
  now: number,
): boolean {
  if (!isUsableKey(value)) return false
  const byValue = entries.marks.get(claim)
  const mark = byValue?.get(value)
  if (byValue === undefined || mark === undefined) return false
  if (mark.expiresAt <= now) {
    byValue.delete(value)
    return false
  }
  // Without a numeric iat the token cannot prove it was issued after the mark.
  return typeof issuedAt !== 'number' || !(issuedAt >= mark.before)
}

/** The answer to `query` at `now`, dropping the expired entries it meets. */
function lookUp(entries: Entries, query: RevocationQuery, now: number): boolean {
  const { tokens, marks } = entries
  if (isUsableKey(query.jti)) {
    const expiresAt = tokens.get(query.jti)
    if (expiresAt !== undefined) {
      if (expiresAt > now) return true
      tokens.delete(query.jti)
    }
  }
  if (markDenies(entries, 'sub', query.subject, query.issuedAt, now)) return true
  const claims = query.claims
  if (claims === undefined) return false
  for (const claim of marks.keys()) {
    if (claim !== 'sub' && markDenies(entries, claim, claims[claim], query.issuedAt, now))
      return true
  }
  return false
}

/** How many entries are held. */
function sizeOf({ tokens, marks }: Entries): number {
  let size = tokens.size
  for (const byValue of marks.values()) size += byValue.size
  return size
}

/**
 * Makes room for one new entry: drops expired entries when full, and refuses when still full
 * rather than evicting a live one, which would silently un-revoke a token.
 */
function makeRoom(entries: Entries, max: number, now: number): void {
  if (sizeOf(entries) < max) return
  for (const [jti, expiresAt] of entries.tokens) if (expiresAt <= now) entries.tokens.delete(jti)
  for (const byValue of entries.marks.values()) {
    for (const [value, mark] of byValue) if (mark.expiresAt <= now) byValue.delete(value)
  }
  if (sizeOf(entries) >= max) throw new Error('memory revocation store is full')
}

/** Records a mark; marks only move forward, so a late, older revocation never weakens a newer one. */
function putMark(
  entries: Entries,
  max: number,
  [claim, value]: [string, string],
  before: number,
  ttl: number,
  now: number,
): void {
  const byValue = entries.marks.get(claim) ?? new Map<string, Mark>()
  entries.marks.set(claim, byValue)
  if (!byValue.has(value)) makeRoom(entries, max, now)
  const current = byValue.get(value)
  const live = current !== undefined && current.expiresAt > now ? current : undefined
  byValue.set(value, {
    before: Math.max(before, live?.before ?? before),
    expiresAt: Math.max(now + ttl + MAX_CLOCK_TOLERANCE, live?.expiresAt ?? 0),
  })
}

/** The in-memory revocation store. */
export interface MemoryRevocationStore extends RevocationStore {
  revokeClaim(claim: string, value: string, before: number, ttl: number): Promise<void>
  /** The claims besides `sub` it revokes by (`cacheRevocationStore` keys its answers by them). */
  readonly claims: readonly string[]
}

/**
 * Creates an in-memory {@link RevocationStore}. Entries expire by themselves ({@link
 * MAX_CLOCK_TOLERANCE} seconds after the token's expiry or the mark's ttl, as the contract
 * requires) and the store never holds more than `max`. Not shared between processes: use the
 * Redis or PostgreSQL adapter for several instances.
 */
export function createMemoryRevocationStore(
  options: MemoryRevocationStoreOptions = {},
): MemoryRevocationStore {
  const clock = options.clock ?? (() => new Date())
  const max = options.max ?? 100_000
  if (!Number.isInteger(max) || max < 1)
    throw new AuthConfigError('max', 'must be a positive integer')
  const claims = revocableClaims(options.claims)
  const entries: Entries = { tokens: new Map(), marks: new Map() }
  const nowSeconds = (): number => clock().getTime() / 1000
  const revokeClaim = (claim: string, value: string, before: number, ttl: number) =>
    settle(() => {
      assertRevokeClaim(claim, claims)
      assertRevokeSubject(value, before, ttl)
      putMark(entries, max, [claim, value], before, ttl, nowSeconds())
    })

  return {
    isRevoked: (query: RevocationQuery) => Promise.resolve(lookUp(entries, query, nowSeconds())),
    revokeToken: (jti, expiresAt) =>
      settle(() => {
        assertRevokeToken(jti, expiresAt)
        const now = nowSeconds()
        const keepUntil = expiresAt + MAX_CLOCK_TOLERANCE
        // Past every tolerance, verification rejects the token anyway; nothing to remember.
        if (keepUntil <= now) return
        const { tokens } = entries
        if (!tokens.has(jti)) makeRoom(entries, max, now)
        tokens.set(jti, Math.max(keepUntil, tokens.get(jti) ?? 0))
      }),
    revokeSubject: (subject, before, ttl) => revokeClaim('sub', subject, before, ttl),
    revokeClaim,
    claims: claimsBesidesSub(claims),
  }
}
