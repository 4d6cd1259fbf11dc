/**
 * Shape checks shared by the adapters: which lookup keys can match at all, and whether what a
 * database returned is a well-formed {@link UserRecord}; and how long a revocation store keeps a
 * denial ({@link MAX_CLOCK_TOLERANCE}).
 *
 * @module
 */
import type { UserRecord } from './types.js'

/** Longest username or key the adapters look up; longer values never match. */
export const MAX_KEY_LENGTH = 1024

/**
 * The largest `clockTolerance` an issuer may be configured with, in seconds. A token is accepted
 * until its `exp` plus its issuer's tolerance, so a revocation store keeps every denial this long
 * past the token's expiry (and every subject mark this long past its ttl): a revocation then holds
 * for as long as any issuer's tokens can be accepted, whatever the tolerances configured.
 */
export const MAX_CLOCK_TOLERANCE = 300

/**
 * A store returned data of the wrong shape (roles that are not a string array, say). The
 * middleware treats it like any store failure: 503, the request never passes. The message names
 * the field, never its value.
 */
export class StoreDataError extends Error {
  /** Stable code for logs and tests. */
  readonly code = 'ERR_STORE_DATA_INVALID'

  constructor(store: string, problem: string) {
    super(`${store}: invalid data from the store: ${problem}`)
    this.name = 'StoreDataError'
  }
}

/**
 * The table holds a row that the database compares equal to the requested username but that is
 * not exactly it: a case-insensitive collation (SQLite `COLLATE NOCASE`, PostgreSQL `citext`) or
 * a padded `char(n)` column finds `alice` for `Alice`. Thrown by `findUser` instead of answering
 * "not found", because the name is taken: creating it would do nothing (or fail), and the row
 * belongs to another user. The user check refuses the token (401 `ERR_AUTH_USER_UNKNOWN`), never
 * creates it, and does not count it as an outage. The message names no username.
 */
export class InexactUserMatchError extends Error {
  /** Stable code for logs, tests and {@link isInexactUserMatch}. */
  readonly code = 'ERR_STORE_USER_INEXACT'

  constructor(store: string) {
    super(`${store}: a row matches the username only inexactly (the column ignores case?)`)
    this.name = 'InexactUserMatchError'
  }
}

/** True for an {@link InexactUserMatchError}, across module copies (checks the code). */
export function isInexactUserMatch(error: unknown): boolean {
  return (
    error instanceof InexactUserMatchError ||
    (error instanceof Error && (error as { code?: unknown }).code === 'ERR_STORE_USER_INEXACT')
  )
}

// In a `u` regex a surrogate pair is one code point, so this class only matches lone halves.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

/**
 * True when `value` can be a key at all: a non-empty, well-formed string without NUL, of bounded
 * length. Everything else (numbers, arrays, objects, strings that a driver would silently rewrite
 * when encoding them to UTF-8) never matches, so exactness does not depend on the driver.
 */
export function isUsableKey(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_KEY_LENGTH &&
    !value.includes('\0') &&
    !LONE_SURROGATE.test(value)
  )
}

/** True for an array whose every element is a string (a hole in a sparse array is not one). */
export function isStringArray(value: unknown): value is string[] {
  if (!Array.isArray(value)) return false
  // A loop rather than every(): claims mapping runs this for each freshly verified token.
  for (const item of value) if (typeof item !== 'string') return false
  return true
}

/** A user-record field that can have the wrong shape (each caller checks the username). */
export type UserRecordField = 'roles' | 'disabled' | 'name'

/**
 * The user record's shape rule, its one home: `roles` an array of strings, `disabled` a boolean or
 * absent, `name` a string or absent (null, as SQL rows hold it, counts as absent). Reads each field
 * once and returns a deep copy with the given username, or the first field that is wrong. Each
 * caller keeps its error: a store's bad answer is a 503, an app's bad input a `TypeError`.
 */
export function readUserRecord(
  record: Record<string, unknown>,
  username: string,
): UserRecord | UserRecordField {
  const { roles, disabled, name } = record
  if (!isStringArray(roles)) return 'roles'
  if (disabled !== undefined && typeof disabled !== 'boolean') return 'disabled'
  if (name !== undefined && name !== null && typeof name !== 'string') return 'name'
  const user: UserRecord = { username, roles: [...roles] }
  if (disabled !== undefined) user.disabled = disabled
  if (typeof name === 'string') user.name = name
  return user
}

/**
 * Checks a record an app hands to `createUser`/`updateUser`; throws a `TypeError` naming the
 * field. A programming mistake, so it is reported as such rather than as an unavailable store.
 */
