/**
 * Imports the static key sources (raw Ed25519, PEM, certificate, JWK, JWKS, HMAC secret) once, at
 * start-up, into `KeyObject`s. Anything weak, private or ambiguous is refused with an
 * {@link AuthConfigError} naming the option.
 *
 * @module
 */
import { X509Certificate, createPublicKey, createSecretKey } from 'node:crypto'
import type { KeyObject, JsonWebKey } from 'node:crypto'
import type { JSONWebKeySet, JWK } from 'jose'
import { AuthConfigError } from '../errors.js'
import { MIN_RSA_BITS, MIN_SECRET_BYTES, algorithmsForKey } from '../jws/algorithms.js'
import { WEAK_SECRET_CODE, refuseEncodedPublicKey, weakSecretWarning } from './secret-checks.js'
import { warnOnce } from '../warnings.js'

/** One imported verification key. */
export interface ImportedKey {
  key: KeyObject
  /** The JWK `kid`, when the source had one. */
  kid?: string
  /** The JWK `alg`, when the source declared one: the key is then usable with that alg only. */
  alg?: string
}

const STD_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** Decodes strict standard base64 (ClusterCockpit's `base64.StdEncoding`); undefined if not. */
export function decodeStdBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !STD_BASE64.test(text)) return undefined
  const bytes = Buffer.from(text, 'base64')
  return bytes.toString('base64') === text ? bytes : undefined
}

/** Bytes of a raw Ed25519 public key (RFC 8032), ClusterCockpit's `JWT_PUBLIC_KEY`. */
const ED25519_PUBLIC_BYTES = 32
/** Bytes of Go's raw Ed25519 private key, `seed || public` (ClusterCockpit's `JWT_PRIVATE_KEY`). */
const ED25519_GO_PRIVATE_BYTES = 64

/**
 * The raw Ed25519 public-key rule, its one home (the CLI asks the library through
 * `createAuthenticator`): 32 bytes; 64 bytes is Go's private key, given by mistake. Returns what is
 * wrong, or undefined when the bytes have the length of a public key.
 */
function rawEd25519PublicProblem(raw: Uint8Array): 'private key' | 'length' | undefined {
  if (raw.length === ED25519_GO_PRIVATE_BYTES) return 'private key'
  return raw.length === ED25519_PUBLIC_BYTES ? undefined : 'length'
}

/** The Ed25519 public key of 32 raw bytes (checked with {@link rawEd25519PublicProblem}). */
function ed25519PublicKey(raw: Buffer): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  })
}

/** Whether a text holds a PEM private key (any `-----BEGIN ... PRIVATE KEY-----` label). */
export function isPrivateKeyPem(text: string): boolean {
  return /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)
}

/** The members only a private JWK has (RFC 7518 §6.2.2 for EC and OKP, §6.3.2 for RSA). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'] as const

/**
 * Whether a JWK holds private key material: the one test of the library and the example app (a
 * symmetric `oct` key is a different refusal: it is a secret, not a private key). The CLI, built on
 * the public API, asks its own narrower question: whether `node:crypto` can import a JWK as private.
 */
export function isPrivateJwk(jwk: object): boolean {
  return PRIVATE_JWK_MEMBERS.some((member) => member in jwk)
}

/** Ed25519 public key from standard base64 of the raw 32 bytes. */
export function importEd25519Raw(base64: string, option: string): ImportedKey {
  const raw = decodeStdBase64(base64.trim())
  if (raw === undefined) throw new AuthConfigError(option, 'not standard base64')
  const problem = rawEd25519PublicProblem(raw)
  if (problem === 'private key') {
    throw new AuthConfigError(
      option,
      'this is a 64-byte Ed25519 private key; give the 32-byte public key',
    )
  }
  if (problem === 'length') {
    throw new AuthConfigError(option, `an Ed25519 public key has 32 bytes, got ${raw.length}`)
  }
  return { key: ed25519PublicKey(raw) }
}

/** SPKI `PUBLIC KEY` or X.509 `CERTIFICATE` PEM. Private keys are refused. */
export function importPem(pem: string, option: string): ImportedKey {
  const text = pem.trim()
  if (isPrivateKeyPem(text)) {
    throw new AuthConfigError(option, 'a private key was given; give the public key or certificate')
  }
  let key: KeyObject
  try {
    key = text.startsWith('-----BEGIN CERTIFICATE-----')
      ? new X509Certificate(text).publicKey
      : createPublicKey({ key: text, format: 'pem' })
  } catch {
    throw new AuthConfigError(option, 'not a PEM public key (SPKI) or X.509 certificate')
  }
  checkAsymmetricKey(key, option)
  return { key }
}

