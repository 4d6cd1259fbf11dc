/**
 * Ed25519 key helpers for the example: the raw-base64 format ClusterCockpit uses in `.env` files
 * (`JWT_PUBLIC_KEY`, `JWT_PRIVATE_KEY`) and the PEM files Node and OpenSSL write.
 *
 * @module
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { decodeStdBase64 } from '../../src/keys/import-key.js'

// DER prefixes of an Ed25519 SubjectPublicKeyInfo and PKCS#8 PrivateKeyInfo (RFC 8410): the raw
// 32 key bytes follow them directly.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/** A fresh Ed25519 key pair. */
export function generateEd25519KeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519')
}

/** The public key as standard base64 of its raw 32 bytes (`JWT_PUBLIC_KEY` format). */
export function rawPublicKeyBase64(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key
  const der = publicKey.export({ format: 'der', type: 'spki' })
  return der.subarray(SPKI_PREFIX.length).toString('base64')
}

/**
 * A private key from standard base64 of either the 32-byte seed or Go's 64-byte
 * `ed25519.PrivateKey` (seed followed by the public key), as ClusterCockpit's `gen-keypair` prints.
 * Returns `undefined` when the text is not such a key.
 */
export function privateKeyFromRawBase64(text: string): KeyObject | undefined {
  const bytes = decodeStdBase64(text)
  if (bytes === undefined || (bytes.length !== 32 && bytes.length !== 64)) return undefined
  const seed = bytes.subarray(0, 32)
  return createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  })
}

/** A public key from standard base64 of its raw 32 bytes, or `undefined` when malformed. */
export function publicKeyFromRawBase64(text: string): KeyObject | undefined {
  const bytes = decodeStdBase64(text)
  if (bytes?.length !== 32) return undefined
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, bytes]), format: 'der', type: 'spki' })
}
