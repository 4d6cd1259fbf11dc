/**
 * Signature verification with `node:crypto` on keys imported once at start-up.
 *
 * jose's verification runs through WebCrypto, which on Node costs up to ten times the raw
 * `node:crypto` verify (HMAC especially). Everything jose checks around the signature is already
 * done by jwt-gate before this point (compact form, header, locked algorithm, key choice), so only
 * the primitive remains, and it is held to the same rules as jose:
 * - the algorithm must fit the key type (and curve), never the other way round;
 * - signatures must have the exact length of the algorithm (ECDSA in IEEE P1363 form, never DER;
 *   RSA as long as the modulus; Ed25519 64 bytes);
 * - RSA-PSS uses a salt as long as the hash (RFC 7518 §3.5), as WebCrypto does;
 * - HMAC is compared in constant time (computed by `hmac.ts`, held equal to `createHmac()`).
 * `test/unit/verify-differential.test.ts` checks this path against jose's `compactVerify` on valid,
 * forged and malformed signatures for every algorithm.
 *
 * @module
 */
import { KeyObject, constants, createVerify, timingSafeEqual, verify } from 'node:crypto'
import { InvalidTokenError } from '../errors.js'
import { hmacLatin1 } from './hmac.js'
import type { HmacHash } from './hmac.js'
import type { VerifyKeyObjectInput, webcrypto } from 'node:crypto'
import type { VerificationKey } from '../keys/remote-jwks.js'
import { ALL_ALGORITHMS, allowedAlgorithm, keyFitsAlgorithm } from './algorithms.js'
import type { AlgorithmSpec } from './algorithms.js'

const HASH_BYTES = { sha256: 32, sha384: 48, sha512: 64 } as const

/** Keys fetched through jose arrive as CryptoKeys; each is converted once. */
const converted = new WeakMap<object, KeyObject>()

function toKeyObject(key: VerificationKey): KeyObject {
  if (key instanceof KeyObject) return key
  let keyObject = converted.get(key)
  if (keyObject === undefined) {
    keyObject = KeyObject.from(key as webcrypto.CryptoKey)
    converted.set(key, keyObject)
  }
  return keyObject
}

/**
 * The HMAC of the signing input (see `hmac.ts`), compared in constant time. The digest comes out as
 * a latin1 string and goes into a pooled Buffer, which costs less than a Buffer with its own backing
 * store per token.
 */
function checkHmac(key: KeyObject, hash: HmacHash, input: string, signature: Buffer): boolean {
  const mac = Buffer.from(hmacLatin1(key, hash, input), 'latin1')
  return mac.length === signature.length && timingSafeEqual(mac, signature)
}

/** The signing input as bytes (it is ASCII: the compact gate checked its alphabet). */
function asBytes(input: string): Buffer {
  return Buffer.from(input, 'latin1')
}

/**
 * RSA and ECDSA through the streaming Verify, fed the signing input as a string. On Node 20 it
 * costs less CPU time than the one-shot `verify()`, which copies input and signature into a job
 * and needs a Buffer of the input: RS256 went from about 94 % to about 98 % of fast-jwt's speed
 * in `bench/micro/alternate.ts` (docs/performance.md). Ed25519 has only the one-shot.
 */
function streamingVerify(
  hash: string,
  input: string,
  key: KeyObject | VerifyKeyObjectInput,
  signature: Buffer,
): boolean {
  return createVerify(hash).update(input, 'latin1').verify(key, signature)
}

function pssOptions(key: KeyObject, hash: keyof typeof HASH_BYTES): VerifyKeyObjectInput {
  return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_BYTES[hash] }
}

function checkPrimitive(
  key: KeyObject,
  spec: AlgorithmSpec,
  input: string,
  signature: Buffer,
): boolean {
  switch (spec.family) {
    case 'hmac':
      return checkHmac(key, spec.hash!, input, signature)
    case 'rsa':
    case 'pss': {
      const modulusBytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8)
      if (signature.length !== modulusBytes) return false
      const options = spec.family === 'rsa' ? key : pssOptions(key, spec.hash!)
      return streamingVerify(spec.hash!, input, options, signature)
    }
    case 'ec':
      if (signature.length !== spec.signatureLength) return false
      return streamingVerify(spec.hash!, input, { key, dsaEncoding: 'ieee-p1363' }, signature)
    case 'ed25519':
      if (signature.length !== spec.signatureLength) return false
      return verify(null, asBytes(input), key, signature)
  }
}

/**
 * Where the signing input ends: at the token's last dot. With the signature already decoded, its
 * canonical encoding is `ceil(4n / 3)` characters, which finds the dot without a search from the
 * end (a call into V8's runtime that cost more than the rest of this module). The position is
 * confirmed (a dot, none after it), never assumed; otherwise the search runs.
 */
function signingInputEnd(token: string, signature: Buffer | undefined): number {
  if (signature !== undefined) {
    const end = token.length - Math.ceil((signature.length * 4) / 3) - 1
    if (end >= 0 && token.charCodeAt(end) === 0x2e && token.indexOf('.', end + 1) === -1) {
      return end
    }
  }
  return token.lastIndexOf('.')
}

/**
 * Verifies the JWS signature of a token that passed the compact-form gate, with the algorithm
 * already checked against the issuer's locked list and the key chosen by the issuer's resolver.
 * Throws `ERR_AUTH_SIGNATURE_INVALID` (or `ERR_AUTH_ALG_NOT_ALLOWED` for an unknown algorithm).
 *
 * @param signature - the decoded signature segment, when the caller has it already.
 */
export function verifySignature(
  token: string,
  key: VerificationKey,
  alg: string,
  signature?: Buffer,
): void {
  // The issuer's lock was applied before the key lookup; this only makes sure the primitive is
  // never run for an algorithm outside the table, whoever calls it.
  const spec = allowedAlgorithm(alg, ALL_ALGORITHMS)
  const keyObject = toKeyObject(key)
  const lastDot = signingInputEnd(token, signature)
  let valid = false
  // A private key never verifies: keys are imported public, and this holds it here as well.
  if (keyObject.type !== 'private' && keyFitsAlgorithm(keyObject, spec)) {
    try {
      valid = checkPrimitive(
        keyObject,
        spec,
        token.slice(0, lastDot),
        signature ?? Buffer.from(token.slice(lastDot + 1), 'base64url'),
      )
    } catch {
      // OpenSSL refuses some malformed signatures by throwing rather than returning false.
      valid = false
    }
  }
  if (!valid) throw new InvalidTokenError('ERR_AUTH_SIGNATURE_INVALID', 'invalid signature')
}
