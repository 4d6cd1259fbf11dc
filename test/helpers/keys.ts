/**
 * The one key generator of the tests, and the core tests' key material, generated once per test
 * file: one pair per algorithm family, plus an HMAC secret, in every format the key sources accept.
 * The attack suite builds its issuer's and attacker's keys with {@link keyPair} too.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { exportJWK } from 'jose'
import type { JWK } from 'jose'

/** A generated key pair with the public half in every format a key source accepts. */
export interface TestKeyPair {
  privateKey: KeyObject
  publicKey: KeyObject
  /** SPKI PEM text. */
  publicPem: string
  /** SPKI DER bytes. */
  publicDer: Buffer
  /** Public JWK (no kid). */
  publicJwk: JWK
}

function describe(privateKey: KeyObject, publicKey: KeyObject): TestKeyPair {
  return {
    privateKey,
    publicKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    publicDer: publicKey.export({ type: 'spki', format: 'der' }),
    publicJwk: publicKey.export({ format: 'jwk' }),
  }
}

/** A fresh key pair: Ed25519, EC P-256, or RSA 2048. */
export function keyPair(type: 'ed25519' | 'ec' | 'rsa'): TestKeyPair {
  if (type === 'ed25519') {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    return describe(privateKey, publicKey)
  }
  if (type === 'ec') {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    return describe(privateKey, publicKey)
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return describe(privateKey, publicKey)
}

export const ed25519 = keyPair('ed25519')
export const ed25519Other = keyPair('ed25519')
export const es256 = keyPair('ec')
export const rsa = keyPair('rsa')
export const rsaOther = keyPair('rsa')

/** ClusterCockpit's format (`JWT_PUBLIC_KEY`): standard base64 of the raw 32-byte Ed25519 public key. */
export function rawEd25519Base64(keyPair: TestKeyPair): string {
  return Buffer.from(keyPair.publicJwk.x!, 'base64url').toString('base64')
}

/** A 32-byte UTF-8 HMAC secret (Auth-O-Tron style). */
export const hmacSecret = 'a-test-secret-of-at-least-32-bytes!!'
export const hmacSecretBase64 = randomBytes(48).toString('base64')

/** The JWK export of a key pair with a kid, for JWKS documents. */
export async function jwkWithKid(keyPair: TestKeyPair, kid: string, alg?: string): Promise<JWK> {
  const jwk = await exportJWK(keyPair.publicKey)
  return { ...jwk, kid, ...(alg === undefined ? {} : { alg }) }
}
