/**
 * The steps after the signature, for a token the cache does not hold: the registered claims
 * (issuer, audience, time window...), the issuer's claims schema, then roles and scopes read from
 * the claims. Their result is what the verified-token cache keeps.
 *
 * @module
 */
import { InvalidTokenError } from '../errors.js'
import { checkRegisteredClaims } from '../claims/registered.js'
import { parseClaims } from '../claims/parse.js'
import { readRoles, readScopes } from '../claims/mapping.js'
import { deepFreeze } from './verified-cache.js'
import type { VerifiedToken } from './verified-cache.js'
import type { SignedToken } from './verify-signature.js'
import type { MaybePromise } from './maybe-promise.js'

/** Throws the first registered-claim rule the signed payload breaks (`nowMs`: epoch ms). */
export function checkClaims({ decoded, issuer }: SignedToken, nowMs: number): void {
  checkRegisteredClaims(decoded.payload, issuer.policy, nowMs / 1000)
}

/**
 * The claims as the issuer's schema outputs them, or the payload itself when it has none.
 * Synchronous for a synchronous schema.
 */
export function parseClaimsSchema({ decoded, issuer }: SignedToken): MaybePromise<unknown> {
  return issuer.schema === undefined ? decoded.payload : parseClaims(issuer.schema, decoded.payload)
}

/**
 * What later requests with the same token share, roles and scopes read once. Frozen: header and
 * payload come deep-frozen from the compact gate, a schema's output may not be. Of the payload
 * itself only the registered claims are kept (the rest lives on in `claims`).
 */
export function toVerifiedToken(signed: SignedToken, parsedClaims: unknown): VerifiedToken {
  const { decoded, issuer, key } = signed
  const verifiedBy = issuer.introspection?.jwt === true ? 'signature+introspection' : 'signature'
  return verifiedTokenOf(issuer, decoded.header, decoded.payload, parsedClaims, key, verifiedBy)
}

/**
 * The {@link VerifiedToken} of a payload checked one way or another (a signature, an
 * introspection answer): registered claims kept, claims frozen, roles and scopes read once.
 */
export function verifiedTokenOf(
  issuer: VerifiedToken['issuer'],
  header: VerifiedToken['header'],
  payload: Readonly<Record<string, unknown>>,
  parsedClaims: unknown,
  key: VerifiedToken['key'],
  verifiedBy: VerifiedToken['verifiedBy'],
): VerifiedToken {
  const claims = deepFreeze(parsedClaims)
  const { iss, sub, jti, iat, nbf, exp, cnf } = payload as VerifiedToken['registered']
  return {
    issuer,
    header,
    registered: { iss, sub, jti, iat, nbf, exp, cnf },
    claims,
    roles: Object.freeze(readRoles(claims, issuer.rolesPath)),
    scopes: Object.freeze(readScopes(claims, issuer.scopesPaths)),
    key,
    verifiedBy,
    jkt: boundJkt(cnf),
  }
}

/**
 * `cnf.jkt` when the token has one (RFC 9449 §6.1); a `cnf` without `jkt` binds to no DPoP key, and
 * a `jkt` that is not a non-empty string is refused.
 */
export function boundJkt(cnf: unknown): string | undefined {
  if (typeof cnf !== 'object' || cnf === null) return undefined
  const { jkt } = cnf as { jkt?: unknown }
  if (jkt === undefined) return undefined
  // A binding that cannot be read is refused, never taken for no binding.
  if (typeof jkt !== 'string' || jkt === '')
    throw new InvalidTokenError('ERR_AUTH_CLAIMS_INVALID', "'cnf.jkt' is not a thumbprint")
  return jkt
}
