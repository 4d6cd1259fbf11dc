/**
 * A warm remote key set answers without a promise (issue 23: discovery and remote keys add nothing
 * to a cached request): a key the fresh set gave out before is handed out synchronously, so a
 * cached token takes the synchronous path, as with a static key. Once the set is stale the key set
 * is asked again (a promise), and a key that left the set stops the cached token. Only `Date` is
 * faked: the fetches are real, on loopback.
 */
import { generateKeyPairSync } from 'node:crypto'
import { SignJWT } from 'jose'
import type { JWK } from 'jose'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAuthenticatorInternals } from '../../src/pipeline/authenticator.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import type { JwksServer } from '../helpers/jwks-server.js'

const ISSUER = 'https://issuer.example.org'
const AUDIENCE = 'https://api.example.org'
const MAX_AGE = 60_000
const T0 = new Date('2026-06-01T12:00:00Z').getTime()

function signer(kid: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk: JWK = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }
  const token = () =>
    new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(T0 / 1000)
      .setExpirationTime(T0 / 1000 + 3600)
      .sign(privateKey)
  return { jwk, token }
}

let jwks: JwksServer
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(T0)
})
afterEach(async () => {
  vi.useRealTimers()
  await jwks?.close()
})

function gateOver(url: string) {
  return createAuthenticatorInternals({
    issuers: [
      {
        issuer: ISSUER,
        audience: AUDIENCE,
        key: { jwksUrl: url, cacheMaxAge: MAX_AGE, cacheMinAge: MAX_AGE },
      },
    ],
  })
}

const request = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

describe('a warm remote key set on the cached path', () => {
  it('serves a cached token synchronously while the set is fresh', async () => {
    const k1 = signer('k1')
    jwks = await startJwksServer([k1.jwk])
    const gate = gateOver(jwks.url)
    const token = await k1.token()
    await gate.authenticator.authenticate(request(token)) // fetches the set
    await gate.authenticateSyncWhenPossible(request(token)) // second verification: cached
    const hit = gate.authenticateSyncWhenPossible(request(token))
    expect(hit).not.toBeInstanceOf(Promise)
    expect((hit as { subject?: string } | undefined)?.subject).toBe('alice')
    expect(jwks.hits()).toBe(1)
    gate.authenticator.clearCache()
    await gate.authenticator.close()
  })

  it('asks the key set again once it is stale, and a key that left stops the cached token', async () => {
    const k1 = signer('k1')
    const k2 = signer('k2')
    jwks = await startJwksServer([k1.jwk])
    const gate = gateOver(jwks.url)
    const token = await k1.token()
    await gate.authenticator.authenticate(request(token))
    await gate.authenticator.authenticate(request(token))
    jwks.setKeys([k2.jwk]) // k1 rotated out at the provider
    vi.setSystemTime(T0 + MAX_AGE + 1)
    const stale = gate.authenticateSyncWhenPossible(request(token))
    expect(stale).toBeInstanceOf(Promise)
    await expect(stale).rejects.toMatchObject({ code: 'ERR_AUTH_KEY_NOT_FOUND' })
    expect(jwks.hits()).toBe(2)
    await gate.authenticator.close()
  })
})
