/**
 * ClusterCockpit's raw key format: standard base64 of the raw Ed25519 bytes, the 32-byte public
 * key (`JWT_PUBLIC_KEY`) and Go's 64-byte private key `seed || public` (`JWT_PRIVATE_KEY`).
 * Converting it is the CLI's job; whether a raw public key is acceptable is the library's, asked
 * through {@link rawPublicKeyProblem}.
 *
 * Error messages name the problem, never the key material.
 *
 * @module
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { CommandError } from './io.js'
import { problemOf, probeOptions, refusal } from './library.js'

/** Bytes of a raw Ed25519 public key, and of its seed (RFC 8032 §5.1.5). */
export const ED25519_KEY_BYTES = 32
/** Bytes of Go's raw Ed25519 private key, `seed || public`. */
export const GO_PRIVATE_KEY_BYTES = 64

/** DER of a PKCS#8 Ed25519 private key up to its 32-byte seed (RFC 8410 §7). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/**
 * Decodes canonical standard base64, as ClusterCockpit writes it (`base64.StdEncoding`); undefined
 * otherwise. Canonical means exactly what encoding the bytes gives back: no URL-safe characters,
 * no missing padding, no white space, no stray bits in the last character.
 */
export function decodeStdBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64')
  return bytes.toString('base64') === text ? bytes : undefined
}

/** Why a text is not ClusterCockpit-style base64, for error messages (never echoes the text). */
export function base64Problem(text: string): string {
  if (text.trim() !== text) return 'has leading or trailing whitespace'
  if (/[^A-Za-z0-9+/=_-]/.test(text)) return 'has characters outside standard base64'
  if (/[-_]/.test(text)) return 'uses the URL-safe alphabet; standard base64 (+ and /) is required'
  if (text.length % 4 !== 0) return 'is not padded to a multiple of 4 characters'
  return 'is not valid standard base64'
}

/** What is wrong with a raw public key: its base64, its length, or another refusal. */
export type RawKeyProblem =
  | { kind: 'base64'; detail: string }
  | { kind: 'length'; bytes: number }
  | { kind: 'refused'; detail: string }

/**
 * What is wrong with a raw Ed25519 public key (ClusterCockpit's `JWT_PUBLIC_KEY`), or undefined
 * when the library takes it as an issuer's `{ ed25519 }` key. The kinds let each command word it.
 */
export function rawPublicKeyProblem(text: string): RawKeyProblem | undefined {
  const bytes = decodeStdBase64(text)
  if (bytes === undefined) return { kind: 'base64', detail: base64Problem(text) }
  const refused = refusal(probeOptions({ ed25519: text }))
  if (refused === undefined) return undefined
  return bytes.length === ED25519_KEY_BYTES
    ? { kind: 'refused', detail: problemOf(refused) }
    : { kind: 'length', bytes: bytes.length }
}

/** A public Ed25519 key from ClusterCockpit's raw base64 (`JWT_PUBLIC_KEY`). */
export function ed25519PublicFromRaw(base64: string): KeyObject {
  const text = base64.trim()
  const problem = rawPublicKeyProblem(text)
  if (problem?.kind === 'base64') throw new CommandError(`raw key ${problem.detail}`)
  if (problem?.kind === 'refused') throw new CommandError(`raw key: ${problem.detail}`)
  if (problem?.kind === 'length') {
    throw new CommandError(
      problem.bytes === GO_PRIVATE_KEY_BYTES
        ? 'raw key is 64 bytes: that is a private key (JWT_PRIVATE_KEY); a public key has 32 bytes'
        : `raw Ed25519 public key must be 32 bytes, got ${problem.bytes}`,
    )
  }
  const x = Buffer.from(text, 'base64').toString('base64url')
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' })
}

/**
 * A private Ed25519 key from ClusterCockpit's raw base64 (`JWT_PRIVATE_KEY`): Go's 64-byte
 * `seed || public`, or just the 32-byte seed. A 64-byte key whose public half does not belong
 * to its seed is refused, since Go would sign with a key that does not match.
 */
export function ed25519PrivateFromRaw(base64: string): KeyObject {
  const bytes = decodeStdBase64(base64.trim())
  if (bytes === undefined) throw new CommandError(`raw private key ${base64Problem(base64.trim())}`)
  if (bytes.length !== GO_PRIVATE_KEY_BYTES && bytes.length !== ED25519_KEY_BYTES) {
    throw new CommandError(`raw Ed25519 private key must be 64 (or 32) bytes, got ${bytes.length}`)
  }
  const seed = bytes.subarray(0, ED25519_KEY_BYTES)
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  })
  if (bytes.length === GO_PRIVATE_KEY_BYTES) {
    const derived = rawPublicBytes(createPublicKey(key))
    if (!derived.equals(bytes.subarray(ED25519_KEY_BYTES))) {
      throw new CommandError('raw private key: its public half does not match its seed')
    }
  }
  return key
}

/** The raw 32 public bytes of an Ed25519 key (public or private). */
export function rawPublicBytes(key: KeyObject): Buffer {
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' })
  return Buffer.from(jwk.x ?? '', 'base64url')
}
