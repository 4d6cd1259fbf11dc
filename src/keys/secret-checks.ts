/**
 * Start-up checks of HMAC secrets. A public key is public, so an HMAC secret made of one lets
 * anybody MAC a token: such secrets are refused, whether given as PEM or JWK text, as (base64 of)
 * a DER public key or certificate, or as the bytes of a public key configured for any issuer; and
 * a secret shared by two issuers is refused too.
 * A secret that is plainly not random (see {@link weakSecretReason}) earns a warning.
 *
 * @module
 */
import { X509Certificate, createPublicKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { AuthConfigError } from '../errors.js'

/** A key imported at start-up, with the option path it came from. */
export interface ConfiguredKey {
  readonly option: string
  readonly key: KeyObject
}

const STD_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const BASE64URL = /^[A-Za-z0-9_-]+$/

/**
 * The byte strings a secret may stand for: its own bytes, and, when its text (whitespace removed,
 * as in wrapped `base64` output) is strict base64 or base64url, the decoded bytes.
 */
function secretReadings(bytes: Buffer): Buffer[] {
  const text = bytes.toString('latin1').replace(/\s+/g, '')
  const readings = [bytes]
  if (STD_BASE64.test(text) && text.length % 4 === 0) {
    const decoded = Buffer.from(text, 'base64')
    if (decoded.toString('base64') === text) readings.push(decoded)
  }
  if (BASE64URL.test(text)) {
    const decoded = Buffer.from(text, 'base64url')
    if (decoded.toString('base64url') === text) readings.push(decoded)
  }
  return readings
}

/** Whether the bytes are a public key in PEM, JWK, DER (SPKI or PKCS#1) or X.509 DER form. */
function isPublicKeyEncoding(bytes: Buffer): boolean {
  const text = bytes.toString('latin1')
  if (/-----BEGIN [A-Z ]*(PUBLIC KEY|CERTIFICATE)-----/.test(text) || /"kty"\s*:/.test(text)) {
    return true
  }
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      createPublicKey({ key: bytes, format: 'der', type })
      return true
    } catch {
      // not this encoding
    }
  }
  try {
    new X509Certificate(bytes)
    return true
  } catch {
    return false
  }
}

/** Refuses a secret whose bytes, or whose text decoded, are an encoded public key. */
export function refuseEncodedPublicKey(bytes: Buffer, option: string): void {
  if (secretReadings(bytes).some(isPublicKeyEncoding)) {
    throw new AuthConfigError(
      option,
      'looks like a public key; a public key is never an HMAC secret',
    )
  }
}

/** The byte forms a public key is commonly written in: SPKI DER and its raw public value. */
function publicKeyForms(key: KeyObject): Buffer[] {
  const forms = [key.export({ type: 'spki', format: 'der' })]
  // Node cannot export an RSA-PSS key as a JWK: such a key is compared by its SPKI bytes only.
  if (key.asymmetricKeyType === 'rsa-pss') return forms
  const jwk = key.export({ format: 'jwk' })
  const bytes = (value: string | undefined) => Buffer.from(value ?? '', 'base64url')
  if (jwk.kty === 'OKP') forms.push(bytes(jwk.x))
  if (jwk.kty === 'EC') forms.push(Buffer.concat([Buffer.of(4), bytes(jwk.x), bytes(jwk.y)]))
  if (jwk.kty === 'RSA') forms.push(bytes(jwk.n))
  return forms
}

/**
 * Refuses any configured secret that is, as bytes or as decoded text, the key of a public key
 * configured anywhere (ClusterCockpit's raw Ed25519 `JWT_PUBLIC_KEY` pasted as a secret, say).
 * Only keys known at start-up are compared; a remote JWKS is not fetched for this.
 */
