/**
 * The framework-free pipeline: extract → (cache) → compact gate → issuer → algorithm → key →
 * signature → registered claims → schema → roles and scopes → revocation → user → context.
 * The Express middleware is a thin wrapper around {@link createAuthenticator}.
 *
 * @module
 */
import { CredentialsRequiredError, InvalidTokenError, isAuthError } from './errors.js'
import { resolveConfig } from './config.js'
import type { ResolvedConfig, ResolvedIssuer } from './config.js'
import type { AuthContext, TokenSource } from './context.js'
import type { AuthenticateOptions } from './options.js'
import { decodeCompact } from './compact.js'
import type { DecodedToken } from './compact.js'
import { extractToken } from './extract.js'
import type { AuthRequest } from './extract.js'
import { verifySignature } from './verify.js'
import { checkRegisteredClaims, checkTimeWindow } from './claims/registered.js'
import { readRoles, readScopes } from './claims/mapping.js'
import { VerifiedTokenCache, deepFreeze } from './verified-cache.js'
import type { VerifiedToken } from './verified-cache.js'
import { checkRevocation } from './revocation-check.js'
import { checkUser } from './user-check.js'
import { checkCsrf } from './csrf.js'

export type { AuthRequest } from './extract.js'

/** The framework-free authenticator behind `authenticate()`. */
export interface Authenticator {
  /**
   * Authenticates one request. Resolves to the {@link AuthContext}, or to `undefined` for an
   * anonymous request in optional mode; rejects with an `AuthError` otherwise.
   */
  authenticate(req: AuthRequest): Promise<AuthContext | undefined>
  /** Fetches remote key sets now, so the first request does not wait (and a dead IdP shows early). */
  warmUp(): Promise<void>
  /** The realm of this authenticator's challenges. */
  readonly realm: string
  /** Entries in the verified-token cache (0 when it is off). */
  readonly cacheSize: number
  /** Drops cached verification results (after a key rotation, say). */
  clearCache(): void
  /** Releases the stores. */
  close(): Promise<void>
}

