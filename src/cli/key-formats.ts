/**
 * Conversions between the key formats operators meet: PEM (SPKI, PKCS#8, X.509), JWK/JWKS and
 * ClusterCockpit's standard base64 of the raw Ed25519 bytes (raw-keys.ts). Built on `node:crypto`
 * key objects, so every conversion goes through a parsed key and never through string surgery.
 *
 * Error messages name the problem, never the key material.
 *
 * @module
 */
import {
  X509Certificate,
  createPrivateKey,
  createPublicKey,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto'
import type { Algorithm } from '../index.js'
import { CommandError } from './io.js'
import { cryptoReason, hasPrivatePart, importJwk, jwkThumbprint, pickJwk } from './jwk.js'
import { algorithmsFittingKey } from './library.js'
import { ed25519PublicFromRaw, rawPublicBytes } from './raw-keys.js'

/**
 * The JWS algorithms the library accepts for a key (its public half); the first is the default.
 * Empty when none fits, or when the library refuses the key itself (an RSA key under 2048 bits).
 */
export function algorithmsFor(key: KeyObject): Algorithm[] {
  return algorithmsFittingKey({ pem: toSpkiPem(key) })
}

/** The public key formats `convert` speaks. */
export type PublicKeyFormat = 'pem' | 'jwk' | 'raw'

/** A public JWK as `convert` and `keygen` print it. */
export interface PublicJwk extends JsonWebKey {
  kid: string
  use: 'sig'
  alg?: string
}

/** Guesses the format of a key text: JSON is a JWK, `-----BEGIN` is PEM, anything else raw. */
export function detectKeyFormat(text: string): PublicKeyFormat {
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) return 'jwk'
  if (trimmed.startsWith('-----BEGIN')) return 'pem'
  return 'raw'
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
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA'
  const algs = algorithmsFor(key)
  return algs.length === 1 ? algs[0] : undefined
}

/**
 * Whether a PEM or JWK text holds private key material: a JWK with `d`, or a PEM that
 * `node:crypto` reads as a private key (or would, given the passphrase of an encrypted one).
 */
export function isPrivateKeyText(text: string): boolean {
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as Record<string, unknown>
      return hasPrivatePart(parsed)
    } catch {
      return false
    }
  }
  try {
    createPrivateKey(trimmed)
    return true
  } catch (err) {
    return PASSPHRASE_NEEDED.has(cryptoReason(err))
  }
}

/** How `node:crypto` says that a PEM is an encrypted private key (OpenSSL 3, older Node). */
const PASSPHRASE_NEEDED = new Set([
  'ERR_OSSL_CRYPTO_INTERRUPTED_OR_CANCELLED',
  'ERR_MISSING_PASSPHRASE',
])

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
      if (!hasPrivatePart(jwk)) throw new CommandError('the JWK has no private part ("d")')
      return importJwk(jwk)
    }
    if (!trimmed.startsWith('-----BEGIN')) throw new CommandError('not a PEM or JWK private key')
    return createPrivateKey(trimmed)
  } catch (err) {
    if (err instanceof CommandError) throw err
    throw new CommandError(`cannot parse the private key (${cryptoReason(err)})`)
  }
}
