/**
 * Resolves the `dpop` option (already checked by `dpop-schema.ts`): defaults, the proof-key cache,
 * the nonce issuer and the challenge, once at start-up.
 *
 * @module
 */
import { NonceIssuer } from '../dpop/nonce.js'
import { normalizeOrigin } from '../dpop/origin.js'
import { ProofKeys } from '../dpop/proof-keys.js'
import type { DpopSettings } from '../dpop/settings.js'
import type { DpopOptions } from './dpop-types.js'

/** Proof algorithms accepted when `dpop.algorithms` is not set. */
export const DEFAULT_DPOP_ALGORITHMS = ['ES256', 'EdDSA', 'RS256', 'PS256'] as const

export function resolveDpop(options: DpopOptions | undefined): DpopSettings | undefined {
  if (options === undefined) return undefined
  const algorithmList = [...(options.algorithms ?? DEFAULT_DPOP_ALGORITHMS)]
  const { nonce } = options
  return Object.freeze({
    mode: options.mode,
    replayStore: options.replayStore,
    origin: normalizeOrigin(options.publicOrigin),
    algorithms: new Set(algorithmList),
    algorithmList,
    iatWindow: options.iatWindow ?? 60,
    nonces: nonce === undefined ? undefined : new NonceIssuer(nonce.secret, nonce.step ?? 300),
    keys: new ProofKeys(),
    challenge: { algs: algorithmList.join(' '), bearerToo: options.mode === 'allowed' },
    storeTimeout: 3000,
  })
}

/** The RFC 9728 members DPoP adds to the protected-resource metadata (RFC 9449 §5.2). */
export function dpopMetadata(options: DpopOptions | undefined): Record<string, unknown> {
  if (options === undefined) return {}
  return {
    dpop_signing_alg_values_supported: [...(options.algorithms ?? DEFAULT_DPOP_ALGORITHMS)],
    dpop_bound_access_tokens_required: options.mode === 'required',
  }
}
