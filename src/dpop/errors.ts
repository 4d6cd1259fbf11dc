/**
 * The DPoP proof error, apart from `errors.ts` (which names it in the {@link JwtGateError} union)
 * to keep that file within its size.
 *
 * @module
 */
import { AuthError } from '../errors.js'
import type { AuthErrorOptions, JwtGateError } from '../errors.js'

export type { JwtGateError }

/**
 * 401 `invalid_dpop_proof` (or `use_dpop_nonce` for a missing or stale server nonce, with a fresh
 * one in `DPoP-Nonce`): the request's DPoP proof (RFC 9449) is missing, malformed, forged, for
 * another request, or replayed.
 */
export class DpopProofError extends AuthError {
  declare readonly code:
    'ERR_AUTH_DPOP_PROOF_INVALID' | 'ERR_AUTH_DPOP_REPLAYED' | 'ERR_AUTH_DPOP_NONCE_REQUIRED'

  constructor(code: DpopProofError['code'], message: string, options: AuthErrorOptions = {}) {
    const error = code === 'ERR_AUTH_DPOP_NONCE_REQUIRED' ? 'use_dpop_nonce' : 'invalid_dpop_proof'
    super(code, 401, error, message, options)
  }
}
