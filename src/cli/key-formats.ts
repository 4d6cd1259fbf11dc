/**
 * Conversions between the key formats operators meet: PEM (SPKI, PKCS#8, X.509), JWK/JWKS and
 * ClusterCockpit's standard base64 of the raw Ed25519 bytes. Built on `node:crypto` key objects,
 * so every conversion goes through a parsed key and never through string surgery.
 *
 * Error messages name the problem, never the key material.
 *
 * @module
 */
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  createPublicKey,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto'
import { algorithmsForKey, decodeStdBase64 } from '../index.js'
import {
  ED25519_GO_PRIVATE_BYTES,
  ED25519_PUBLIC_BYTES,
  ed25519PublicKey,
  isPrivateKeyPem,
  rawEd25519PublicProblem,
} from '../keys/import-key.js'
import { CommandError } from './io.js'

// One rule for standard base64 and one table of algorithms per key type, shared with the
// middleware: the CLI re-exports the core's under the names its commands use.
export { decodeStdBase64 }
/** The JWS algorithms a key can be used with; the first is the default. Empty when none fits. */
export const algorithmsFor = algorithmsForKey

/** The public key formats `convert` speaks. */
export type PublicKeyFormat = 'pem' | 'jwk' | 'raw'

/** A public JWK as `convert` and `keygen` print it. */
export interface PublicJwk extends JsonWebKey {
  kid: string
  use: 'sig'
  alg?: string
}

/** DER of a PKCS#8 Ed25519 private key up to its 32-byte seed (RFC 8410 §7). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/** Guesses the format of a key text: JSON is a JWK, `-----BEGIN` is PEM, anything else raw. */
export function detectKeyFormat(text: string): PublicKeyFormat {
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) return 'jwk'
  if (trimmed.startsWith('-----BEGIN')) return 'pem'
  return 'raw'
}

/** Why a text is not ClusterCockpit-style base64, for error messages (never echoes the text). */
export function base64Problem(text: string): string {
  if (text.trim() !== text) return 'has leading or trailing whitespace'
  if (/[^A-Za-z0-9+/=_-]/.test(text)) return 'has characters outside standard base64'
  if (/[-_]/.test(text)) return 'uses the URL-safe alphabet; standard base64 (+ and /) is required'
  if (text.length % 4 !== 0) return 'is not padded to a multiple of 4 characters'
  return 'is not valid standard base64'
}

/** A public Ed25519 key from ClusterCockpit's raw base64 (`JWT_PUBLIC_KEY`). */
export function ed25519PublicFromRaw(base64: string): KeyObject {
  const bytes = decodeStdBase64(base64.trim())
  if (bytes === undefined) throw new CommandError(`raw key ${base64Problem(base64.trim())}`)
  const problem = rawEd25519PublicProblem(bytes)
  if (problem === 'private key') {
    throw new CommandError(
      'raw key is 64 bytes: that is a private key (JWT_PRIVATE_KEY); a public key has 32 bytes',
    )
  }
  if (problem === 'length') {
    throw new CommandError(`raw Ed25519 public key must be 32 bytes, got ${bytes.length}`)
  }
  return ed25519PublicKey(bytes)
}

/**
 * A private Ed25519 key from ClusterCockpit's raw base64 (`JWT_PRIVATE_KEY`): Go's 64-byte
 * `seed || public`, or just the 32-byte seed. A 64-byte key whose public half does not belong
 * to its seed is refused, since Go would sign with a key that does not match.
 */
export function ed25519PrivateFromRaw(base64: string): KeyObject {
  const bytes = decodeStdBase64(base64.trim())
  if (bytes === undefined) throw new CommandError(`raw private key ${base64Problem(base64.trim())}`)
  if (bytes.length !== ED25519_GO_PRIVATE_BYTES && bytes.length !== ED25519_PUBLIC_BYTES) {
    throw new CommandError(`raw Ed25519 private key must be 64 (or 32) bytes, got ${bytes.length}`)
  }
  const seed = bytes.subarray(0, ED25519_PUBLIC_BYTES)
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  })
  if (bytes.length === ED25519_GO_PRIVATE_BYTES) {
    const derived = rawPublicBytes(createPublicKey(key))
    if (!derived.equals(bytes.subarray(ED25519_PUBLIC_BYTES))) {
      throw new CommandError('raw private key: its public half does not match its seed')
    }
  }
  return key
}

