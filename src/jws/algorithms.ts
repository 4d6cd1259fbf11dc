/**
 * Which JWS algorithms fit which key. The token's `alg` never chooses a key type: every issuer has a
 * locked list, checked against its keys at start-up and against the token before any key lookup.
 *
 * @module
 */
import type { KeyObject } from 'node:crypto'
import type { Algorithm } from '../options/types.js'

export const HMAC_ALGORITHMS: readonly Algorithm[] = ['HS256', 'HS384', 'HS512']
export const ASYMMETRIC_ALGORITHMS: readonly Algorithm[] = [
  'EdDSA',
  'Ed25519',
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
]
/** Every algorithm jwt-gate can verify, asymmetric first. */
export const SUPPORTED_ALGORITHMS: readonly Algorithm[] = [
  ...ASYMMETRIC_ALGORITHMS,
  ...HMAC_ALGORITHMS,
]
export const ALL_ALGORITHMS: ReadonlySet<string> = new Set(SUPPORTED_ALGORITHMS)

/** Minimum RSA modulus accepted (NIST SP 800-131A). */
export const MIN_RSA_BITS = 2048
/** Minimum HMAC secret length in bytes (RFC 7518 §3.2 asks for at least the hash size of HS256). */
export const MIN_SECRET_BYTES = 32

const CURVE_ALGORITHM: Record<string, Algorithm> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
}

/** Every algorithm the key can verify. An empty list means the key is unusable. */
export function algorithmsForKey(key: KeyObject): Algorithm[] {
  if (key.type === 'secret') return [...HMAC_ALGORITHMS]
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return ['EdDSA', 'Ed25519']
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve
      const alg = curve === undefined ? undefined : CURVE_ALGORITHM[curve]
      return alg === undefined ? [] : [alg]
    }
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512']
    default:
      return []
  }
}

/**
 * The default locked list when none is configured: the narrowest common choice for the key type.
 * RSA defaults to RS256 only and HMAC to HS256 only, so that a token cannot pick a weaker or
 * unexpected variant; configure `algorithms` to accept more.
 */
export function defaultAlgorithmsForKey(key: KeyObject, declaredAlg?: string): Algorithm[] {
  const possible = algorithmsForKey(key)
  if (declaredAlg !== undefined) {
    return possible.includes(declaredAlg as Algorithm) ? [declaredAlg as Algorithm] : []
  }
  if (key.type === 'secret') return ['HS256']
  if (key.asymmetricKeyType === 'rsa') return ['RS256']
  if (key.asymmetricKeyType === 'rsa-pss') return ['PS256']
  return possible
}
