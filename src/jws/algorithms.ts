/**
 * The algorithm table, and which JWS algorithms fit which key. Everything about an algorithm
 * (the `Algorithm` type, the lists, the key it needs, how its signature is checked) is read from
 * {@link ALGORITHMS}. The token's `alg` never chooses a key type: every issuer has a locked list,
 * checked against its keys at start-up and against the token before any key lookup.
 *
 * @module
 */
import type { KeyObject } from 'node:crypto'
import { InvalidTokenError } from '../errors.js'

/** How one algorithm verifies: its family, hash, key and (where fixed) signature length. */
export interface AlgorithmSpec {
  family: 'hmac' | 'rsa' | 'pss' | 'ec' | 'ed25519'
  hash: 'sha256' | 'sha384' | 'sha512' | null
  /** Node's `asymmetricKeyType` values that fit, or `secret` for HMAC. */
  keyTypes: readonly ('secret' | 'rsa' | 'rsa-pss' | 'ec' | 'ed25519')[]
  /** ECDSA curve, as Node names it. */
  curve?: 'prime256v1' | 'secp384r1' | 'secp521r1'
  /** Exact signature length in bytes, where the algorithm fixes it (RSA: the modulus length). */
  signatureLength?: number
}

/** Every algorithm jwt-gate verifies, asymmetric first (the order of SUPPORTED_ALGORITHMS). */
export const ALGORITHMS = {
  EdDSA: { family: 'ed25519', hash: null, keyTypes: ['ed25519'], signatureLength: 64 },
  Ed25519: { family: 'ed25519', hash: null, keyTypes: ['ed25519'], signatureLength: 64 },
  ES256: {
    family: 'ec',
    hash: 'sha256',
    keyTypes: ['ec'],
    curve: 'prime256v1',
    signatureLength: 64,
  },
  ES384: {
    family: 'ec',
    hash: 'sha384',
    keyTypes: ['ec'],
    curve: 'secp384r1',
    signatureLength: 96,
  },
  ES512: {
    family: 'ec',
    hash: 'sha512',
    keyTypes: ['ec'],
    curve: 'secp521r1',
    signatureLength: 132,
  },
  RS256: { family: 'rsa', hash: 'sha256', keyTypes: ['rsa'] },
  RS384: { family: 'rsa', hash: 'sha384', keyTypes: ['rsa'] },
  RS512: { family: 'rsa', hash: 'sha512', keyTypes: ['rsa'] },
  PS256: { family: 'pss', hash: 'sha256', keyTypes: ['rsa', 'rsa-pss'] },
  PS384: { family: 'pss', hash: 'sha384', keyTypes: ['rsa', 'rsa-pss'] },
  PS512: { family: 'pss', hash: 'sha512', keyTypes: ['rsa', 'rsa-pss'] },
  HS256: { family: 'hmac', hash: 'sha256', keyTypes: ['secret'] },
  HS384: { family: 'hmac', hash: 'sha384', keyTypes: ['secret'] },
  HS512: { family: 'hmac', hash: 'sha512', keyTypes: ['secret'] },
} as const satisfies Record<string, AlgorithmSpec>

/** JWS algorithms jwt-gate verifies. `none` is never among them. */
export type Algorithm = keyof typeof ALGORITHMS

/** The table's entry for `alg`, or undefined for an algorithm jwt-gate does not verify. */
function algorithmSpec(alg: string): AlgorithmSpec | undefined {
  return Object.hasOwn(ALGORITHMS, alg) ? ALGORITHMS[alg as Algorithm] : undefined
}

/**
 * The token-time `alg` rule: the header's algorithm must be in the issuer's locked list (which
 * start-up keeps inside the table). Returns the algorithm's table entry. The compact gate before it
 * only refuses a missing `alg` and `none`, as a matter of header form.
 */
export function allowedAlgorithm(alg: string, locked: ReadonlySet<string>): AlgorithmSpec {
  const spec = locked.has(alg) ? algorithmSpec(alg) : undefined
  if (spec === undefined) {
    throw new InvalidTokenError('ERR_AUTH_ALG_NOT_ALLOWED', 'algorithm not allowed')
  }
  return spec
}

/** Every algorithm jwt-gate can verify, asymmetric first. */
export const SUPPORTED_ALGORITHMS: readonly Algorithm[] = Object.keys(ALGORITHMS) as Algorithm[]
export const HMAC_ALGORITHMS: readonly Algorithm[] = SUPPORTED_ALGORITHMS.filter(
  (alg) => ALGORITHMS[alg].family === 'hmac',
)
export const ASYMMETRIC_ALGORITHMS: readonly Algorithm[] = SUPPORTED_ALGORITHMS.filter(
  (alg) => ALGORITHMS[alg].family !== 'hmac',
)
export const ALL_ALGORITHMS: ReadonlySet<string> = new Set(SUPPORTED_ALGORITHMS)

/** Minimum RSA modulus accepted (NIST SP 800-131A). */
export const MIN_RSA_BITS = 2048
/** Minimum HMAC secret length in bytes (RFC 7518 §3.2 asks for at least the hash size of HS256). */
export const MIN_SECRET_BYTES = 32

/**
 * Whether the key is of the kind the algorithm needs: a secret for HMAC; otherwise an asymmetric
 * key of the listed type and, for ECDSA, on the algorithm's curve. The one answer to "does this key
 * fit this alg", used at start-up (key import, locked lists) and before every signature check.
 */
export function keyFitsAlgorithm(key: KeyObject, spec: AlgorithmSpec): boolean {
  const type = key.type === 'secret' ? 'secret' : key.asymmetricKeyType
  if (type === undefined || !(spec.keyTypes as readonly string[]).includes(type)) return false
  return spec.curve === undefined || key.asymmetricKeyDetails?.namedCurve === spec.curve
}

/** Every algorithm the key can verify. An empty list means the key is unusable. */
export function algorithmsForKey(key: KeyObject): Algorithm[] {
  return SUPPORTED_ALGORITHMS.filter((alg) => keyFitsAlgorithm(key, ALGORITHMS[alg]))
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
