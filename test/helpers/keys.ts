/**
 * Key material for the core tests, generated once per test file: one pair per algorithm family,
 * plus an HMAC secret, in every format the key sources accept.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { exportJWK } from 'jose'
import type { JWK } from 'jose'

export interface TestKeyPair {
  privateKey: KeyObject
  publicKey: KeyObject
  publicPem: string
  publicJwk: JWK
}

function describe(privateKey: KeyObject, publicKey: KeyObject): TestKeyPair {
  return {
    privateKey,
    publicKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    publicJwk: publicKey.export({ format: 'jwk' }),
  }
}

function pair(type: 'ed25519' | 'ec' | 'rsa'): TestKeyPair {
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

export const ed25519 = pair('ed25519')
export const ed25519Other = pair('ed25519')
export const es256 = pair('ec')
export const rsa = pair('rsa')
export const rsaOther = pair('rsa')

/** ClusterCockpit's format: standard base64 of the raw 32-byte Ed25519 public key. */
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