const JWT_TYP = new Set(['jwt', 'application/jwt'])

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
  const allIssuers = [
    ...config.issuers.values(),
    ...(config.issuerWithoutIss === undefined ? [] : [config.issuerWithoutIss]),
  ]

  /**
   * @param progress - receives the payload once its signature is verified, so a later rejection
   *   (expired, wrong audience, ...) can report an authentic issuer and subject.
   */
  async function verifyFresh(
    token: string,
    nowMs: number,
    progress: { payload?: Readonly<Record<string, unknown>> },
  ): Promise<VerifiedToken> {
    const decoded = decodeCompact(token, config.maxTokenLength, config.extraTyp)
    const issuer = selectIssuer(config, decoded)
    const { header, payload } = decoded
    if (!issuer.keys.algorithms.has(header.alg)) {
      throw new InvalidTokenError('ERR_AUTH_ALG_NOT_ALLOWED', 'algorithm not allowed')
    }
    if (
      typeof header.typ === 'string' &&
      !JWT_TYP.has(header.typ.toLowerCase()) &&
      !issuer.typ.has(header.typ.toLowerCase())
    ) {
      throw new InvalidTokenError('ERR_AUTH_TOKEN_HEADER_INVALID', 'unexpected "typ"')
    }
    const key = await issuer.keys.getKey(header)
    verifySignature(token, key, header.alg)
    progress.payload = payload
    checkRegisteredClaims(payload, issuer.policy, nowMs / 1000)
    const parsed = await issuer.schema.safeParseAsync(payload)
    if (!parsed.success) {
      throw new InvalidTokenError('ERR_AUTH_CLAIMS_INVALID', 'claims do not match the schema', {
        cause: parsed.error,
      })
    }
    const claims = deepFreeze(parsed.data)
    const verified: VerifiedToken = {
      issuer,
      header: deepFreeze(header),
      payload: deepFreeze(payload),
      claims,
      roles: Object.freeze(readRoles(claims, issuer.rolesPath)),
      scopes: Object.freeze(readScopes(claims, issuer.scopesPaths)),
      key,
    }
    cache?.set(token, verified, nowMs, token.length * 2)
    return verified
  }

  async function verifyCached(token: string, nowMs: number): Promise<VerifiedToken | undefined> {
    const hit = cache?.get(token, nowMs)
    if (hit === undefined) return undefined
    checkTimeWindow(hit.payload, hit.issuer.policy, nowMs / 1000)
    // A key that left the key set (rotation, revocation at the IdP) must stop cached tokens too.
    // Static keys cannot leave: they are fixed by the configuration.
    if (hit.issuer.keys.static) return hit
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

  async function authenticate(req: AuthRequest): Promise<AuthContext | undefined> {
    let source: TokenSource | undefined
    const progress: { payload?: Readonly<Record<string, unknown>> } = {}
    try {
      const extracted = await extractToken(req, config)
      if (extracted === undefined) {
        if (config.credentialsRequired) throw new CredentialsRequiredError()
        return undefined
      }
      source = extracted.source
      if (source === 'cookie' && config.csrf !== undefined) checkCsrf(req, config.csrf)
      const nowMs = config.now()
      const verified =
        (await verifyCached(extracted.token, nowMs)) ??
        (await verifyFresh(extracted.token, nowMs, progress))
      progress.payload = verified.payload

      if (config.revocation !== undefined)
        await checkRevocation(config.revocation, verified.payload)
      const context = buildContext(verified, source, extracted.token)
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
      if (config.onAuthenticated !== undefined) notify(config.onAuthenticated, context)
      return context
    } catch (error) {
      if (isAuthError(error)) {
        error.realm = config.realm
        if (config.onRejected !== undefined) {
          const payload = progress.payload
          notify(config.onRejected, {
            code: error.code,
            status: error.status,
            issuer: typeof payload?.iss === 'string' ? payload.iss : undefined,
            subject: typeof payload?.sub === 'string' ? payload.sub : undefined,
            source,
          })
        }
      }
      throw error
    }
  }

  return {
    authenticate,
    async warmUp() {
      await Promise.all(allIssuers.map((issuer) => issuer.keys.warmUp()))
    },
    realm: config.realm,
    get cacheSize() {
      return cache?.size ?? 0
    },
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
 * Picks the configured issuer by the unverified `iss`. The value only selects among configured
 * issuers; it never brings in a key. No `iss` selects the issuer configured with `issuer: null`.
 */
function selectIssuer(config: ResolvedConfig, decoded: DecodedToken): ResolvedIssuer {
  const iss = decoded.payload.iss
  const issuer =
    iss === undefined
      ? config.issuerWithoutIss
      : typeof iss === 'string'
        ? config.issuers.get(iss)
        : undefined
  if (issuer === undefined)
    throw new InvalidTokenError('ERR_AUTH_ISSUER_UNTRUSTED', 'untrusted issuer')
  return issuer
}

function buildContext(verified: VerifiedToken, source: TokenSource, token: string): AuthContext {
  const payload = verified.payload
  const context = {
    subject: payload.sub as string,
    issuer: typeof payload.iss === 'string' ? payload.iss : undefined,
    roles: [...verified.roles],
    scopes: [...verified.scopes],
    claims: verified.claims,
    header: verified.header,
    source,
  } as AuthContext
  // Not enumerable: logging or serialising req.auth must not leak the token.
  Object.defineProperty(context, 'token', { value: token, enumerable: false })
  return context
}

let warnedHook = false
/** Observability hooks must never change the outcome of a request. */
function notify<E>(hook: (event: E) => void, event: E): void {
  try {
    hook(event)
  } catch (error) {
    if (!warnedHook) {
      warnedHook = true
      process.emitWarning(
        `jwt-gate: an onAuthenticated/onRejected hook threw: ${error instanceof Error ? error.name : 'error'}`,
        { code: 'JWT_GATE_HOOK_FAILED' },
      )
    }
  }
}
