/**
 * The public option types of jwt-gate, the reference of every option with its unit and default.
 * They are the source: the schema in `schema.ts` is checked against them by the compiler (see
 * `shape.ts`), so the two cannot drift. An optional member may be left out or set to `undefined`;
 * both mean its default.
 *
 * @module
 */
import type { JSONWebKeySet, JWK } from 'jose'
import type { AuthErrorCode } from '../errors.js'
import type { AuthContext, TokenSource } from '../context/types.js'
import type { ClaimPath } from '../claims/mapping.js'
import type { StandardSchemaV1 } from '../claims/parse.js'
import type { Algorithm } from '../jws/algorithms.js'
import type { ResourceMetadataOptions } from '../metadata/options.js'
import type { IssuerResolverOptions } from './tenant-types.js'
import type { RevocationOptions, UserCheckOptions, VerifiedCacheOptions } from './check-types.js'
import type { MtlsOptions } from './mtls-types.js'
import type { DpopNonceOptions, DpopOptions } from './dpop-types.js'
import type { IntrospectionOptions } from './introspection-types.js'

// Larger option groups have their own files beside this one (this one is at its size limit).
export type { IssuerResolverOptions, RevocationOptions, UserCheckOptions, VerifiedCacheOptions }
export type { DpopNonceOptions, DpopOptions, IntrospectionOptions, MtlsOptions }

/** Ed25519 public key as standard base64 of the raw 32 bytes (ClusterCockpit's `JWT_PUBLIC_KEY`). */
export interface Ed25519RawKeySource {
  ed25519: string
}
/** A PEM text: an SPKI `PUBLIC KEY` or an X.509 `CERTIFICATE`. */
export interface PemKeySource {
  pem: string
}
/** One public JWK. */
export interface JwkKeySource {
  jwk: JWK
}
/** A JWKS document held in memory (read from a file, say). Tokens pick a key by `kid`. */
export interface JwksKeySource {
  jwks: JSONWebKeySet
}
/** Fetch and cache knobs of `jwksUrl` and `discovery` (docs/discovery.md); durations in ms. */
export interface RemoteFetchOptions {
  /** Deadline of one fetch (connect, headers, body), in ms (at least 1). @defaultValue 5000 (5 s) */
  timeout?: number | undefined
  /**
   * Least time between refetches for an unknown `kid`, and between retries of a failing endpoint,
   * in ms; at least 1000 (one fetch a second at most). @defaultValue 30000 (30 s)
   */
  cooldown?: number | undefined
  /** Upper bound of `max-age`, freshness without one; ≥ 1000 ms. @defaultValue 600000 (10 min) */
  cacheMaxAge?: number | undefined
  /**
   * Lower bound of `max-age`, and the freshness of a `no-cache`/`no-store` answer, in ms; at least
   * 1000, at most `cacheMaxAge`. @defaultValue 60000 (1 min), or `cacheMaxAge` if smaller
   */
  cacheMinAge?: number | undefined
  /**
   * How long the last good keys keep serving after they expire while the endpoint fails, in ms
   * (0 turns it off). @defaultValue 3600000 (1 h)
   */
  staleIfError?: number | undefined
  /** Extra request headers (an API key for the IdP, say). */
  headers?: Record<string, string> | undefined
}
/** A remote JWKS endpoint: `https:` URL (`http:` only for loopback addresses). */
export interface RemoteJwksKeySource extends RemoteFetchOptions {
  jwksUrl: string
}
/**
 * Keys by discovery (OpenID Connect, else RFC 8414): the document's `issuer` must equal the issuer
 * exactly, which must be an `https:` URL (`http:` for loopback only).
 */
export interface DiscoveryKeySource extends RemoteFetchOptions {
  discovery: true
}
/** An HMAC secret. */
export interface SecretKeySource {
  /** The secret as text, or raw bytes. At least 32 bytes once decoded. */
  secret: string | Uint8Array
  /**
   * How a text secret turns into bytes: `utf8` (Auth-O-Tron) or `base64` (ClusterCockpit), as the
   * CLI's `--secret-encoding`. Left out, a text that is also base64 of 32 bytes or more earns a
   * `JWT_GATE_SECRET_ENCODING` warning, since the two issuers would read it differently.
   * @defaultValue `'utf8'`
   */
  encoding?: 'utf8' | 'base64' | undefined
}

/** Where the keys of one issuer come from. Exactly one of the members. */
export type KeySource =
  | Ed25519RawKeySource
  | PemKeySource
  | JwkKeySource
  | JwksKeySource
  | RemoteJwksKeySource
  | DiscoveryKeySource
  | SecretKeySource

/** JWS algorithms jwt-gate verifies (the keys of the table in `jws/algorithms.ts`). */
export type { Algorithm }

/** Built-in claim schemas for well-known issuers. */
export type ClaimsPreset = 'default' | 'clustercockpit' | 'authotron'

