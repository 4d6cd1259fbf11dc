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
import type { Pipeline } from './pipeline.js'

export type { AuthRequest } from '../request/extract.js'

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
  /** Releases the stores. */
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
  }
}

function publicAuthenticator(pipeline: Pipeline): Authenticator {
  const { config, cache } = pipeline
  const keySets = [...config.issuers.values(), config.issuerWithoutIss].map(
    (issuer) => issuer?.keys,
  )
  return {
    // async: a rejection found on the spot becomes a rejected promise, as callers expect.
    async authenticate(req) {
      return authenticate(pipeline, req)
    },
    async warmUp() {
      await Promise.all([
        ...keySets.map((keys) => keys?.warmUp()),
        config.users?.store.checkSchema?.(),
      ])
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
