/**
 * The framework-free pipeline: extract → (cache) → compact gate → issuer → algorithm → key →
 * signature → registered claims → schema → roles and scopes → revocation → user → context.
 * The Express middleware is a thin wrapper around {@link createAuthenticator}.
 *
 * @module
 */
import { CredentialsRequiredError, isAuthError } from '../errors.js'
import { resolveConfig } from '../options/resolve.js'
import type { ResolvedIssuer } from '../options/resolve.js'
import type { AuthContext, TokenSource } from '../context/types.js'
import type { AuthenticateOptions } from '../options/types.js'
import { KnownHeaders, checkTyp, decodeCompact } from '../jws/compact.js'
import { allowedAlgorithm } from '../jws/algorithms.js'
import type { DecodedToken } from '../jws/compact.js'
import { extractCustom, extractFromSources } from '../request/extract.js'
import type { AuthRequest, ExtractedToken } from '../request/extract.js'
import { verifySignature } from '../jws/verify.js'
import type { VerificationKey } from '../keys/remote-jwks.js'
import { parseClaims } from '../claims/parse.js'
import {
  checkRegisteredClaims,
  checkTimeWindow,
  selectTrustedIssuer,
} from '../claims/registered.js'
import { readRoles, readScopes } from '../claims/mapping.js'
import { VerifiedTokenCache, deepFreeze } from './verified-cache.js'
import type { VerifiedToken } from './verified-cache.js'
import { checkRevocation } from '../checks/revocation.js'
import { checkUser } from '../checks/user.js'
import { checkCsrf } from '../request/csrf.js'
import { RequestAuthContext } from '../context/auth-context.js'
import { warnOnce } from '../warnings.js'

export type { AuthRequest } from '../request/extract.js'

/** The framework-free authenticator behind `authenticate()`. */
export interface Authenticator {
  /**
   * Authenticates one request. Resolves to the {@link AuthContext}, or to `undefined` for an
   * anonymous request in optional mode; rejects with an `AuthError` otherwise.
   */
  authenticate(req: AuthRequest): Promise<AuthContext | undefined>
  /**
   * The same, synchronously when it can be (a cached token, no stores, no custom extractor):
   * returns the context or `undefined`, or a promise of them, and throws an `AuthError`
   * synchronously for a request rejected on the spot. Used by the Express layer to spare a
   * microtask round per request.
   */
  authenticateNow(req: AuthRequest): AuthContext | undefined | Promise<AuthContext | undefined>
  /**
   * Fetches remote key sets now, so the first request does not wait (and a dead IdP shows early),
   * and awaits the user store's `checkSchema()`, if it has one (a missing column shows early).
   */
  warmUp(): Promise<void>
  /** The realm of this authenticator's challenges. */
  readonly realm: string
  /** Entries in the verified-token cache (0 when it is off). */
  readonly cacheSize: number
  /**
   * Signature checks made so far, passed or failed (cache hits make none). The Express layer
   * compares it around a synchronous `authenticateNow` to tell a full verification from a hit.
   */
  readonly signatureChecks: number
  /** Whether the Express layer yields to the event loop after a signature check (the option). */
  readonly yieldAfterVerification: boolean
  /** Whether the Express layer lets CORS preflights through anonymous (the `corsPreflight` option). */
  readonly passCorsPreflight: boolean
  /** Drops cached verification results (after a key rotation, say). */
  clearCache(): void
  /** Releases the stores. */
  close(): Promise<void>
}

/** What one request has established so far, for the rejection report. */
interface RequestState {
  source?: TokenSource
  /** Set once the signature is verified: only then are issuer and subject authentic. */
  payload?: Readonly<Record<string, unknown>>
}

/**
 * Validates the options (throwing `AuthConfigError` at once) and returns the authenticator.
 *
 * @example
 * ```ts
 * const gate = createAuthenticator({ issuers: [{ issuer: 'https://auth.example', key: { jwksUrl } }] })
 * const auth = await gate.authenticate({ headers: { authorization: `Bearer ${token}` } })
 * ```
 */