/** One trusted issuer: how its tokens are verified and mapped onto `req.auth`. */
export interface IssuerOptions {
  /**
   * The exact `iss` value, or `null` for an issuer whose tokens carry no `iss` at all
   * (ClusterCockpit's local tokens). Tokens without `iss` are refused unless such an issuer exists.
   */
  issuer: string | null
  /** Where the verification keys come from. */
  key: KeySource
  /** The locked algorithm list. @defaultValue derived from the key */
  algorithms?: Algorithm[] | undefined
  /**
   * Required audience(s); the token's `aud` must contain one. `false`: not checked, on purpose (the
   * issuer puts no `aud`). Absent: not checked either, with a `JWT_GATE_AUDIENCE_UNCHECKED` warning
   * at start-up, except with the `clustercockpit` and `authotron` presets, whose tokens carry no
   * `aud`. With {@link AuthenticateOptions.resource}, absent means the resource (RFC 8707).
   */
  audience?: string | string[] | false | undefined
  /** Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds (at most 300). @defaultValue 5 */
  clockTolerance?: number | undefined
  /**
   * Maximum age in seconds, measured from `iat` (which then becomes required).
   * @defaultValue none (no limit)
   */
  maxTokenAge?: number | undefined
  /**
   * Whether `exp` is required. Turning this off emits a warning at start-up: only for issuers that
   * mint non-expiring tokens. @defaultValue true
   */
  requireExpiry?: boolean | undefined
  /**
   * The JWT access-token profile (RFC 9068) this issuer's tokens follow. `'rfc9068'`: `typ` must be
   * `at+jwt` (`application/at+jwt`, any case), so `typ: JWT` or none, an ID token say, is refused;
   * `iss`, `exp`, `aud`, `sub`, `client_id`, `iat` and `jti` are required; `scope` must be a
   * space-separated string; roles are read from `roles`, `groups` and `entitlements` (strings or
   * SCIM `{ value }` objects) unless `rolesClaim` is set, scopes from `scope` unless `scopesClaim`
   * is. Refused at start-up with `audience: false`, `issuer: null`, `requireExpiry: false` or `typ`.
   * @defaultValue none (no profile)
   */
  profile?: 'rfc9068' | undefined
  /**
   * Accepted `typ` header values besides `JWT`, compared as RFC 7515 §4.1.9 says: in any case, and
   * `at+jwt` is the same as `application/at+jwt`.
   */
  typ?: string[] | undefined
  /**
   * Claims schema, run after the signature and registered-claims checks: a preset, or your own
   * schema of any library implementing Standard Schema (zod 3.24+ or 4, valibot, arktype), sync or
   * async, whichever copy of the library built it. Its output becomes `req.auth.claims`.
   */
  claims?: ClaimsPreset | StandardSchemaV1 | undefined
  /**
   * Claim of the roles: `roles`, `groups`, `realm_access.roles`, `https://example.com/roles`...
   * A string names a whole claim first, then a dotted path; an array names exact segments.
   * @defaultValue `'roles'`
   */
  rolesClaim?: ClaimPath | undefined
  /**
   * Claim of the scopes, named as in {@link IssuerOptions.rolesClaim}. A string claim is split on
   * spaces (`scope`), an array is taken as is, an object of arrays (Auth-O-Tron's `scopes` map) is
   * flattened to its values.
   * @defaultValue `'scope'` (then `'scopes'` when absent)
   */
  scopesClaim?: ClaimPath | undefined
  /**
   * How the user-store username is derived from the claims: a claim (`sub`, `username`,
   * `preferred_username`, named as in {@link IssuerOptions.rolesClaim}) or a function.
   * @defaultValue `'sub'`
   */
  username?: ClaimPath | ((claims: Record<string, unknown>) => string | undefined) | undefined
  /** This issuer's DPoP mode, over the gate's `dpop.mode` (which must be set). @defaultValue it */
  dpop?: 'allowed' | 'required' | undefined
  /** Token introspection (RFC 7662): opaque tokens, JWTs too if asked. @defaultValue off */
  introspection?: IntrospectionOptions | undefined
}

/** Where a token may come from, in the order they are tried. */
export type SourceName = 'header' | 'cookie'

/** What happens when the header and the cookie both carry a token and they differ. */
export type ConflictPolicy = 'reject' | 'prefer-header' | 'prefer-cookie'

/** The parts of a request a custom extractor may read. */
export interface ExtractorRequest {
  headers: Record<string, string | string[] | undefined>
  query?: unknown
  cookies?: Record<string, unknown>
}

/** Details passed to {@link AuthenticateOptions.onRejected}. Never contains the token. */
export interface RejectionEvent {
  code: AuthErrorCode
  status: number
  issuer: string | undefined
  subject: string | undefined
  source: TokenSource | undefined
  /**
   * For a server-side failure (5xx), the underlying error: a store's or key set's own error (the
   * driver's, say), to log or count. Undefined for 4xx rejections, whose code says it all.
   */
  cause?: unknown
}

