/**
 * The option type of `issuerResolver` (multi-tenant issuers), part of the option reference in
 * `types.ts`, kept in its own file for that file's size.
 *
 * @module
 */
import type { IssuerOptions } from './types.js'

/**
 * How a tenant's issuer is found and how long the answer is kept. Each answer is checked like an
 * entry of `issuers` (an invalid one, or one whose `issuer` is not the token's `iss` exactly, is a
 * 500 `ERR_AUTH_ISSUER_MISCONFIGURED`); a resolver that throws or times out is a 503
 * `ERR_AUTH_ISSUER_UNAVAILABLE`. An `iss` longer than 1024 characters is refused (401) without
 * asking.
 */
export interface IssuerResolverOptions {
  /**
   * The issuer options of the tenant whose `iss` this is (its `issuer` must equal `iss`), or
   * `undefined` (or `null`) for an unknown issuer: its tokens get a 401 `ERR_AUTH_ISSUER_UNTRUSTED`.
   * May be async. Called once for concurrent requests with the same new `iss`.
   */
  resolve: (
    iss: string,
  ) => IssuerOptions | null | undefined | Promise<IssuerOptions | null | undefined>
  /**
   * Most tenants kept; the least recently used one is dropped (its key set released) past it.
   * Unknown issuers are remembered apart, up to as many, so a flood of made-up `iss` values never
   * pushes out a real tenant. @defaultValue 100
   */
  max?: number | undefined
  /**
   * How long an answer is kept, in seconds; then the resolver is asked again, and tokens of that
   * tenant in the verified-token cache are verified afresh. An unknown issuer is remembered for
   * `min(ttl, 30)` seconds. @defaultValue 600 (10 min)
   */
  ttl?: number | undefined
  /** Longest wait for one answer, in ms, at most 60000; then a 503. @defaultValue 3000 (3 s) */
  timeout?: number | undefined
}
