/**
 * Errors raised by jwt-gate.
 *
 * Two families that never mix:
 * - {@link AuthConfigError}: thrown synchronously at start-up for a configuration mistake.
 * - {@link AuthError} and its subclasses: request-time failures, handed to `next(err)`. They carry
 *   `status`, `statusCode`, `expose` and `headers`, which is exactly what Express's default error
 *   handler (finalhandler) reads, so an app without an error handler already answers correctly.
 *
 * Messages are short phrases naming the failed check. They never contain a token, a key, a secret,
 * a cookie or claim value, nor a character the challenge would have to replace (claim names are
 * quoted with `'`).
 *
 * @module
 */
import { errorChallenge } from './challenge.js'
import type { BearerErrorValue, DpopChallenge } from './challenge.js'
import type { DpopProofError } from './dpop/errors.js'
import type { InsufficientUserAuthenticationError } from './step-up/errors.js'

export type { DpopProofError, InsufficientUserAuthenticationError }

/**
 * Every request-time error code, stable across releases and documented in docs/errors.md. Each
 * code belongs to exactly one error class, which fixes its status and RFC 6750 `error`: the union
 * is read off the classes ({@link JwtGateError}), so a new code is written once, in its class.
 */
export type AuthErrorCode = JwtGateError['code']

/**
 * Every request-time error jwt-gate raises. Each class has a fixed set of codes, so after
 * {@link isAuthError} a `switch` on `err.code` narrows to the class:
 *
 * @example
 * ```ts
 * app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
 *   if (!isAuthError(err)) return next(err)
 *   switch (err.code) {
 *     case 'ERR_AUTH_TOKEN_EXPIRED':
 *       return res.status(401).set(err.headers).json({ reason: 'session expired, log in again' })
 *     case 'ERR_AUTH_SCOPE_INSUFFICIENT':
 *       return res.status(403).set(err.headers).json({ needed: err.scope })
 *     default:
 *       return next(err)
 *   }
 * })
 * ```
 */
export type JwtGateError =
  | CredentialsRequiredError
  | InvalidRequestError
  | InvalidTokenError
  | InsufficientScopeError
  | DpopProofError
  | InsufficientUserAuthenticationError
  | CsrfRejectedError
  | ServiceUnavailableError
  | ServerMisconfiguredError

/**
 * One way the claims failed the claims schema: where (`['groups', 1]`) and what the schema
 * expected, in the schema's own words. Never the claim's value (a copy in the message is masked).
 */
export interface ClaimIssue {
  readonly path: readonly (string | number)[]
  readonly message: string
}

/** Options shared by every {@link AuthError} constructor. */
export interface AuthErrorOptions {
  /**
   * The underlying failure (a jose error, a store failure), never shown to the client. A claims
   * schema mismatch has none: its findings are in `issues`, without the values.
   */
  cause?: unknown
  /** For `ERR_AUTH_CLAIMS_INVALID` from the claims schema: what failed, without values. */
  issues?: readonly ClaimIssue[]
  /** The protection realm announced in `WWW-Authenticate`. @defaultValue `'api'` */
  realm?: string
}

const DEFAULT_REALM = 'api'

/**
 * Base class of every request-time failure. Carries an HTTP status, a stable `code`, the RFC 6750
 * `error` value and ready-made response headers.
 */
