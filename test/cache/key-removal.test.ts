import type { KeyObject } from 'node:crypto'
import type { JWK } from 'jose'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAuthenticator } from '../../src/index.js'
import type { Authenticator } from '../../src/index.js'
import {
  ISSUER,
  bearer,
  cacheToken,
  countingClaims,
  ed25519Pair,
  movableClock,
  signToken,
} from './helpers.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import type { JwksServer } from '../helpers/jwks-server.js'

/** The loopback IdP; tests replace the key set it publishes to rotate keys. */
let idp: JwksServer
let jwksUrl: string

function jwk(publicKey: KeyObject, kid: string): JWK {
  return { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'EdDSA' }
}

beforeAll(async () => {
  idp = await startJwksServer([])
  jwksUrl = idp.url
})
afterAll(async () => {
  await idp.close()
})

/** The smallest cooldown allowed; jose's key set reads `Date.now()`, so only `Date` is faked. */
const COOLDOWN = 1_000
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
})
afterEach(() => {
  vi.useRealTimers()
})

function gate(): { authenticator: Authenticator; counter: ReturnType<typeof countingClaims> } {
  const counter = countingClaims()
  const authenticator = createAuthenticator({
    issuers: [
      {
        issuer: ISSUER,
        key: { jwksUrl, cooldown: COOLDOWN, cacheMaxAge: 600_000, staleIfError: 0 },
        claims: counter.schema,
      },
    ],
    clock: movableClock(),
  })
  return { authenticator, counter }
}

describe('verified-token cache: keys that leave the key set', () => {
  it('refuses a cached token once its key is removed from the JWKS', async () => {
    const one = ed25519Pair()
    const two = ed25519Pair()
    idp.setKeys([jwk(one.publicKey, 'k1')])
    const { authenticator, counter } = gate()
    const token = await signToken(one.privateKey, {}, { kid: 'k1' })
    await cacheToken(authenticator, token)
    await authenticator.authenticate(bearer(token))
    expect(counter.verifications).toBe(2)
    expect(authenticator.cacheSize).toBe(1)

    // The IdP rotates: k1 is withdrawn, k2 published. A token with the new kid makes the key set
    // refetch; from then on the cached k1 token must fail, although its cache entry is still live.
    idp.setKeys([jwk(two.publicKey, 'k2')])
    vi.setSystemTime(Date.now() + COOLDOWN + 1)
    const fresh = await signToken(two.privateKey, { jti: 'new' }, { kid: 'k2' })
    await expect(cacheToken(authenticator, fresh)).resolves.toBeDefined()
    expect(authenticator.cacheSize).toBe(2)

    await expect(authenticator.authenticate(bearer(token))).rejects.toMatchObject({
      code: 'ERR_AUTH_KEY_NOT_FOUND',
      status: 401,
    })
    expect(authenticator.cacheSize).toBe(1)
    await expect(authenticator.authenticate(bearer(token))).rejects.toMatchObject({
      code: 'ERR_AUTH_KEY_NOT_FOUND',
    })
  })

  it('refuses a cached token when its kid now names different key material', async () => {
    const old = ed25519Pair()
    const replacement = ed25519Pair()
    idp.setKeys([jwk(old.publicKey, 'k1')])
    const { authenticator, counter } = gate()
    const token = await signToken(old.privateKey, {}, { kid: 'k1' })
    await cacheToken(authenticator, token)
    expect(authenticator.cacheSize).toBe(1)

    idp.setKeys([jwk(replacement.publicKey, 'k1')])
    await authenticator.warmUp() // what a scheduled refresh does
    await expect(authenticator.authenticate(bearer(token))).rejects.toMatchObject({
      code: 'ERR_AUTH_SIGNATURE_INVALID',
      status: 401,
    })
    expect(counter.verifications).toBe(2)
    expect(authenticator.cacheSize).toBe(0)
  })

  it('keeps accepting a cached token whose key is still published after a refresh', async () => {
    const one = ed25519Pair()
    idp.setKeys([jwk(one.publicKey, 'k1')])
    const { authenticator, counter } = gate()
    const token = await signToken(one.privateKey, {}, { kid: 'k1' })
    await cacheToken(authenticator, token)
    expect(authenticator.cacheSize).toBe(1)
    await authenticator.warmUp()
    await expect(authenticator.authenticate(bearer(token))).resolves.toMatchObject({
      subject: 'alice',
    })
    // A refresh imports the keys anew, so the entry is verified once more against the new object.
    expect(counter.verifications).toBe(3)
    expect(authenticator.cacheSize).toBe(1)
    await authenticator.authenticate(bearer(token))
    expect(counter.verifications).toBe(3)
  })
})
