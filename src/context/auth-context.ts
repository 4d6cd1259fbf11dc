/**
 * The object placed on `req.auth`. A class rather than a literal with a non-enumerable property:
 * the raw token sits in a private field behind a prototype getter, so it is readable as
 * `req.auth.token` but never serialised or logged, and every context has the same shape.
 *
 * @module
 */
import type { JWTHeaderParameters } from 'jose'
import type { AuthContext, AuthUser, TokenSource } from './types.js'
import type { VerifiedToken } from '../pipeline/verified-cache.js'

/** The {@link AuthContext} implementation. */
export class RequestAuthContext implements AuthContext {
  subject: string
  issuer: string | undefined
  roles: string[]
  scopes: string[]
  claims: AuthContext['claims']
  header: JWTHeaderParameters
  source: TokenSource
  binding: AuthContext['binding']
  verifiedBy: AuthContext['verifiedBy']
  declare user?: AuthUser
  readonly #token: string
  readonly #realm: string
  readonly #resourceMetadata: string | undefined
  readonly #now: () => number

  constructor(
    verified: VerifiedToken,
    source: TokenSource,
    token: string,
    realm: string,
    resourceMetadata: string | undefined,
    binding: AuthContext['binding'],
    now: () => number = Date.now,
  ) {
    const payload = verified.registered
    this.subject = payload.sub as string
    this.issuer = typeof payload.iss === 'string' ? payload.iss : undefined
    this.roles = [...verified.roles]
    this.scopes = [...verified.scopes]
    this.claims = verified.claims as AuthContext['claims']
    this.header = verified.header
    this.source = source
    this.binding = binding
    this.verifiedBy = verified.verifiedBy
    this.#token = token
    this.#realm = realm
    this.#resourceMetadata = resourceMetadata
    this.#now = now
  }

  /**
   * The realm of the `authenticate()` that built `value`, when it is such a context. Guards use it
   * for their challenges; keeping it here spares a per-request side table on the hot path.
   */
  static realmOf(value: unknown): string | undefined {
    return typeof value === 'object' && value !== null && #realm in value ? value.#realm : undefined
  }

  /** The `resource_metadata` URL of the gate that built `value` (RFC 9728), for the guards. */
  static resourceMetadataOf(value: unknown): string | undefined {
    return typeof value === 'object' && value !== null && #realm in value
      ? value.#resourceMetadata
      : undefined
  }

  /**
   * Now, in ms since the epoch, by the clock of the gate that built `value` (its `clock` option):
   * the step-up guard measures `auth_time` with it, so a gate's fixed clock fixes the guard's too.
   */
  static nowOf(value: unknown): number | undefined {
    return typeof value === 'object' && value !== null && #realm in value ? value.#now() : undefined
  }

  /** The raw token, for forwarding to downstream services. */
  get token(): string {
    return this.#token
  }
}