/** The raw 32 public bytes of an Ed25519 key (public or private). */
function rawPublicBytes(key: KeyObject): Buffer {
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' })
  return Buffer.from(jwk.x ?? '', 'base64url')
}

/** ClusterCockpit's `JWT_PUBLIC_KEY` format: standard base64 of the raw 32 bytes. */
export function toRawPublic(key: KeyObject): string {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new CommandError(
      `raw base64 exists only for Ed25519 keys (ClusterCockpit's format); this is ${describeKey(key)}`,
    )
  }
  return rawPublicBytes(key).toString('base64')
}

/** ClusterCockpit's `JWT_PRIVATE_KEY` format: standard base64 of Go's 64-byte `seed || public`. */
export function toRawPrivate(key: KeyObject): string {
  if (key.asymmetricKeyType !== 'ed25519' || key.type !== 'private') {
    throw new CommandError('raw private keys exist only for Ed25519')
  }
  const seed = Buffer.from(key.export({ format: 'jwk' }).d ?? '', 'base64url')
  return Buffer.concat([seed, rawPublicBytes(key)]).toString('base64')
}

/** SPKI PEM of a public (or private) key's public half. */
export function toSpkiPem(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key
  return pub.export({ format: 'pem', type: 'spki' }).toString()
}

/** A public JWK with `kid` (the RFC 7638 thumbprint), `use: "sig"` and `alg` when unambiguous. */
export function toPublicJwk(key: KeyObject): PublicJwk {
  const pub = key.type === 'private' ? createPublicKey(key) : key
  const jwk = pub.export({ format: 'jwk' })
  const alg = unambiguousAlgorithm(pub)
  return { ...jwk, kid: jwkThumbprint(jwk), use: 'sig', ...(alg === undefined ? {} : { alg }) }
}

/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url): the hash of the required members in
 * lexicographic order, serialised without whitespace.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7638#section-3.2
 */
export function jwkThumbprint(jwk: JsonWebKey): string {
  const required: Record<string, string[]> = {
    EC: ['crv', 'kty', 'x', 'y'],
    OKP: ['crv', 'kty', 'x'],
    RSA: ['e', 'kty', 'n'],
    oct: ['k', 'kty'],
  }
  const members = required[jwk.kty ?? '']
  if (members === undefined) throw new CommandError('unsupported JWK key type (kty)')
  const canonical = JSON.stringify(
    Object.fromEntries(members.map((name) => [name, (jwk as Record<string, unknown>)[name]])),
  )
  return createHash('sha256').update(canonical).digest('base64url')
}

/** "Ed25519", "EC P-256", "RSA 2048 bits": for messages. */
export function describeKey(key: KeyObject): string {
  const type = key.asymmetricKeyType ?? 'unknown'
  const details = key.asymmetricKeyDetails
  if (type === 'ed25519') return 'Ed25519'
  if (type === 'ec') {
    const curve = details?.namedCurve ?? ''
    return `EC ${CURVE_NAMES[curve] ?? curve}`.trim()
  }
  if (type === 'rsa' || type === 'rsa-pss') {
    return `${type.toUpperCase()} ${details?.modulusLength ?? '?'} bits`
  }
  return type
}

/** OpenSSL's curve names as JOSE spells them. */
const CURVE_NAMES: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
}

/** `alg` for a JWK when the key type determines it (not for RSA, which has six). */
function unambiguousAlgorithm(key: KeyObject): string | undefined {
  const algs = algorithmsForKey(key)
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA'
  return algs.length === 1 ? algs[0] : undefined
}

