import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createAuthenticator } from '../../src/index.js'
import type { AuthenticateOptions } from '../../src/index.js'
import {
  ISSUER,
  bearer,
  cacheToken,
  countingClaims,
  ed25519Pair,
  movableClock,
  signToken,
} from './helpers.js'

const pair = ed25519Pair()

function gate(cache: AuthenticateOptions['cache']) {
  const counter = countingClaims()
  const authenticator = createAuthenticator({
    issuers: [{ issuer: ISSUER, key: { ed25519: pair.raw }, claims: counter.schema }],
    clock: movableClock(),
    ...(cache === undefined ? {} : { cache }),
  })
  return { authenticator, counter }
}

async function tokens(count: number, padding = ''): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      signToken(pair.privateKey, { jti: `t-${i}`, ...(padding === '' ? {} : { padding }) }),
    ),
  )
}

describe('verified-token cache: bounds', () => {
  it('holds at most `max` entries and evicts the least recently used', async () => {
    const { authenticator, counter } = gate({ max: 3 })
    const [a, b, c, d] = (await tokens(4)) as [string, string, string, string]
    // Each token is admitted on its second verification.
    for (const token of [a, b, c]) await cacheToken(authenticator, token)
    await authenticator.authenticate(bearer(a)) // a becomes the most recent; b is now the oldest
    expect(counter.verifications).toBe(6)
    expect(authenticator.cacheSize).toBe(3)
    // The cache is full: d, admitted on its second verification, evicts b.
    await cacheToken(authenticator, d)
    expect(counter.verifications).toBe(8)
    expect(authenticator.cacheSize).toBe(3)
    await authenticator.authenticate(bearer(a))
    await authenticator.authenticate(bearer(c))
    await authenticator.authenticate(bearer(d))
    expect(counter.verifications).toBe(8)
    await authenticator.authenticate(bearer(b))
    expect(counter.verifications).toBe(9)
    expect(authenticator.cacheSize).toBe(3)
  })

  it('stays within `max` under a flood of distinct valid tokens, each used twice', async () => {
    const { authenticator } = gate({ max: 50 })
    for (const token of await tokens(300)) {
      await cacheToken(authenticator, token)
      expect(authenticator.cacheSize).toBeLessThanOrEqual(50)
    }
    expect(authenticator.cacheSize).toBe(50)
  })

  it('holds no token used only once, however many pass', async () => {
    const { authenticator, counter } = gate({ max: 50 })
    const all = await tokens(300)
    for (const token of all) await authenticator.authenticate(bearer(token))
    expect(counter.verifications).toBe(300)
    expect(authenticator.cacheSize).toBe(0)
  })

  it('stays within `maxBytes`, counting token and claims', async () => {
    const padding = 'x'.repeat(1000)
    const all = await tokens(20, padding)
    const length = all[0]!.length
    // Two entries of this size fit (token + claims estimate + overhead), a third does not.
    const perEntry = length * 4 + 512
    const { authenticator, counter } = gate({ maxBytes: perEntry * 2 + 100 })
    for (const token of all) {
      // Twice each: once the cache is full, a token is admitted on its second verification.
      await authenticator.authenticate(bearer(token))
      await authenticator.authenticate(bearer(token))
      expect(authenticator.cacheSize).toBeLessThanOrEqual(2)
    }
    expect(authenticator.cacheSize).toBe(2)
    const before = counter.verifications
    // The two most recent are served from the cache.
    await authenticator.authenticate(bearer(all[19]!))
    await authenticator.authenticate(bearer(all[18]!))
    expect(counter.verifications).toBe(before)
  })

  it('does not cache a token larger than the byte bound at all', async () => {
    const { authenticator, counter } = gate({ maxBytes: 1024 })
    const [big] = await tokens(1, 'y'.repeat(2000))
    await authenticator.authenticate(bearer(big!))
    await authenticator.authenticate(bearer(big!))
    expect(authenticator.cacheSize).toBe(0)
    expect(counter.verifications).toBe(2)
  })

  it('never caches failures: a flood of distinct invalid tokens leaves it empty', async () => {
    const { authenticator } = gate({ max: 10 })
    const other = generateKeyPairSync('ed25519').privateKey
    const valid = await signToken(pair.privateKey)
    const [header, payload] = valid.split('.') as [string, string]
    const codes = new Set<string>()
    for (let i = 0; i < 400; i++) {
      let token: string
      switch (i % 4) {
        case 0: // right shape, wrong key
          token = await signToken(other, { jti: `bad-${i}` })
          break
        case 1: // expired
          token = await signToken(pair.privateKey, { jti: `old-${i}`, iat: 1, exp: 2 })
          break
        case 2: // untrusted issuer
          token = await signToken(pair.privateKey, { jti: `iss-${i}`, iss: `https://evil/${i}` })
          break
        default: // garbage signature bytes
          token = `${header}.${payload}.${Buffer.from(`sig-${i}`).toString('base64url')}`
      }
      // Twice each: a valid token would be cached on its second verification.
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = await authenticator.authenticate(bearer(token)).then(
          () => undefined,
          (e: unknown) => e as { code: string },
        )
        expect(error).toBeDefined()
        codes.add(error!.code)
      }
    }
    expect([...codes].sort()).toEqual([
      'ERR_AUTH_ISSUER_UNTRUSTED',
      'ERR_AUTH_SIGNATURE_INVALID',
      'ERR_AUTH_TOKEN_EXPIRED',
    ])
    expect(authenticator.cacheSize).toBe(0)
  })

  it('is off with `cache: false`: every request is fully verified', async () => {
    const { authenticator, counter } = gate(false)
    const [token] = await tokens(1)
    for (let i = 0; i < 4; i++) await authenticator.authenticate(bearer(token!))
    expect(counter.verifications).toBe(4)
    expect(authenticator.cacheSize).toBe(0)
  })

  it('is on by default', async () => {
    const { authenticator, counter } = gate(undefined)
    const [token] = await tokens(1)
    for (let i = 0; i < 4; i++) await authenticator.authenticate(bearer(token!))
    // Verified twice (admitted on the second verification), then served from the cache.
    expect(counter.verifications).toBe(2)
    expect(authenticator.cacheSize).toBe(1)
  })

  it('empties on clearCache() and close()', async () => {
    const { authenticator, counter } = gate({ max: 10 })
    const [token] = await tokens(1)
    await cacheToken(authenticator, token!)
    expect(authenticator.cacheSize).toBe(1)
    authenticator.clearCache()
    expect(authenticator.cacheSize).toBe(0)
    // The admission filter was cleared too: the token starts over.
    await cacheToken(authenticator, token!)
    expect(counter.verifications).toBe(4)
    expect(authenticator.cacheSize).toBe(1)
    await authenticator.close()
    expect(authenticator.cacheSize).toBe(0)
  })
})