export function assertUserInput(user: unknown): asserts user is UserRecord {
  if (typeof user !== 'object' || user === null) throw new TypeError('user must be an object')
  const record = user as Record<string, unknown>
  if (!isUsableKey(record.username))
    throw new TypeError('user.username must be a non-empty well-formed string')
  const read = readUserRecord(record, record.username)
  // Unlike a row, an app's record has no use for a null name.
  const problem = typeof read === 'string' ? read : record.name === null ? 'name' : undefined
  if (problem !== undefined) throw new TypeError(USER_INPUT_PROBLEMS[problem])
}

const USER_INPUT_PROBLEMS: Readonly<Record<UserRecordField, string>> = {
  roles: 'user.roles must be an array of strings',
  disabled: 'user.disabled must be a boolean',
  name: 'user.name must be a string',
}

/** The columns every SQL adapter reads, as the driver returned them. */
export interface UserRow {
  username: unknown
  roles: unknown
  disabled: unknown
  name: unknown
}

/**
 * Turns a database row into a {@link UserRecord}, or throws {@link StoreDataError}.
 *
 * `roles` may arrive as JSON text (SQLite, `text` columns) or already parsed (PostgreSQL `jsonb`);
 * `disabled` as a boolean or 0/1. A row whose username is not exactly the requested one (a
 * case-insensitive collation, a trailing-space comparison) throws {@link InexactUserMatchError}.
 */
export function rowToUser(store: string, row: UserRow, requested: string): UserRecord {
  if (typeof row.username !== 'string') throw new StoreDataError(store, 'username is not a string')
  if (row.username !== requested) throw new InexactUserMatchError(store)
  let roles = row.roles
  if (typeof roles === 'string') {
    try {
      roles = JSON.parse(roles) as unknown
    } catch {
      throw new StoreDataError(store, 'roles is not valid JSON')
    }
  }
  if (!isStringArray(roles)) throw new StoreDataError(store, 'roles is not an array of strings')
  let disabled: boolean
  if (typeof row.disabled === 'boolean') disabled = row.disabled
  else if (row.disabled === 0 || row.disabled === 1) disabled = row.disabled === 1
  else if (row.disabled === null || row.disabled === undefined) disabled = false
  else throw new StoreDataError(store, 'disabled is not a boolean')
  // Decoded, the row is held to the record's shape rule; roles and disabled are settled above (in
  // the order of the errors), so only the name can still be wrong.
  const user = readUserRecord({ roles, disabled, name: row.name }, row.username)
  if (typeof user === 'string') throw new StoreDataError(store, 'name is not a string')
  return user
}

/**
 * Checks a value some store returned from `findUser` (used by the cache, which may wrap a
 * third-party adapter). Throws {@link StoreDataError} for anything but `undefined` or a record.
 */
export function checkFoundUser(
  store: string,
  value: unknown,
  requested: string,
): UserRecord | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object') throw new StoreDataError(store, 'user is not an object')
  const record = value as Record<string, unknown>
  if (record.username !== requested)
    throw new StoreDataError(store, 'user.username differs from the requested username')
  const user = readUserRecord(record, requested)
  if (typeof user === 'string') throw new StoreDataError(store, FOUND_USER_PROBLEMS[user])
  return user
}

const FOUND_USER_PROBLEMS: Readonly<Record<UserRecordField, string>> = {
  roles: 'user.roles is not an array of strings',
  disabled: 'user.disabled is not a boolean',
  name: 'user.name is not a string',
}

/** A deep copy, so that no caller can change what a store or cache holds. A null name is dropped. */
export function copyUser(user: UserRecord): UserRecord {
  const copy: UserRecord = { username: user.username, roles: [...user.roles] }
  if (user.disabled !== undefined) copy.disabled = user.disabled
  if (typeof user.name === 'string') copy.name = user.name
  return copy
}

/** Validates the arguments of `revokeToken`; a `TypeError` for programming mistakes. */
export function assertRevokeToken(jti: unknown, expiresAt: unknown): asserts jti is string {
  if (!isUsableKey(jti)) throw new TypeError('jti must be a non-empty well-formed string')
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt))
    throw new TypeError('expiresAt must be a finite number of seconds')
}

/** Validates the arguments of `revokeSubject`; a `TypeError` for programming mistakes. */
export function assertRevokeSubject(subject: unknown, before: unknown, ttl: unknown): void {
  if (!isUsableKey(subject)) throw new TypeError('subject must be a non-empty well-formed string')
  if (typeof before !== 'number' || !Number.isFinite(before))
    throw new TypeError('before must be a finite number of seconds')
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl <= 0)
    throw new TypeError('ttl must be a positive integer number of seconds')
}

/**
 * Checks the claim of a `revokeClaim` call against the claims the store checks: a revocation by a
 * claim the store never looks at would silently do nothing.
 */
export function assertRevokeClaim(claim: unknown, revocable: ReadonlySet<string>): void {
  if (typeof claim !== 'string' || !revocable.has(claim)) {
    throw new TypeError(
      `claim must be one this store checks (${[...revocable].join(', ')}); ` +
        "add it to the store's claims option",
    )
  }
}