/** Whether a PEM or JWK text holds private key material. */
export function isPrivateKeyText(text: string): boolean {
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as Record<string, unknown>
      return typeof parsed.d === 'string'
    } catch {
      return false
    }
  }
  return isPrivateKeyPem(trimmed)
}

/**
 * Parses a public key in the given format. Private keys (PEM or JWK) are accepted and reduced to
 * their public half; a JWKS with one key (or a `kid` to pick) is accepted for `jwk`.
 */
export function parsePublicKey(text: string, format: PublicKeyFormat, kid?: string): KeyObject {
  switch (format) {
    case 'raw':
      return ed25519PublicFromRaw(text.trim())
    case 'pem':
      return parsePemPublic(text)
    case 'jwk': {
      const key = importJwk(pickJwk(text, kid))
      return key.type === 'private' ? createPublicKey(key) : key
    }
  }
}

function parsePemPublic(text: string): KeyObject {
  const trimmed = text.trim()
  if (!trimmed.startsWith('-----BEGIN')) throw new CommandError('not a PEM text')
  try {
    if (trimmed.startsWith('-----BEGIN CERTIFICATE-----')) {
      return new X509Certificate(trimmed).publicKey
    }
    return createPublicKey(trimmed)
  } catch (err) {
    throw new CommandError(`cannot parse the PEM key (${cryptoReason(err)})`)
  }
}

/** Parses a private key from PEM (PKCS#8, SEC1, PKCS#1) or a private JWK. */
export function parsePrivateKey(text: string): KeyObject {
  const trimmed = text.trim()
  try {
    if (trimmed.startsWith('{')) {
      const jwk = pickJwk(trimmed)
      if (typeof jwk.d !== 'string') throw new CommandError('the JWK has no private part ("d")')
      return importJwk(jwk)
    }
    if (!trimmed.startsWith('-----BEGIN')) throw new CommandError('not a PEM or JWK private key')
    return createPrivateKey(trimmed)
  } catch (err) {
    if (err instanceof CommandError) throw err
    throw new CommandError(`cannot parse the private key (${cryptoReason(err)})`)
  }
}

/** A JSON key text as an object; the errors never quote the text (JSON.parse's would). */
function parseKeyJson(text: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new CommandError('not valid JSON')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CommandError('the JWK must be a JSON object')
  }
  return parsed as Record<string, unknown>
}

/** The JWKS of a JSON key text, `undefined` when the text is a single JWK. */
export function pickJwks(text: string): { keys: JsonWebKey[] } | undefined {
  const { keys } = parseKeyJson(text)
  if (keys === undefined) return undefined
  if (!Array.isArray(keys)) throw new CommandError('the JWKS "keys" member must be an array')
  return { keys: keys as JsonWebKey[] }
}

/** The one JWK of a JWK or JWKS text (the one with `kid` when given). */
export function pickJwk(text: string, kid?: string): JsonWebKey {
  const jwks = pickJwks(text)
  if (jwks === undefined) return parseKeyJson(text)
  const { keys } = jwks
  const candidates = keys.filter((k) => kid === undefined || (k as { kid?: unknown }).kid === kid)
  const [only] = candidates
  if (candidates.length !== 1 || only === undefined) {
    throw new CommandError(
      kid === undefined
        ? `the JWKS holds ${keys.length} keys; pick one with --kid`
        : `the JWKS holds ${candidates.length} keys with kid "${kid}"`,
    )
  }
  return only
}

function importJwk(jwk: JsonWebKey): KeyObject {
  if (jwk.kty === 'oct') {
    throw new CommandError('the JWK is a symmetric (HMAC) key, not an asymmetric key')
  }
  try {
    return typeof jwk.d === 'string'
      ? createPrivateKey({ key: jwk, format: 'jwk' })
      : createPublicKey({ key: jwk, format: 'jwk' })
  } catch (err) {
    throw new CommandError(`cannot import the JWK (${cryptoReason(err)})`)
  }
}

/** Node's crypto error code, which names the failure without quoting the input. */
function cryptoReason(err: unknown): string {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' ? code : 'invalid key'
}
