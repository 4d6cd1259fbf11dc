/**
 * RFC 7638 JWK thumbprints: what a DPoP-bound token's `cnf.jkt` names (RFC 9449 §6.1).
 *
 * @module
 */
import { createHash } from 'node:crypto'

/** The members a thumbprint covers, per key type, in lexicographic order (RFC 7638 §3.2). */
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
}

/**
 * The base64url SHA-256 thumbprint of a public JWK, or undefined when its type is not EC, OKP or
 * RSA or a required member is not a string.
 */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string | undefined {
  const members = typeof jwk.kty === 'string' ? REQUIRED_MEMBERS[jwk.kty] : undefined
  if (members === undefined) return undefined
  const canonical: Record<string, string> = {}
  for (const name of members) {
    const value = jwk[name]
    if (typeof value !== 'string') return undefined
    canonical[name] = value
  }
  // JSON.stringify keeps insertion order, which is the lexicographic order above, without spaces.
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url')
}

/** base64url(SHA-256(token)): the proof's `ath` (RFC 9449 §4.2). */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url')
}