/** Options of `authenticate()` (and of the framework-free `createAuthenticator()`). */
export interface AuthenticateOptions {
  /** The trusted issuers; at least one. */
  issuers: IssuerOptions[]
  /** Token sources in order. @defaultValue `['header', 'cookie']` with a cookie, else `['header']` */
  sources?: SourceName[] | undefined
  /** The token cookie: its name (case-sensitive) and whether it is signed by cookie-parser. */
  cookie?: { name: string; signed?: boolean | undefined } | undefined
  /** Header and cookie both present and different. @defaultValue `'reject'` */
  conflict?: ConflictPolicy | undefined
  /**
   * A custom extractor, tried after the configured sources. The only way to read tokens from a
   * query parameter or another header.
   */
  extractToken?:
    ((req: ExtractorRequest) => string | undefined | Promise<string | undefined>) | undefined
  /**
   * CSRF protection for cookie-borne tokens: a cookie-authenticated request with an unsafe method
   * (POST, PUT, PATCH, DELETE...) must come from the same origin (by `Sec-Fetch-Site`, else
   * `Origin`) or from one of `trustedOrigins`; otherwise 403 `ERR_AUTH_CSRF_REJECTED`.
   * Header-borne tokens are not affected. @defaultValue false
   */
  csrf?: boolean | { trustedOrigins?: string[] | undefined } | undefined
  /**
   * `required`: no token is a 401. `optional`: no token continues anonymously.
   * @defaultValue `'required'`
   */
  credentials?: 'required' | 'optional' | undefined
  /**
   * This API's resource identifier (RFC 9728, RFC 8707): an `https:` URL (`http:` on loopback only)
   * without fragment or query, such as `https://api.example.org/mcp`. Serves the protected-resource
   * metadata at `/.well-known/oauth-protected-resource` + the resource's path, without a token; adds
   * `resource_metadata` to every 401 and 403 challenge; and makes it the audience of each issuer
   * without `audience` (docs/mcp.md).
   */
  resource?: string | undefined
  /** Optional members of the metadata document; only with {@link AuthenticateOptions.resource}. */
  resourceMetadata?: ResourceMetadataOptions | undefined
  /** Realm announced in `WWW-Authenticate`. @defaultValue `'api'` */
  realm?: string | undefined
  /** Longest accepted token, checked before any decoding. @defaultValue 8192 */
  maxTokenLength?: number | undefined
  /** Clock used for every time check (tests pass a fixed one). @defaultValue `() => new Date()` */
  clock?: (() => Date) | undefined
  /** User check against a database (ClusterCockpit's `forceJWTValidationViaDatabase`). */
  users?: UserCheckOptions | undefined
  /** Revocation check (`jti` deny list, subject-wide logout). */
  revocation?: RevocationOptions | undefined
  /**
   * The verified-token cache: repeated tokens skip decoding and signature checks (never the time
   * window, revocation or user checks). A token enters on its second verification, so tokens used
   * once take no entry. `false` turns it off.
   * @defaultValue `{ max: 5000, maxBytes: 16777216, ttl: 300 }` (`ttl` in seconds)
   */
  cache?: false | VerifiedCacheOptions | undefined
  /**
   * After a full signature check (a token the cache did not hold, accepted or not), the Express
   * middleware calls `next()` from `setImmediate()` instead of at once, so the event loop reads
   * the other requests that are ready before this one goes on. Under load that groups the reading
   * and writing of requests: with the load generator on another host (its own network namespace)
   * it measured about 8-10 % more requests per second and less CPU per request
   * (docs/performance.md). Cached tokens and rejections found before any signature check always go
   * on at once. `false` calls `next()` at once after a check too.
   * @defaultValue true
   */
  yieldAfterVerification?: boolean | undefined
  /**
   * A CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) never carries
   * credentials. `'pass'`: the Express middleware lets it through anonymous, to the CORS handler
   * wherever it is mounted; `'authenticate'`: it is gated like any request. Other `OPTIONS`
   * requests are always gated. @defaultValue `'pass'`
   */
  corsPreflight?: 'pass' | 'authenticate' | undefined
  /**
   * Called after a request is authenticated (no token in the event). May be async: what it
   * returns is ignored, but a promise is watched, so a hook that throws or rejects never changes
   * the outcome nor ends the process (one `JWT_GATE_HOOK_FAILED` warning).
   */
  onAuthenticated?: ((auth: AuthContext) => unknown) | undefined
  /** Called when a request is rejected, with the reason code (no token in the event). May be async. */
  onRejected?: ((event: RejectionEvent) => unknown) | undefined
  /**
   * Multi-tenant issuers: issuers looked up by the token's (still unverified) `iss` when it names
   * none of `issuers`. jwt-gate itself never fetches anything derived from an unknown `iss`: the
   * resolver decides what an `iss` costs. @defaultValue none (only `issuers` are trusted)
   */
  issuerResolver?: IssuerResolverOptions | undefined
  /** Certificate-bound tokens (RFC 8705): a trusted proxy's header, the metadata (docs/mtls.md). */
  mtls?: MtlsOptions | undefined
  /** DPoP sender-constrained tokens (RFC 9449); see `dpop-types.ts`. @defaultValue off */
  dpop?: DpopOptions | undefined
}
