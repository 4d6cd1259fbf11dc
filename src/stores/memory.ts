/**
 * In-memory user, revocation and replay stores, for tests, examples and single-process apps.
 *
 * @module
 */
import { AuthConfigError } from '../errors.js'
import type { RevocationQuery, RevocationStore, UserRecord, UserStore } from './types.js'
import {
  MAX_CLOCK_TOLERANCE,
  assertRevokeSubject,
  assertRevokeToken,
  assertUserInput,
  copyUser,
  isUsableKey,
} from './validate.js'
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
   * Most entries (token denials plus subject marks) held at once. When full even after dropping
   * expired entries, new revocations are refused with an error rather than evicting live ones,
   * which would silently un-revoke a token. @defaultValue 100000
   */
  max?: number
}

/** Seconds (since the epoch) until which each entry is kept: its expiry plus the tolerance. */
interface Entries {
  tokens: Map<string, number>
  subjects: Map<string, { before: number; expiresAt: number }>
}

/** The answer to `query` at `now`, dropping the expired entries it meets. */
function lookUp({ tokens, subjects }: Entries, query: RevocationQuery, now: number): boolean {
  if (isUsableKey(query.jti)) {
    const expiresAt = tokens.get(query.jti)
    if (expiresAt !== undefined) {
      if (expiresAt > now) return true
      tokens.delete(query.jti)
    }
  }
  if (!isUsableKey(query.subject)) return false
  const mark = subjects.get(query.subject)
  if (mark === undefined) return false
  if (mark.expiresAt <= now) {
    subjects.delete(query.subject)
    return false
  }
  // Without a numeric iat the token cannot prove it was issued after the mark.
  return typeof query.issuedAt !== 'number' || !(query.issuedAt >= mark.before)
}

/**
 * Makes room for one new entry: drops expired entries when full, and refuses when still full
 * rather than evicting a live one, which would silently un-revoke a token.
 */
function makeRoom({ tokens, subjects }: Entries, max: number, now: number): void {
  if (tokens.size + subjects.size < max) return
  for (const [jti, expiresAt] of tokens) if (expiresAt <= now) tokens.delete(jti)
  for (const [subject, mark] of subjects) if (mark.expiresAt <= now) subjects.delete(subject)
  if (tokens.size + subjects.size >= max) throw new Error('memory revocation store is full')
}

/**
 * Creates an in-memory {@link RevocationStore}. Entries expire by themselves ({@link
 * MAX_CLOCK_TOLERANCE} seconds after the token's expiry or the subject mark's ttl, as the contract
 * requires) and the store never holds more than `max`. Not shared between processes: use the
 * Redis adapter for several instances.
 */
export function createMemoryRevocationStore(
  options: MemoryRevocationStoreOptions = {},
): RevocationStore {
  const clock = options.clock ?? (() => new Date())
  const max = options.max ?? 100_000
  if (!Number.isInteger(max) || max < 1)
    throw new AuthConfigError('max', 'must be a positive integer')
  const entries: Entries = { tokens: new Map(), subjects: new Map() }
  const { tokens, subjects } = entries
  const nowSeconds = (): number => clock().getTime() / 1000

  return {
    isRevoked: (query: RevocationQuery) => Promise.resolve(lookUp(entries, query, nowSeconds())),
    revokeToken: (jti, expiresAt) =>
      settle(() => {
        assertRevokeToken(jti, expiresAt)
        const now = nowSeconds()
        const keepUntil = expiresAt + MAX_CLOCK_TOLERANCE
        // Past every tolerance, verification rejects the token anyway; nothing to remember.
        if (keepUntil <= now) return
        if (!tokens.has(jti)) makeRoom(entries, max, now)
        tokens.set(jti, Math.max(keepUntil, tokens.get(jti) ?? 0))
      }),
    revokeSubject: (subject, before, ttl) =>
      settle(() => {
        assertRevokeSubject(subject, before, ttl)
        const now = nowSeconds()
        if (!subjects.has(subject)) makeRoom(entries, max, now)
        const current = subjects.get(subject)
        // Marks only move forward: a late, older "logout everywhere" must not weaken a newer one.
        const live = current !== undefined && current.expiresAt > now ? current : undefined
        subjects.set(subject, {
          before: Math.max(before, live?.before ?? before),
          expiresAt: Math.max(now + ttl + MAX_CLOCK_TOLERANCE, live?.expiresAt ?? 0),
        })
      }),
  }
}
