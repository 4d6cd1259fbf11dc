/**
 * The logout token's signature (OpenID Connect Back-Channel Logout 1.0 §2.6, steps 1-3): the
 * compact form and header as for any token, a configured issuer named by its exact `iss` (never a
 * tenant of the issuer resolver, never the issuer without `iss`), that issuer's locked algorithms
 * and keys. Its `typ` is a logout token's, never an access token's: an access token is refused
 * whatever its signature.
 *
 * @module
 */
import { checkTyp, decodeCompact } from '../jws/compact.js'
import type { DecodedToken, TypRule } from '../jws/compact.js'
import { allowedAlgorithm } from '../jws/algorithms.js'
import { verifySignature } from '../jws/verify.js'
import { selectTrustedIssuer } from '../claims/registered.js'
import { InvalidTokenError } from '../errors.js'
import type { ResolvedIssuer } from '../options/resolve.js'
import type { Pipeline } from '../pipeline/pipeline.js'

/** The `typ` of a logout token (§2.4), in the normalised form `typ` is compared in. */
const LOGOUT_TYP = 'logout+jwt'

/** Accepted besides `logout+jwt`: a plain JWT (or no `typ`), unless `requireTyp`. */
const LOGOUT_TYPS: ReadonlySet<string> = new Set([LOGOUT_TYP])

/** A logout token refused: a 400 whose description names the failed rule (never a value). */
export class LogoutTokenRejected extends Error {
  override readonly name = 'LogoutTokenRejected'
}

/** A logout token whose signature a trusted issuer's key verified; its claims are unchecked. */
export interface SignedLogoutToken {
  readonly decoded: DecodedToken
  readonly issuer: ResolvedIssuer
}

/**
 * Verifies the signature. Throws {@link LogoutTokenRejected} for a bad token, and the key set's
 * `ServiceUnavailableError` (a 503) when the issuer's keys cannot be fetched.
 */
export async function verifyLogoutSignature(
  pipeline: Pipeline,
  token: string,
  requireTyp: boolean,
): Promise<SignedLogoutToken> {
  try {
    const decoded = decodeCompact(token, pipeline.config.maxTokenLength, LOGOUT_TYPS)
    const rule: TypRule = { accepted: LOGOUT_TYPS, plainJwt: !requireTyp }
    checkTyp(decoded.header.typ, rule)
    if (typeof decoded.payload.iss !== 'string') throw new LogoutTokenRejected("missing 'iss'")
    const issuer = selectTrustedIssuer(decoded.payload, pipeline.config.issuers, undefined)
    allowedAlgorithm(decoded.header.alg, issuer.keys.algorithms)
    const key = await issuer.keys.getKey(decoded.header)
    verifySignature(token, key, decoded.header.alg, decoded.signature)
    return { decoded, issuer }
  } catch (error) {
    // The core's 401 reasons are a bad logout token here; a key set that is down stays a 503.
    if (error instanceof InvalidTokenError) throw new LogoutTokenRejected(error.message)
    throw error
  }
}