/**
 * One public JWK, whose members the options schema has checked. `oct` keys and private JWKs are
 * refused, and a declared `alg` must fit the key.
 */
export function importPublicJwk(jwk: JWK, option: string): ImportedKey {
  if (jwk.kty === 'oct') {
    throw new AuthConfigError(option, 'symmetric (oct) JWKs are not accepted; use { secret }')
  }
  if (isPrivateJwk(jwk)) {
    throw new AuthConfigError(option, 'a private JWK was given; give the public key')
  }
  let key: KeyObject
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
  } catch {
    throw new AuthConfigError(option, 'not a valid public JWK')
  }
  checkAsymmetricKey(key, option)
  const { kid, alg } = jwk
  if (alg !== undefined && !algorithmsForKey(key).some((fitting) => fitting === alg)) {
    throw new AuthConfigError(`${option}.alg`, 'does not fit the key type')
  }
  return { key, ...(kid === undefined ? {} : { kid }), ...(alg === undefined ? {} : { alg }) }
}

/** Every key of a JWKS document; `kid`s must be unique when present. */
export function importJwks(jwks: JSONWebKeySet, option: string): ImportedKey[] {
  const keys = jwks.keys.map((jwk, index) => importPublicJwk(jwk, `${option}.keys[${index}]`))
  const seen = new Set<string>()
  for (const [index, imported] of keys.entries()) {
    if (imported.kid === undefined) continue
    if (seen.has(imported.kid)) {
      throw new AuthConfigError(`${option}.keys[${index}].kid`, 'is used by two keys')
    }
    seen.add(imported.kid)
  }
  return keys
}

/**
 * HMAC secret; at least 32 bytes once decoded. A text secret is UTF-8 unless `encoding` says
 * `base64`, as in the CLI. Text that is also base64 of 32 bytes or more is ambiguous (Auth-O-Tron
 * would MAC its UTF-8 bytes, ClusterCockpit the decoded ones), so leaving `encoding` out then earns
 * a warning; stating it silences the warning.
 */
export function importSecret(
  secret: string | Uint8Array,
  encoding: 'utf8' | 'base64' | undefined,
  option: string,
): ImportedKey {
  const bytes = secretBytes(secret, encoding, `${option}.secret`)
  refuseEncodedPublicKey(bytes, `${option}.secret`)
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new AuthConfigError(
      `${option}.secret`,
      `is ${bytes.length} bytes; at least ${MIN_SECRET_BYTES} bytes are required`,
    )
  }
  const weak = weakSecretWarning(`"${option}.secret"`, bytes)
  if (weak !== undefined) warnOnce(WEAK_SECRET_CODE, `jwt-gate: ${weak}`)
  return { key: createSecretKey(bytes) }
}

/** The bytes of a secret: raw, or its text read as `encoding` says (UTF-8 when left out). */
function secretBytes(
  secret: string | Uint8Array,
  encoding: 'utf8' | 'base64' | undefined,
  option: string,
): Buffer {
  if (typeof secret !== 'string') return Buffer.from(secret)
  if (encoding !== 'base64') {
    if (encoding === undefined) warnIfAlsoBase64(secret, option)
    return Buffer.from(secret, 'utf8')
  }
  const decoded = decodeStdBase64(secret.trim())
  if (decoded === undefined) throw new AuthConfigError(option, 'not standard base64')
  return decoded
}

function warnIfAlsoBase64(secret: string, option: string): void {
  const decoded = decodeStdBase64(secret.trim())
  if (decoded === undefined || decoded.length < MIN_SECRET_BYTES) return
  warnOnce(
    'JWT_GATE_SECRET_ENCODING',
    `jwt-gate: "${option}" is read as UTF-8 (the default) but is also base64; set encoding: 'base64' if the issuer decodes it (ClusterCockpit), or encoding: 'utf8' to keep this reading`,
  )
}

function checkAsymmetricKey(key: KeyObject, option: string): void {
  if (algorithmsForKey(key).length === 0) {
    throw new AuthConfigError(option, `unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`)
  }
  const bits = key.asymmetricKeyDetails?.modulusLength
  if (bits !== undefined && bits < MIN_RSA_BITS) {
    throw new AuthConfigError(
      option,
      `RSA key of ${bits} bits; at least ${MIN_RSA_BITS} are required`,
    )
  }
}
