/**
 * The adapter contracts for user and revocation stores. Any database can be plugged in by
 * implementing these interfaces; the package ships memory, SQLite, PostgreSQL and Redis adapters.
 *
 * The middleware calls the stores with a timeout. A store signals "unavailable" by throwing or
 * rejecting (any error) or by returning something that is not of the documented shape; jwt-gate
 * then answers 503 and never lets the request through.
 *
 * @module
 */

/** A user as the store knows it. */
export interface UserRecord {
  /** The exact username (no case folding, trimming or normalisation is ever applied). */
  username: string
  /** The authoritative roles: they replace the roles in the token. */
  roles: string[]
  /** A disabled user is rejected (401). */
  disabled?: boolean
  /** Display name. A store may answer `null` for "no name"; it is read as absent. */
  name?: string
}

/** User store contract. Only `findUser` is required. */
export interface UserStore {
  /**
   * The user with exactly this username, or `undefined`. Must not throw for unknown users; a
   * thrown error means the store is unavailable. A store whose table compares names loosely
   * (without case, say) throws `InexactUserMatchError` (`jwt-gate/stores/validate`) when it
   * finds only an inexact match: the user check then refuses the token instead of creating it.
   */
  findUser(username: string): Promise<UserRecord | undefined>
  /**
   * Creates a user if absent (used when `createUnknown` is on). The user check reads the user
   * back afterwards and passes only what `findUser` then finds, so a create that did nothing
   * is a refusal, never a pass.
   */
  createUser?(user: UserRecord): Promise<void>
  /** Updates name and roles of a user (used when `updateExisting` is on). */
  updateUser?(user: UserRecord): Promise<void>
  /**
   * Resolves when the store's table has every column it needs; rejects otherwise (an
   * `AuthConfigError` naming the missing column). The middleware's `warmUp()` awaits it, so an
   * app that awaits `warmUp()` at start-up finds a wrong table before the first request does.
   */
  checkSchema?(): Promise<void>
  /** Releases connections, subscriptions and timers. */
  close?(): Promise<void>
}

/** What a revocation check is asked about one verified token. */
export interface RevocationQuery {
  /** The token's `sub`. */
  subject: string
  /** The token's `iss`, when present. */
  issuer?: string
  /** The token's `jti`, when present. */
  jti?: string
  /** The token's `iat` in seconds, when present. */
  issuedAt?: number
  /**
   * Every verified claim of the token, for stores that revoke by other claims
   * ({@link RevocationStore.revokeClaim}: a session's `sid`, a client's `client_id`). Absent when
   * the caller has only the fields above.
   */
  claims?: Readonly<Record<string, unknown>>
}

/**
 * Revocation store contract.
 *
 * A token is accepted until its `exp` plus its issuer's `clockTolerance`, which may be up to
 * `MAX_CLOCK_TOLERANCE` (300 s, exported by `jwt-gate/stores/validate`). So a store keeps every
 * denial and every subject mark that much longer than its expiry, and honours a revocation made
 * in that window (a `revokeToken` whose `expiresAt` has passed by less than it), publishing it
 * to other instances like any other. Otherwise revoking a token that is still accepted does
 * nothing.
 */
export interface RevocationStore {
  /** True when the token is revoked by `jti` or by a subject-wide "issued before" mark. */
  isRevoked(query: RevocationQuery): Promise<boolean>
  /**
   * Denies one token by `jti` until `expiresAt` (seconds since the epoch, normally the token's
   * `exp`) plus `MAX_CLOCK_TOLERANCE`, then forgets it.
   */
  revokeToken(jti: string, expiresAt: number): Promise<void>
  /**
   * Denies every token of `subject` issued before `before` (seconds since the epoch); the mark
   * itself expires after `ttl` seconds (set it to the longest token lifetime) plus
   * `MAX_CLOCK_TOLERANCE`.
   */
  revokeSubject(subject: string, before: number, ttl: number): Promise<void>
  /**
   * Denies every token whose claim `claim` is the string `value` and that was issued before
   * `before` (seconds since the epoch), like {@link RevocationStore.revokeSubject} for another
   * claim: a session by its `sid` (back-channel logout), a client by its `client_id`. A token
   * without a numeric `iat` is denied. `revokeClaim('sub', …)` is `revokeSubject`. A store
   * answers only for the claims it was configured to check (the shipped ones: `sid` and
   * `client_id` by default) and rejects any other claim, so a revocation is never silently lost.
   */
  revokeClaim?(claim: string, value: string, before: number, ttl: number): Promise<void>
  /** Releases connections, subscriptions and timers. */
  close?(): Promise<void>
}

/**
 * Replay store contract: remembers one-time values (DPoP proof `jti`s, RFC 9449 §11.1) for as long
 * as they could be presented again, shared by every instance that uses the same backend.
 *
 * `remember` must be atomic across instances: when two of them present the same key at once,
 * exactly one sees `true`. A store that cannot answer throws or rejects; the request then gets a
 * 503, never a pass.
 */
export interface ReplayStore {
  /**
   * Records `key` until `expiresAt` (seconds since the epoch). Resolves `true` when the key was
   * new, `false` when it was already recorded and has not expired (a replay).
   */
  remember(key: string, expiresAt: number): Promise<boolean>
  /**
   * Resolves once the store can answer (its connection is up), rejects when it cannot within its
   * own timeout. The authenticator's `warmUp()` awaits it, so an app that awaits `warmUp()` does
   * not answer its first requests with 503 while a client is still connecting.
   */
  ready?(): Promise<void>
  /** Releases connections and timers. */
  close?(): Promise<void>
}

/**
 * Introspection cache contract (RFC 7662 answers, `issuers[i].introspection.cache`): shares
 * answers between the instances of a fleet, so a token is introspected once for all of them.
 * Keys are a hash of the token (never the token); values are jwt-gate's own serialised answers,
 * validated again when read. A cache that fails or answers garbage counts as a miss: the endpoint
 * is asked, and the request never passes on the cache's word alone.
 */
export interface IntrospectionCache {
  /** The value stored under `key`, or `undefined` when absent or expired. */
  get(key: string): Promise<string | undefined>
  /** Stores `value` under `key` for `ttl` milliseconds (at least 1). */
  set(key: string, value: string, ttl: number): Promise<void>
  /** Releases connections and timers. */
  close?(): Promise<void>
}