export class AuthError extends Error {
  /** Stable machine-readable code; see the README's error table. */
  readonly code: AuthErrorCode
  /** HTTP status (400, 401, 403, 500 or 503). */
  readonly status: number
  /** Same as {@link AuthError.status}, for http-errors compatibility. */
  readonly statusCode: number
  /** RFC 6750 `error` value, absent when the request carried no credentials. */
  readonly error: BearerErrorValue | undefined
  /** Whether the message is safe to show a client (true for every 4xx). */
  readonly expose: boolean
  /**
   * The protection realm of the challenge. The middleware sets it from its `realm` option before
   * handing the error on, so errors raised deep in the core need not know it.
   */
  realm: string
  /**
   * The protected-resource metadata URL announced in the challenge's `resource_metadata`
   * (RFC 9728 §5.1), set like {@link AuthError.realm} by a gate with a `resource`.
   */
  resourceMetadata: string | undefined
  /** Scopes named in an `insufficient_scope` challenge. */
  readonly scope: readonly string[] | undefined
  /** Seconds for `Retry-After` on a 503. */
  readonly retryAfter: number | undefined
  /**
   * For `ERR_AUTH_CLAIMS_INVALID` raised by the claims schema: the failing claim paths and what
   * the schema expected, for logs and `jwt-gate inspect`. Never sent to the client.
   */
  readonly issues: readonly ClaimIssue[] | undefined
  /** The DPoP challenge of a gate with DPoP (set with the realm), and whether the request used it. */
  dpop: { readonly challenge: DpopChallenge; readonly used: boolean } | undefined
  /** A fresh server nonce for the `DPoP-Nonce` header (RFC 9449 §8). @internal */
  dpopNonce: string | undefined

  constructor(
    code: AuthErrorCode,
    status: number,
    error: BearerErrorValue | undefined,
    message: string,
    options: AuthErrorOptions & { scope?: readonly string[]; retryAfter?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.status = status
    this.statusCode = status
    this.error = error
    this.expose = status < 500
    this.realm = options.realm ?? DEFAULT_REALM
    this.resourceMetadata = undefined
    this.scope = options.scope
    this.retryAfter = options.retryAfter
    this.issues = options.issues === undefined ? undefined : Object.freeze([...options.issues])
    this.dpop = undefined
    this.dpopNonce = undefined
  }

  /** Response headers Express's default handler applies (`WWW-Authenticate`, `Retry-After`). */
  get headers(): Record<string, string> {
    const headers: Record<string, string> = {}
    if (this.status === 400 || this.status === 401 || this.status === 403) {
      headers['WWW-Authenticate'] = errorChallenge(this)
    }
    if (this.dpopNonce !== undefined) headers['DPoP-Nonce'] = this.dpopNonce
    if (this.retryAfter !== undefined) headers['Retry-After'] = String(this.retryAfter)
    return headers
  }
}

/** 401 without an `error` attribute: the request carried no credentials (RFC 6750 §3.1). */
export class CredentialsRequiredError extends AuthError {
  declare readonly code: 'ERR_AUTH_TOKEN_MISSING'

  constructor(options: AuthErrorOptions = {}) {
    super('ERR_AUTH_TOKEN_MISSING', 401, undefined, 'no credentials provided', options)
  }
}

/** 400 `invalid_request`: a malformed or ambiguous request. */
export class InvalidRequestError extends AuthError {
  declare readonly code: 'ERR_AUTH_HEADER_MALFORMED' | 'ERR_AUTH_CREDENTIALS_AMBIGUOUS'

  constructor(code: InvalidRequestError['code'], message: string, options: AuthErrorOptions = {}) {
    super(code, 400, 'invalid_request', message, options)
  }
}

/** 401 `invalid_token`: the token is malformed, forged, expired, revoked or otherwise unusable. */
export class InvalidTokenError extends AuthError {
  declare readonly code:
    | 'ERR_AUTH_COOKIE_SIGNATURE_INVALID'
    | 'ERR_AUTH_TOKEN_TOO_LONG'
    | 'ERR_AUTH_TOKEN_MALFORMED'
    | 'ERR_AUTH_TOKEN_HEADER_INVALID'
    | 'ERR_AUTH_ALG_NOT_ALLOWED'
    | 'ERR_AUTH_ISSUER_UNTRUSTED'
    | 'ERR_AUTH_KEY_NOT_FOUND'
    | 'ERR_AUTH_SIGNATURE_INVALID'
    | 'ERR_AUTH_TOKEN_EXPIRED'
    | 'ERR_AUTH_TOKEN_NOT_YET_VALID'
    | 'ERR_AUTH_TOKEN_ISSUED_IN_FUTURE'
    | 'ERR_AUTH_TOKEN_TOO_OLD'
    | 'ERR_AUTH_AUDIENCE_INVALID'
    | 'ERR_AUTH_CLAIMS_INVALID'
    | 'ERR_AUTH_TOKEN_REVOKED'
    | 'ERR_AUTH_USER_UNKNOWN'
    | 'ERR_AUTH_USER_DISABLED'
    | 'ERR_AUTH_CERTIFICATE_MISMATCH'
    | 'ERR_AUTH_DPOP_REQUIRED'
    | 'ERR_AUTH_DPOP_BINDING_MISMATCH'
    | 'ERR_AUTH_TOKEN_INACTIVE'

