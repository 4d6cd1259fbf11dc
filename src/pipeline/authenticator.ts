/**
 * The framework-free authenticator: validates the options once, then authenticates requests
 * through the pipeline (`authenticate.ts` lists its steps in order). The Express middleware is a
 * thin wrapper around it.
 *
 * @module
 */
import { resolveConfig } from '../options/resolve.js'
import type { AuthContext } from '../context/types.js'
import type { AuthenticateOptions } from '../options/types.js'
import type { AuthRequest } from '../request/extract.js'
import { createMetadataEndpoint } from '../metadata/endpoint.js'
import type { MetadataEndpoint } from '../metadata/endpoint.js'
import { authenticate } from './authenticate.js'
import type { MaybePromise } from './maybe-promise.js'
import { createPipeline } from './pipeline.js'
import type { DpopChallenge } from '../challenge.js'
import type { Pipeline } from './pipeline.js'

export type { AuthRequest } from '../request/extract.js'

/**
 * Whether an authenticator can verify tokens now, per issuer: what a health endpoint reports (see
 * {@link Authenticator.readiness}).
 */
export interface ReadinessReport {
  /** Whether every issuer has usable keys. */
  readonly ready: boolean
  /** One entry per configured issuer (the issuer without `iss`, if any, last). */
  readonly issuers: ReadonlyArray<{
    /** The issuer's `iss` (`null` for the issuer of tokens without one). */
    readonly issuer: string | null
    /**
     * Whether its keys can verify now: always for static keys; for remote keys, a set fetched and
     * still fresh, or stale but within `staleIfError`.
     */
    readonly keysLoaded: boolean
    /** When the key set was last fetched successfully (remote keys only). */
    readonly lastFetch?: Date
    /**
     * Why the last fetch failed, cleared by the next success: a short reason with the URL's origin
     * and path at most (never its query, a header or a key).
     */
    readonly lastError?: string
  }>
}

/** The framework-free authenticator behind `authenticate()`. */
export interface Authenticator {
  /**
   * Authenticates one request. Resolves to the {@link AuthContext}, or to `undefined` for an
   * anonymous request in optional mode; rejects with an `AuthError` otherwise.
   */
  authenticate(req: AuthRequest): Promise<AuthContext | undefined>
  /**
   * Fetches remote key sets now, so the first request does not wait (and a dead IdP shows early),
   * and awaits the user store's `checkSchema()`, if it has one (a missing column shows early).
   */
  warmUp(): Promise<void>
  /** The realm of this authenticator's challenges. */
  readonly realm: string
  /** Entries in the verified-token cache (0 when it is off). */
  readonly cacheSize: number
  /** Drops cached verification results (after a key rotation, say). */
  clearCache(): void
  /**
   * Whether every issuer has usable keys, and per issuer the last fetch and its error: for a
   * health endpoint (200 when `ready`, 503 when not). Reads state only; fetches nothing.
   */
  readiness(): ReadinessReport
  /** Releases the stores and stops the background refresh of remote key sets. */
  close(): Promise<void>
}

/**
 * What the Express layer needs beyond the public {@link Authenticator}. Reached only through
 * {@link createAuthenticatorInternals}, which the package does not export.
 */
export interface AuthenticatorInternals {
  readonly authenticator: Authenticator
  /**
   * Authenticates one request synchronously when every step is (a cached token or a static key,
   * no stores, no custom extractor): returns the context or `undefined`, or else a promise of
   * them, and throws an `AuthError` synchronously for a request rejected on the spot. Spares the
   * middleware a microtask round per request.
   */
  readonly authenticateSyncWhenPossible: (req: AuthRequest) => MaybePromise<AuthContext | undefined>
  /** Whether CORS preflights pass anonymous (the `corsPreflight` option). */
  readonly passCorsPreflight: boolean
  /** Whether the middleware yields after a signature check (the `yieldAfterVerification` option). */
  readonly yieldAfterVerification: boolean
  /** Signature checks begun with a key at hand, passed or failed (cache hits make none). */
  readonly signatureChecks: () => number
  /** The protected-resource metadata endpoint, when the `resource` option is set. */
  readonly metadata: MetadataEndpoint | undefined
  /** The DPoP challenge, when the `dpop` option is set (the guards' errors carry it). */
  readonly dpopChallenge: DpopChallenge | undefined
  /** The shared state, for the back-channel logout receiver (the gate's issuers, keys, clock). */
  readonly pipeline: Pipeline
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
  return createAuthenticatorInternals(options).authenticator
}

/**
 * The authenticator and what only the Express layer uses (not exported from the package: none of
 * it is public API).
 */
export function createAuthenticatorInternals(options: AuthenticateOptions): AuthenticatorInternals {
  const pipeline = createPipeline(resolveConfig(options))
  const { config } = pipeline
  return {
    authenticator: publicAuthenticator(pipeline),
    authenticateSyncWhenPossible: (req) => authenticate(pipeline, req),
    passCorsPreflight: config.passCorsPreflight,
    yieldAfterVerification: config.yieldAfterVerification,
    signatureChecks: () => pipeline.signatureChecks.count,
    metadata:
      config.protectedResource === undefined
        ? undefined
        : createMetadataEndpoint(config.protectedResource),
    dpopChallenge: config.dpop?.challenge,
    pipeline,
  }
}

function publicAuthenticator(pipeline: Pipeline): Authenticator {
  const { config, cache } = pipeline
  const issuers = [...config.issuers.values(), config.issuerWithoutIss].filter(
    (issuer) => issuer !== undefined,
  )
  const keySets = issuers.map((issuer) => issuer.keys)
  return {
    // async: a rejection found on the spot becomes a rejected promise, as callers expect.
    async authenticate(req) {
      return authenticate(pipeline, req)
    },
    async warmUp() {
      await Promise.all([
        ...keySets.map((keys) => keys.warmUp()),
        config.users?.store.checkSchema?.(),
        config.dpop?.replayStore.ready?.(),
      ])
    },
    realm: config.realm,
    get cacheSize() {
      return cache?.size ?? 0
    },
    clearCache() {
      cache?.clear()
    },
    readiness() {
      const report = issuers.map(({ issuer, keys }) => ({ issuer, ...keys.readiness() }))
      return { ready: report.every(({ keysLoaded }) => keysLoaded), issuers: report }
    },
    async close() {
      for (const keys of keySets) keys.close()
      cache?.clear()
      pipeline.tenants?.close()
      await Promise.all(issuers.map(async (issuer) => issuer.introspection?.close()))
      await Promise.all([config.users?.store.close?.(), config.revocation?.store.close?.()])
    },
  }
}
