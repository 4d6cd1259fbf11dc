/**
 * What one authenticator's requests share: the resolved options, the verified-token cache and the
 * table of known headers. Built once by `createAuthenticator`; every step reads it, none changes it
 * (the cache, the table and the signature-check counter change their own contents).
 *
 * @module
 */
import type { ResolvedConfig } from '../options/resolve.js'
import { KnownHeaders } from '../jws/compact.js'
import { VerifiedTokenCache } from './verified-cache.js'
import { TenantIssuers } from './tenant-issuers.js'

/** The state an authenticator's requests share. */
export interface Pipeline {
  readonly config: ResolvedConfig
  readonly cache: VerifiedTokenCache | undefined
  /** Headers of verified tokens, so the compact gate decodes a repeated header only once. */
  readonly knownHeaders: KnownHeaders
  /** The issuers the issuer resolver supplied (the `issuerResolver` option), when configured. */
  readonly tenants: TenantIssuers | undefined
  /**
   * Signature checks begun with a key at hand (a static key, or a remote key already fetched),
   * passed or failed. The Express layer compares it around a synchronous call to tell a full
   * verification (after which it yields) from a cache hit; a key that had to be fetched makes the
   * call asynchronous, and such a call never yields, so it need not count.
   */
  readonly signatureChecks: { count: number }
}

/** The shared state for a resolved configuration. */
export function createPipeline(config: ResolvedConfig): Pipeline {
  const cache =
    config.cache === undefined
      ? undefined
      : new VerifiedTokenCache(config.cache.max, config.cache.maxBytes, config.cache.ttl * 1000)
  return {
    config,
    cache,
    knownHeaders: new KnownHeaders(),
    tenants: config.tenants === undefined ? undefined : new TenantIssuers(config.tenants),
    signatureChecks: { count: 0 },
  }
}
