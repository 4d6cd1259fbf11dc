/**
 * What the replay stores share: the argument check of `remember`, and the fixed-length form in
 * which a key is stored, so a client's `jti` of any length or content costs the same bounded
 * room in memory, in a Redis key or in an indexed PostgreSQL column.
 *
 * @module
 */
import { createHash } from 'node:crypto'

/**
 * Checks the arguments of `ReplayStore.remember`. A wrong one is the caller's bug, not a client's
 * input: it rejects (the request gets a 503), never records or answers `true`.
 */
export function assertRemember(key: unknown, expiresAt: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0)
    throw new TypeError('replay store: key must be a non-empty string')
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt) || expiresAt <= 0)
    throw new TypeError('replay store: expiresAt must be a positive number of seconds')
}

/**
 * The stored form of `key`: its SHA-256 in base64url (43 characters). Lone surrogates become
 * U+FFFD before hashing, so such keys may collide; a collision only ever refuses a proof, never
 * lets a replay through.
 */
export function replayDigest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('base64url')
}
