/**
 * The options of a gate's back-channel logout handler (`gate.backchannelLogout(options)`), what a
 * user writes. Resolved and checked once, at start-up, by `options.ts`.
 *
 * @module
 */
import type { ReplayStore, RevocationStore } from '../stores/types.js'

/**
 * Options of the OpenID Connect Back-Channel Logout 1.0 receiver. The logout token is verified
 * with the gate's issuers: only a configured issuer (by its exact `iss`), with its keys and its
 * locked algorithms.
 */
export interface BackchannelLogoutOptions {
  /**
   * This relying party's client id at the provider, or several (one per provider): the logout
   * token's `aud` must contain one of them. Required.
   */
  clientId: string | readonly string[]
  /**
   * Where logout token `jti`s are remembered, so a token is acted on once (a replay is a 400).
   * Required; share it between the instances, like the revocation store.
   */
  replayStore: ReplayStore
  /**
   * The longest lifetime of the access tokens this gate accepts, in seconds (1 to 31536000): how
   * long a revocation mark must last. Required.
   */
  maxTokenLifetime: number
  /**
   * Where sessions and users are revoked. @defaultValue the gate's `revocation.store` (one of the
   * two is required)
   */
  store?: RevocationStore | undefined
  /**
   * `'sid'`: a token with `sid` revokes that session (`revokeClaim('sid', …)`, which the store
   * must have), one with only `sub` the user's every token. `'sub'`: always the user's every
   * token (`revokeSubject`); a token without `sub` is then refused. @defaultValue 'sid'
   */
  revokeBy?: 'sid' | 'sub' | undefined
  /**
   * Refuse logout tokens without `typ: logout+jwt` (the specification's recommendation, which
   * older providers do not follow). @defaultValue false
   */
  requireTyp?: boolean | undefined
  /**
   * How old a logout token's `iat` may be, in seconds (1 to 3600); also how long its `jti` is
   * remembered. @defaultValue 300
   */
  iatWindow?: number | undefined
  /** Timeout of one store call, in ms (1 to 60000); then the answer is 503. @defaultValue 3000 */
  timeout?: number | undefined
  /**
   * Where a 503 is logged: a line without the token, and the error (whose `cause` is the
   * store's or key set's failure). @defaultValue `console.error` of the line
   */
  logger?: ((line: string, error: Error) => void) | false | undefined
}
