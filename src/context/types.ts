/**
 * What a verified request carries: {@link AuthContext}, placed on `req.auth` by the Express layer.
 *
 * @module
 */
import type { JWTHeaderParameters } from 'jose'
import type { UserRecord } from '../stores/types.js'

/** Where the token was found. Cookie-borne tokens need CSRF care; header-borne ones do not. */
export type TokenSource = 'header' | 'cookie' | 'custom'

/**
 * An augmentable registry of app-specific types. Declare your claims or user shape once:
 *
 * @example
 * ```ts
 * declare module 'jwt-gate' {
 *   interface AuthTypes {
 *     claims: { sub: string; roles: string[]; tenant: string }
 *   }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AuthTypes {}

/** Claims type: the app's declared `claims`, else a generic JWT claims record. */
export type AuthClaims = AuthTypes extends { claims: infer C } ? C : DefaultClaims

/** User type: the app's declared `user`, else {@link UserRecord}. */
export type AuthUser = AuthTypes extends { user: infer U } ? U : UserRecord

/** The registered claims every verified token has, plus whatever else it carried. */
export interface DefaultClaims {
  sub: string
  iss?: string
  aud?: string | string[]
  exp?: number
  nbf?: number
  iat?: number
  jti?: string
  [claim: string]: unknown
}

/**
 * `T` read-only at every depth: what `req.auth.claims` is, since jwt-gate deep-freezes the claims
 * that requests share (the verified-token cache hands the same object to each request).
 */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T

/**
 * How the token is bound to its sender: DPoP (RFC 9449) with the RFC 7638 thumbprint of the key
 * that signed the request's proof (the token's `cnf.jkt`), or mutual TLS (RFC 8705) with the
 * SHA-256 thumbprint of the client certificate (the token's `cnf["x5t#S256"]`).
 */
export type TokenBinding =
  | { readonly method: 'dpop'; readonly jkt: string }
  | { readonly method: 'mtls'; readonly x5t: string }

/** The authenticated principal on `req.auth`. */
export interface AuthContext<Claims = AuthClaims, User = AuthUser> {
  /** The token's `sub`. */
  subject: string
  /** The token's `iss` (undefined for an issuer configured with `issuer: null`). */
  issuer: string | undefined
  /** Roles: from the configured claim, or from the user store when a user check is on. */
  roles: string[]
  /** Scopes, normalised to a list. */
  scopes: string[]
  /** The validated claims, deep-frozen (typed read-only at every depth). */
  readonly claims: DeepReadonly<Claims>
  /** The verified protected header. */
  header: JWTHeaderParameters
  /** Where the token came from. */
  source: TokenSource
  /**
   * How the token is bound to the client (sender-constrained): `dpop` with the proof key's
   * thumbprint (RFC 9449), `mtls` with the client certificate's (RFC 8705); undefined for a
   * bearer token.
   */
  binding: TokenBinding | undefined
  /**
   * How the token was verified: `signature` (a JWT, here), `introspection` (an opaque token, by its
   * issuer's RFC 7662 endpoint; `header` is then empty), or `signature+introspection` (a JWT whose
   * issuer's endpoint also said it is active; docs/introspection.md).
   */
  verifiedBy: 'signature' | 'introspection' | 'signature+introspection'
  /** The user record, when a user store is configured. */
  user?: User
  /** The raw token, for forwarding to downstream services. Not enumerable, so not logged. */
  readonly token: string
}