export function refuseSecretsEqualToPublicKeys(keys: readonly ConfiguredKey[]): void {
  const publicForms = keys
    .filter(({ key }) => key.type === 'public')
    .flatMap(({ option, key }) => publicKeyForms(key).map((form) => ({ option, form })))
  for (const { option, key } of keys) {
    if (key.type !== 'secret') continue
    const secret = key.export()
    const match = publicForms.find(({ form }) =>
      secretReadings(secret).some((reading) => reading.equals(form)),
    )
    secret.fill(0)
    if (match !== undefined) {
      throw new AuthConfigError(
        option,
        `is the public key of "${match.option}"; a public key is never an HMAC secret`,
      )
    }
  }
}

/**
 * Refuses an HMAC secret that is, in any of its readings, another issuer's secret: whoever holds
 * one could mint tokens the other issuer's entry accepts (an issuer confusion). Each issuer has at
 * most one secret, so any two secrets belong to two issuers. The error names both options, never
 * the bytes.
 */
export function refuseSecretsSharedByIssuers(keys: readonly ConfiguredKey[]): void {
  const earlier: { option: string; readings: Buffer[] }[] = []
  try {
    for (const { option, key } of keys) {
      if (key.type !== 'secret') continue
      const readings = secretReadings(key.export())
      const twin = earlier.find((other) =>
        other.readings.some((theirs) => readings.some((ours) => ours.equals(theirs))),
      )
      earlier.push({ option, readings })
      if (twin !== undefined) {
        throw new AuthConfigError(
          option,
          `is the same secret as "${twin.option}"; each issuer needs its own secret`,
        )
      }
    }
  } finally {
    for (const { readings } of earlier) for (const reading of readings) reading.fill(0)
  }
}

/** Fewer distinct byte values than this is a tiny alphabet (random 32 bytes have about 30). */
const MIN_DISTINCT_BYTES = 8
/** A run of this many identical bytes is padding, not randomness. */
const MAX_RUN = 8

/** The weak-secret rule in words, for help texts: what {@link weakSecretReason} looks for. */
export const WEAK_SECRET_RULE =
  `fewer than ${MIN_DISTINCT_BYTES} distinct byte values, a run of ${MAX_RUN} identical bytes, ` +
  'or a pattern repeated throughout'

/** The code of the weak-secret warning, in the middleware's process warning and on the CLI. */
export const WEAK_SECRET_CODE = 'JWT_GATE_WEAK_SECRET'

/**
 * Why a secret is plainly not random, or undefined. The rule, shared by the middleware and the CLI,
 * is {@link WEAK_SECRET_RULE}. Random secrets (bytes, hex, base64 or decimal text) essentially
 * never match; a match is a warning, not a refusal.
 */
export function weakSecretReason(bytes: Uint8Array): string | undefined {
  const distinct = new Set(bytes).size
  if (distinct < MIN_DISTINCT_BYTES) {
    return `only ${distinct} distinct byte value${distinct === 1 ? '' : 's'}`
  }
  const run = longestRun(bytes)
  if (run >= MAX_RUN) return `a run of ${run} identical bytes`
  const period = shortestPeriod(bytes)
  if (period <= bytes.length / 2) {
    return `repeats a pattern of ${period} bytes`
  }
  return undefined
}

/** The warning for a weak secret, the same words in the middleware's warning and on the CLI. */
export function weakSecretWarning(subject: string, bytes: Uint8Array): string | undefined {
  const reason = weakSecretReason(bytes)
  return reason === undefined
    ? undefined
    : `${subject} looks weak: ${reason}; use at least 32 random bytes ` +
        '(jwt-gate keygen --alg HS256, or openssl rand -base64 32)'
}

function longestRun(bytes: Uint8Array): number {
  let longest = 0
  let current = 0
  for (let i = 0; i < bytes.length; i++) {
    current = i > 0 && bytes[i] === bytes[i - 1] ? current + 1 : 1
    longest = Math.max(longest, current)
  }
  return longest
}

/** The smallest p such that every byte equals the one p before it (the length when none). */
function shortestPeriod(bytes: Uint8Array): number {
  for (let period = 1; period < bytes.length; period++) {
    let repeats = true
    for (let i = period; i < bytes.length && repeats; i++) repeats = bytes[i] === bytes[i - period]
    if (repeats) return period
  }
  return bytes.length
}
