/**
 * Signature verification: the only call site of jose's JWS verification. The algorithm list passed
 * to jose is the single algorithm already checked against the issuer's locked list, and the key was
 * chosen by the issuer's resolver, never by the token.
 *
 * @module
 */
import { compactVerify, errors } from 'jose'
import { InvalidTokenError } from './errors.js'
import type { VerificationKey } from './keys/remote-jwks.js'

/**
 * Verifies the JWS signature of a token that passed the compact-form gate.
 * Throws `ERR_AUTH_SIGNATURE_INVALID` (or `ERR_AUTH_ALG_NOT_ALLOWED`) on failure.
 */
export async function verifySignature(
  token: string,
  key: VerificationKey,
  alg: string,
): Promise<void> {
  try {
    // crit: {} means no extension is understood, so any "crit" fails here as well as in the gate.
    await compactVerify(token, key, { algorithms: [alg], crit: {} })
  } catch (error) {
    throw toTokenError(error)
  }
}

function toTokenError(error: unknown): InvalidTokenError {
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new InvalidTokenError('ERR_AUTH_ALG_NOT_ALLOWED', 'algorithm not allowed', {
      cause: error,
    })
  }
  if (error instanceof errors.JWSInvalid) {
    return new InvalidTokenError('ERR_AUTH_TOKEN_MALFORMED', 'malformed token', { cause: error })
  }
  // Signature mismatch, and key/algorithm mismatches jose reports as TypeError: all mean the token
  // was not signed by this key with this algorithm.
  return new InvalidTokenError('ERR_AUTH_SIGNATURE_INVALID', 'invalid signature', { cause: error })
}