export function createAuthenticator(options: AuthenticateOptions): Authenticator {
  const config = resolveConfig(options)
  const cache =
    config.cache === undefined
      ? undefined
      : new VerifiedTokenCache(config.cache.max, config.cache.maxBytes, config.cache.ttl * 1000)
  // Created once: extraction asks it to skip the header's syntax scan for tokens verified before.
  const verifiedBefore =
    cache === undefined ? undefined : (token: string): boolean => cache.holds(token)
  const knownHeaders = new KnownHeaders()
  let signatureChecks = 0
  const allIssuers = [
    ...config.issuers.values(),
    ...(config.issuerWithoutIss === undefined ? [] : [config.issuerWithoutIss]),
  ]

  /**
   * Full verification of a token the cache does not hold. Synchronous for a static key and a
   * synchronous claims schema (the common case), so a fresh token costs no promise either.
   *
   * @param progress - receives the payload once its signature is verified, so a later rejection
   *   (expired, wrong audience, ...) can report an authentic issuer and subject.
   */
  function verifyFresh(
    token: string,
    nowMs: number,
    progress: RequestState,
  ): VerifiedToken | Promise<VerifiedToken> {
    const decoded = decodeCompact(token, config.maxTokenLength, config.extraTyp, knownHeaders)
    const issuer = selectTrustedIssuer(decoded.payload, config.issuers, config.issuerWithoutIss)
    const { header } = decoded
    allowedAlgorithm(header.alg, issuer.keys.algorithms)
    // The compact gate checked typ against every configured issuer's set, before any crypto and
    // before the issuer is known; now that it is, this issuer must accept it too.
    checkTyp(header.typ, issuer.typ)
    return andThen(issuer.keys.getKey(header), (key) =>
      verifyWithKey(decoded, issuer, key, nowMs, progress),
    )
  }

  function verifyWithKey(
    decoded: DecodedToken,
    issuer: ResolvedIssuer,
    key: VerificationKey,
    nowMs: number,
    progress: RequestState,
  ): VerifiedToken | Promise<VerifiedToken> {
    const { token, header, payload } = decoded
    signatureChecks++
    verifySignature(token, key, header.alg, decoded.signature)
    progress.payload = payload
    checkRegisteredClaims(payload, issuer.policy, nowMs / 1000)
    if (issuer.schema === undefined) return remember(decoded, issuer, key, payload, nowMs)
    return andThen(parseClaims(issuer.schema, payload), (claims) =>
      remember(decoded, issuer, key, claims, nowMs),
    )
  }

  /** Freezes what requests will share and caches it. */
  function remember(
    decoded: DecodedToken,
    issuer: ResolvedIssuer,
    key: VerificationKey,
    parsedClaims: unknown,
    nowMs: number,
  ): VerifiedToken {
    // What requests share is frozen: header and payload come deep-frozen from the compact gate, a
    // schema's output may not be. Of the payload itself only the registered claims are kept.
    const { header, payload } = decoded
    const claims = deepFreeze(parsedClaims)
    if (!decoded.knownHeader) knownHeaders.add(decoded.token, header)
    const verified: VerifiedToken = {
      issuer,
      header,
      registered: {
        iss: payload.iss,
        sub: payload.sub,
        jti: payload.jti,
        iat: payload.iat,
        nbf: payload.nbf,
        exp: payload.exp,
      },
      claims,
      roles: Object.freeze(readRoles(claims, issuer.rolesPath)),
      scopes: Object.freeze(readScopes(claims, issuer.scopesPaths)),
      key,
    }
    cache?.set(decoded.token, verified, nowMs, decoded.token.length * 2)
    return verified
  }

  /**
   * A cache hit whose time window still holds, or undefined. Synchronous for static keys; a remote
   * key set is asked whether the key is still there, since one that left (rotation, revocation at
   * the IdP) must stop cached tokens too.
   */
  function lookup(
    token: string,
    nowMs: number,
  ): VerifiedToken | undefined | Promise<VerifiedToken | undefined> {
    const hit = cache?.get(token, nowMs)
    if (hit === undefined) return undefined
    checkTimeWindow(hit.registered, hit.issuer.policy, nowMs / 1000)
    if (hit.issuer.keys.static) return hit
    return confirmKey(token, hit)
  }

  async function confirmKey(token: string, hit: VerifiedToken): Promise<VerifiedToken | undefined> {
    let current: unknown
    try {
      current = await hit.issuer.keys.getKey(hit.header)
    } catch (error) {
      cache?.delete(token)
      throw error
    }
    if (current !== hit.key) {
      cache?.delete(token)
      return undefined
    }
    return hit
  }

  function afterExtraction(
    req: AuthRequest,
    extracted: ExtractedToken | undefined,
    state: RequestState,
  ): AuthContext | undefined | Promise<AuthContext | undefined> {
    if (extracted === undefined) {
      if (config.credentialsRequired) throw new CredentialsRequiredError()
      return undefined
    }
    state.source = extracted.source
    if (extracted.source === 'cookie' && config.csrf !== undefined) checkCsrf(req, config.csrf)
    const nowMs = config.now()
    const found = lookup(extracted.token, nowMs)
    if (found instanceof Promise) {
      return found.then(async (hit) =>
        finish(hit ?? (await verifyFresh(extracted.token, nowMs, state)), extracted, state),
      )
    }
    const verified = found ?? verifyFresh(extracted.token, nowMs, state)
    // Spelled out rather than andThen: a cache hit passes here on every request, and a closure
    // per request is what this path avoids.
    return verified instanceof Promise
      ? verified.then((fresh) => finish(fresh, extracted, state))
      : finish(verified, extracted, state)
  }

  /** Builds the context; store checks (when configured) make it asynchronous. */
  function finish(
    verified: VerifiedToken,
    extracted: ExtractedToken,
    state: RequestState,
  ): AuthContext | Promise<AuthContext> {
    state.payload = verified.registered
    if (config.revocation === undefined && config.users === undefined) {
      return authenticated(
        new RequestAuthContext(verified, extracted.source, extracted.token, config.realm),
      )
    }
    return checkStores(verified, extracted)
  }

  async function checkStores(
    verified: VerifiedToken,
    extracted: ExtractedToken,
  ): Promise<AuthContext> {
    if (config.revocation !== undefined)
      await checkRevocation(config.revocation, verified.registered)
    const context = new RequestAuthContext(
      verified,
      extracted.source,
      extracted.token,
      config.realm,
    )
    if (config.users !== undefined) {
      const claimsRecord = verified.claims as Record<string, unknown>
      const user = await checkUser(
        config.users,
        verified.issuer.username(claimsRecord),
        verified.roles,
        claimsRecord.name,
      )
      context.user = user
      context.roles = [...user.roles]
    }
    return authenticated(context)
  }

  function authenticated(context: AuthContext): AuthContext {
    if (config.onAuthenticated !== undefined) notify(config.onAuthenticated, context)
    return context
  }

  /** Reports a rejection (realm, hook) and throws it on. */
  function rejected(error: unknown, state: RequestState): never {
    if (isAuthError(error)) {
      error.realm = config.realm
      if (config.onRejected !== undefined) {
        const payload = state.payload
        notify(config.onRejected, {
          code: error.code,
          status: error.status,
          issuer: typeof payload?.iss === 'string' ? payload.iss : undefined,
          subject: typeof payload?.sub === 'string' ? payload.sub : undefined,
          source: state.source,
          cause: error.status >= 500 ? error.cause : undefined,
        })
      }
    }
    throw error
  }

  function authenticateNow(
    req: AuthRequest,
  ): AuthContext | undefined | Promise<AuthContext | undefined> {
    const state: RequestState = {}
    try {
      const extracted = extractFromSources(req, config, verifiedBefore)
      const outcome =
        extracted === undefined && config.extractToken !== undefined
          ? extractCustom(req, config).then((custom) => afterExtraction(req, custom, state))
          : afterExtraction(req, extracted, state)
      return outcome instanceof Promise
        ? outcome.catch((error: unknown) => rejected(error, state))
        : outcome
    } catch (error) {
      return rejected(error, state)
    }
  }

  return {
    // async: a rejection found on the spot becomes a rejected promise, as callers expect.
    async authenticate(req) {
      return authenticateNow(req)
    },
    authenticateNow,
    async warmUp() {
      await Promise.all([
        ...allIssuers.map((issuer) => issuer.keys.warmUp()),
        config.users?.store.checkSchema?.(),
      ])
    },
    realm: config.realm,
    get cacheSize() {
      return cache?.size ?? 0
    },
    get signatureChecks() {
      return signatureChecks
    },
    yieldAfterVerification: config.yieldAfterVerification,
    passCorsPreflight: config.passCorsPreflight,
    clearCache() {
      cache?.clear()
    },
    async close() {
      cache?.clear()
      await Promise.all([config.users?.store.close?.(), config.revocation?.store.close?.()])
    },
  }
}

/**
 * Applies `next` to a value, or to a promise's value once it settles: a step that can be
 * synchronous stays synchronous.
 */
function andThen<T, U>(value: T | Promise<T>, next: (value: T) => U | Promise<U>): U | Promise<U> {
  return value instanceof Promise ? value.then(next) : next(value)
}

/**
 * Observability hooks must never change the outcome of a request, nor end the process: a hook
 * that throws, or an async hook whose promise rejects, is reported once and otherwise ignored.
 */
function notify<E>(hook: (event: E) => unknown, event: E): void {
  try {
    const outcome = hook(event)
    // An async hook's rejection would otherwise be unhandled, which ends a Node process.
    if (isThenable(outcome)) outcome.then(undefined, reportHookFailure)
  } catch (error) {
    reportHookFailure(error)
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

function reportHookFailure(error: unknown): void {
  warnOnce(
    'JWT_GATE_HOOK_FAILED',
    `jwt-gate: an onAuthenticated/onRejected hook failed: ${error instanceof Error ? error.name : 'error'}`,
    'Warning',
  )
}
