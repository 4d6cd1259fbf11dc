/**
 * jwt-gate verifies signatures with node:crypto; this suite holds that path to jose's
 * `compactVerify` on the same tokens and keys: valid tokens, forged and malformed signatures, and
 * algorithm/key mismatches must get the same verdict from both, for every algorithm.
 */
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { CompactSign, compactVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { verifySignature } from '../../src/jws/verify.js'

interface Case {
  alg: string
  sign: KeyObject
  verifyKey: KeyObject
}

const ed = generateKeyPairSync('ed25519')
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' })
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const secret = createSecretKey(randomBytes(64))

const cases: Case[] = [
  { alg: 'EdDSA', sign: ed.privateKey, verifyKey: ed.publicKey },
  { alg: 'Ed25519', sign: ed.privateKey, verifyKey: ed.publicKey },
  { alg: 'ES256', sign: p256.privateKey, verifyKey: p256.publicKey },
  { alg: 'ES384', sign: p384.privateKey, verifyKey: p384.publicKey },
  { alg: 'ES512', sign: p521.privateKey, verifyKey: p521.publicKey },
  { alg: 'RS256', sign: rsa.privateKey, verifyKey: rsa.publicKey },
  { alg: 'RS512', sign: rsa.privateKey, verifyKey: rsa.publicKey },
  { alg: 'PS256', sign: rsa.privateKey, verifyKey: rsa.publicKey },
  { alg: 'PS384', sign: rsa.privateKey, verifyKey: rsa.publicKey },
  { alg: 'HS256', sign: secret, verifyKey: secret },
  { alg: 'HS512', sign: secret, verifyKey: secret },
]

async function joseVerdict(token: string, key: KeyObject, alg: string): Promise<boolean> {
  try {
    await compactVerify(token, key, { algorithms: [alg] })
    return true
  } catch {
    return false
  }
}

function gateVerdict(token: string, key: KeyObject, alg: string): boolean {
  try {
    verifySignature(token, key, alg)
    return true
  } catch (error) {
    expect(error).toMatchObject({ status: 401 })
    return false
  }
}

const b64 = (b: Buffer) => b.toString('base64url')

/** Signature variants a forger would try. */
function variants(token: string): string[] {
  const [h, p, s] = token.split('.') as [string, string, string]
  const sig = Buffer.from(s, 'base64url')
  const flipped = Buffer.from(sig)
  flipped[flipped.length - 1]! ^= 1
  const zero = Buffer.alloc(sig.length)
  const otherPayload = b64(Buffer.from(JSON.stringify({ sub: 'admin' })))
  const half = sig.length / 2
  const ff = Buffer.alloc(sig.length, 0xff)
  // ECDSA r || s with s replaced by a value >= the group order (all ones), and r = s = 0.
  const sHigh = Buffer.concat([sig.subarray(0, half), Buffer.alloc(half, 0xff)])
  return [
    `${h}.${p}.${b64(flipped)}`,
    `${h}.${p}.${b64(sig.subarray(0, sig.length - 1))}`,
    `${h}.${p}.${b64(Buffer.concat([sig, Buffer.from([0])]))}`,
    `${h}.${p}.${b64(zero)}`,
    `${h}.${p}.${b64(ff)}`,
    `${h}.${p}.${b64(sHigh)}`,
    `${h}.${otherPayload}.${s}`,
    `${h}.${p}.${b64(randomBytes(sig.length))}`,
  ]
}

describe('node:crypto signature path agrees with jose', () => {
  it.each(cases)(
    '$alg: valid, forged and malformed signatures',
    async ({ alg, sign, verifyKey }) => {
      const payload = Buffer.from(
        JSON.stringify({ sub: 'alice', n: randomBytes(8).toString('hex') }),
      )
      const token = await new CompactSign(payload).setProtectedHeader({ alg }).sign(sign)
      expect(gateVerdict(token, verifyKey, alg)).toBe(true)
      expect(await joseVerdict(token, verifyKey, alg)).toBe(true)
      for (const forged of variants(token)) {
        expect(gateVerdict(forged, verifyKey, alg)).toBe(await joseVerdict(forged, verifyKey, alg))
        expect(gateVerdict(forged, verifyKey, alg)).toBe(false)
      }
    },
  )

  it('refuses every key of the wrong type for the algorithm, as jose does', async () => {
    const token = await new CompactSign(Buffer.from('{}'))
      .setProtectedHeader({ alg: 'ES256' })
      .sign(p256.privateKey)
    for (const key of [p384.publicKey, rsa.publicKey, ed.publicKey, secret]) {
      expect(gateVerdict(token, key, 'ES256')).toBe(false)
      expect(await joseVerdict(token, key, 'ES256')).toBe(false)
    }
    // A public key's bytes used as an HMAC secret (key confusion).
    const pemSecret = createSecretKey(
      Buffer.from(rsa.publicKey.export({ type: 'spki', format: 'pem' })),
    )
    const confused = await new CompactSign(Buffer.from('{}'))
      .setProtectedHeader({ alg: 'HS256' })
      .sign(pemSecret)
    expect(gateVerdict(confused, rsa.publicKey, 'HS256')).toBe(false)
  })

  it('refuses DER-encoded ECDSA signatures (JWS uses IEEE P1363)', async () => {
    const { sign: derSign } = await import('node:crypto')
    const header = b64(Buffer.from(JSON.stringify({ alg: 'ES256' })))
    const payload = b64(Buffer.from('{"sub":"a"}'))
    const der = derSign('sha256', Buffer.from(`${header}.${payload}`), p256.privateKey)
    const token = `${header}.${payload}.${b64(der)}`
    expect(gateVerdict(token, p256.publicKey, 'ES256')).toBe(false)
    expect(await joseVerdict(token, p256.publicKey, 'ES256')).toBe(false)
  })

  it('refuses an Ed25519 signature with a non-canonical S (S + L)', async () => {
    const token = await new CompactSign(Buffer.from('{}'))
      .setProtectedHeader({ alg: 'EdDSA' })
      .sign(ed.privateKey)
    const [h, p, s] = token.split('.') as [string, string, string]
    const sig = Buffer.from(s, 'base64url')
    const L = (1n << 252n) + 27742317777372353535851937790883648493n
    let S = 0n
    for (let i = 31; i >= 0; i--) S = (S << 8n) | BigInt(sig[32 + i]!)
    let S2 = S + L
    const out = Buffer.from(sig)
    for (let i = 0; i < 32; i++) {
      out[32 + i] = Number(S2 & 0xffn)
      S2 >>= 8n
    }
    const forged = `${h}.${p}.${b64(out)}`
    expect(gateVerdict(forged, ed.publicKey, 'EdDSA')).toBe(false)
    expect(await joseVerdict(forged, ed.publicKey, 'EdDSA')).toBe(false)
  })

  it('converts CryptoKeys from a remote key set', async () => {
    const token = await new CompactSign(Buffer.from('{}'))
      .setProtectedHeader({ alg: 'RS256' })
      .sign(rsa.privateKey)
    const cryptoKey = await crypto.subtle.importKey(
      'jwk',
      rsa.publicKey.export({ format: 'jwk' }),
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      true,
      ['verify'],
    )
    expect(() => verifySignature(token, cryptoKey, 'RS256')).not.toThrow()
  })
})