  constructor(code: InvalidTokenError['code'], message: string, options: AuthErrorOptions = {}) {
    super(code, 401, 'invalid_token', message, options)
  }
}

/** 403 `insufficient_scope`: authenticated, but not allowed by a guard. */
export class InsufficientScopeError extends AuthError {
  declare readonly code:
    | 'ERR_AUTH_SCOPE_INSUFFICIENT'
    | 'ERR_AUTH_ROLE_INSUFFICIENT'
    | 'ERR_AUTH_CLAIM_MISMATCH'
    | 'ERR_AUTH_POLICY_DENIED'

  constructor(
    code: InsufficientScopeError['code'],
    message: string,
    options: AuthErrorOptions & { scope?: readonly string[] } = {},
  ) {
    super(code, 403, 'insufficient_scope', message, options)
  }
}

/** 403 without an `error` (the token is fine, the request is not): `csrf` refused a cross-site write. */
export class CsrfRejectedError extends AuthError {
  declare readonly code: 'ERR_AUTH_CSRF_REJECTED'

  constructor() {
    super('ERR_AUTH_CSRF_REJECTED', 403, undefined, 'cross-site request refused')
  }
}

/**
 * 503 with `Retry-After`: a dependency the server needs (JWKS endpoint, user or revocation store)
 * is unavailable. The client cannot fix this, and the request never passes.
 */
export class ServiceUnavailableError extends AuthError {
  declare readonly code:
    | 'ERR_AUTH_KEYS_UNAVAILABLE'
    | 'ERR_AUTH_STORE_UNAVAILABLE'
    | 'ERR_AUTH_ISSUER_UNAVAILABLE'
    | 'ERR_AUTH_INTROSPECTION_UNAVAILABLE'

  constructor(
    code: ServiceUnavailableError['code'],
    message: string,
    options: AuthErrorOptions & { retryAfter?: number } = {},
  ) {
    super(code, 503, undefined, message, { ...options, retryAfter: options.retryAfter ?? 5 })
  }
}

/**
 * 500: the app is wired wrongly at request time (cookie-parser not mounted before jwt-gate, a guard
 * on a route no `authenticate()` covers, an issuer resolver answering invalid options).
 */
export class ServerMisconfiguredError extends AuthError {
  declare readonly code:
    'ERR_AUTH_COOKIE_PARSER_MISSING' | 'ERR_AUTH_GATE_MISSING' | 'ERR_AUTH_ISSUER_MISCONFIGURED'

  constructor(
    code: ServerMisconfiguredError['code'],
    message: string,
    options: AuthErrorOptions = {},
  ) {
    super(code, 500, undefined, message, options)
  }
}

/**
 * Thrown synchronously at start-up when the options are wrong. The message names the option.
 * A `TypeError`, following jose's convention for caller misuse.
 */
export class AuthConfigError extends TypeError {
  readonly code = 'ERR_AUTH_CONFIG_INVALID'
  /** Path of the offending option, e.g. `issuers[0].key.secret`. */
  readonly option: string

  constructor(option: string, problem: string) {
    super(`jwt-gate: invalid option "${option}": ${problem}`)
    this.name = 'AuthConfigError'
    this.option = option
  }
}

/**
 * True for any jwt-gate request-time error, across module copies (checks shape, not identity).
 * Narrows to {@link JwtGateError}, so a `switch` on `code` then narrows to the class.
 */
export function isAuthError(value: unknown): value is JwtGateError {
  return (
    value instanceof AuthError ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as { code?: unknown }).code === 'string' &&
      (value as { code: string }).code.startsWith('ERR_AUTH_') &&
      typeof (value as { status?: unknown }).status === 'number')
  )
}
