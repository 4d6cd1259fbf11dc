/**
 * The option types of the checks around verification: the user check, revocation and the
 * verified-token cache. Part of the option reference in `types.ts`, which re-exports them.
 *
 * @module
 */
import type { RevocationStore, UserStore } from '../stores/types.js'

/** User check options. */
export interface UserCheckOptions {
  store: UserStore
  /** Create unknown users from a valid token's claims (`syncUserOnLogin`). @defaultValue false */
  createUnknown?: boolean | undefined
  /** Update known users' name and roles from the token (`updateUserOnLogin`). @defaultValue false */
  updateExisting?: boolean | undefined
  /**
   * Timeout of one lookup, in ms, at most 60000; on timeout the request gets a 503.
   * @defaultValue 3000 (3 s)
   */
  timeout?: number | undefined
}

/** Revocation options. */
export interface RevocationOptions {
  store: RevocationStore
  /**
   * Timeout of one lookup, in ms, at most 60000; on timeout the request gets a 503.
   * @defaultValue 3000 (3 s)
   */
  timeout?: number | undefined
}

/** Verified-token cache bounds. */
export interface VerifiedCacheOptions {
  /** Most entries kept. @defaultValue 5000 */
  max?: number | undefined
  /** Most bytes of tokens and claims kept (estimated). @defaultValue 16777216 (16 MiB) */
  maxBytes?: number | undefined
  /**
   * Longest time an entry is kept, in seconds (never past the token's `exp`).
   * @defaultValue 300 (5 min)
   */
  ttl?: number | undefined
}
