/**
 * The option type of token introspection (RFC 7662) for one issuer: opaque tokens, and optionally
 * its JWTs too, checked at the issuer's introspection endpoint. Part of the option reference in
 * `types.ts`, which re-exports it (docs/introspection.md is the guide).
 *
 * @module
 */
import type { JWK } from 'jose'
import type { IntrospectionCache } from '../stores/types.js'

/** The private key of `private_key_jwt` client authentication (RFC 7523): exactly one of them. */
export type IntrospectionClientKey =
  | {
      /** A private JWK; its `kid`, when set, goes into the assertion's header. */
      jwk: JWK
      /** The signing algorithm. @defaultValue the JWK's `alg` (one of them is required) */
      alg?: 'RS256' | 'PS256' | 'ES256' | 'ES384' | 'EdDSA' | undefined
    }
  | {
      /** A PKCS #8 `PRIVATE KEY` PEM (or `RSA PRIVATE KEY` / `EC PRIVATE KEY`). */
      pem: string
      /** The signing algorithm; required with a PEM. */
      alg: 'RS256' | 'PS256' | 'ES256' | 'ES384' | 'EdDSA'
      /** The key's `kid` at the provider, put into the assertion's header. */
      kid?: string | undefined
    }

/** `issuers[i].introspection`: how this issuer's tokens are introspected. */
export interface IntrospectionOptions {
  /**
   * The introspection endpoint: `https:` (`http:` on loopback only). @defaultValue the discovery
   * document's `introspection_endpoint` (the issuer's `key` must then be `{ discovery: true }`)
   */
  endpoint?: string | undefined
  /** This API's client id at the provider. */
  clientId: string
  /** The client secret, sent as `client_secret_basic` (RFC 6749 §2.3.1). One of it or `clientKey`. */
  clientSecret?: string | undefined
  /**
   * A private key for `private_key_jwt` (RFC 7523): each call sends a fresh assertion (`jti`, 60 s
   * `exp`, `aud` the issuer identifier). One of it or `clientSecret`.
   */
  clientKey?: IntrospectionClientKey | undefined
  /**
   * Whether tokens that are not compact JWS (opaque tokens) go to this issuer. One issuer of the
   * gate at most may take them. @defaultValue true
   */
  opaque?: boolean | undefined
  /**
   * Whether this issuer's JWTs are introspected too, after local verification: `'always'` on every
   * request, `{ every: seconds }` at most that often per token (an answer is reused meanwhile).
   * @defaultValue false (JWTs are verified locally only)
   */
  jwt?: false | 'always' | { every: number } | undefined
  /**
   * `'json'`: the answer may be plain JSON, or a signed JWT (RFC 9701), which is then verified;
   * `'jwt'`: only a signed answer is accepted (a plain one is a 503). @defaultValue `'json'`
   */
  response?: 'json' | 'jwt' | undefined
  /**
   * How long an active answer is reused, in seconds; never past the token's `exp`. A token revoked
   * at the provider passes here until then (a revocation store still applies at once).
   * @defaultValue 60
   */
  cacheTtl?: number | undefined
  /** How long an inactive answer is reused, in seconds (0: not at all). @defaultValue 5 */
  negativeTtl?: number | undefined
  /** Deadline of one call (connect, answer, body), in ms; at most 60000. @defaultValue 3000 */
  timeout?: number | undefined
  /**
   * Where answers are kept, keyed by the token's SHA-256 (never the token): share a Redis one
   * (`createRedisIntrospectionCache` of `jwt-gate/stores/redis`) between instances.
   * @defaultValue an in-process cache of 10,000 answers
   */
  cache?: IntrospectionCache | undefined
}
