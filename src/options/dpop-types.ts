/**
 * The option type of DPoP (RFC 9449): sender-constrained access tokens whose every request carries
 * a proof signed by the client's key. Part of the option reference in `types.ts`, which re-exports
 * it.
 *
 * @module
 */
import type { Algorithm } from '../jws/algorithms.js'
import type { ReplayStore } from '../stores/types.js'

/** The `dpop` option: how DPoP proofs are accepted and checked. */
export interface DpopOptions {
  /**
   * `allowed`: a request may use `Authorization: DPoP` with a proof, or `Bearer` with a token that
   * is not DPoP-bound; `required`: only DPoP (a `Bearer` token is refused). A DPoP-bound token
   * (`cnf.jkt`) is never accepted with the `Bearer` scheme.
   */
  mode: 'allowed' | 'required'
  /**
   * Where proof `jti`s are remembered for the `iat` window, so that a proof is used once. Required:
   * share one store (Redis, PostgreSQL) between the instances of a fleet; a store that fails makes
   * the request a 503, never a pass.
   */
  replayStore: ReplayStore
  /**
   * The origin clients call, e.g. `https://api.example.org` (https, or http on loopback; no path,
   * query or fragment). A proof's `htu` must equal it followed by the request's path; the `Host`
   * and `X-Forwarded-*` headers are never read.
   */
  publicOrigin: string
  /**
   * Proof algorithms accepted (asymmetric only). @defaultValue `['ES256', 'EdDSA', 'RS256', 'PS256']`
   */
  algorithms?: Algorithm[] | undefined
  /**
   * How far a proof's `iat` may lie from now, in seconds, either way (1 to 300). Also how long its
   * `jti` is remembered. @defaultValue 60
   */
  iatWindow?: number | undefined
  /**
   * Server nonces (RFC 9449 §8-9): a proof must carry a `nonce` this gate issued, else 401
   * `use_dpop_nonce` with a fresh `DPoP-Nonce`. Nonces are derived from `secret` (at least 32
   * bytes, shared by the instances of a fleet) and the time step: no state is stored, and a nonce
   * is accepted during its step and the next one. @defaultValue off
   */
  nonce?: DpopNonceOptions | undefined
}

/** Server nonces of {@link DpopOptions.nonce}. */
export interface DpopNonceOptions {
  /** The HMAC secret the nonces derive from: at least 32 bytes (a string counts its UTF-8 bytes). */
  secret: string | Uint8Array
  /** Seconds a nonce is current (10 to 3600); it is accepted one step longer. @defaultValue 300 */
  step?: number | undefined
}
