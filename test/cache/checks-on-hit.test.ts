import { describe, expect, it } from 'vitest'
import { createAuthenticator } from '../../src/index.js'
import type { AuthContext, RevocationStore } from '../../src/index.js'
import type { RevocationQuery } from '../../src/stores/types.js'
import { createMemoryUserStore } from '../../src/stores/memory.js'
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

/** A revocation store whose answer the test flips; it records every query it is asked. */
function flippableRevocation(): RevocationStore & { revoked: boolean; queries: RevocationQuery[] } {
  const store = {
    revoked: false,
    queries: [] as RevocationQuery[],
    isRevoked(query: RevocationQuery) {
      store.queries.push(query)
      return Promise.resolve(store.revoked)
    },
    revokeToken: () => Promise.resolve(),
    revokeSubject: () => Promise.resolve(),
  }
  return store
}

describe('verified-token cache: checks that a hit never skips', () => {
  it('asks the revocation store on every hit and refuses a token revoked after caching', async () => {
    const counter = countingClaims()
    const revocation = flippableRevocation()
    const authenticator = createAuthenticator({
      issuers: [{ issuer: ISSUER, key: { ed25519: pair.raw }, claims: counter.schema }],
      clock: movableClock(),
      revocation: { store: revocation },
    })
    const token = await signToken(pair.privateKey, { jti: 'j-1' })
    await cacheToken(authenticator, token)
    await authenticator.authenticate(bearer(token))
    expect(counter.verifications).toBe(2)
    expect(authenticator.cacheSize).toBe(1)
    expect(revocation.queries).toHaveLength(3)
    expect(revocation.queries[2]).toEqual({
      subject: 'alice',
      issuer: ISSUER,
      jti: 'j-1',
      issuedAt: 1_893_456_000,
      claims: expect.objectContaining({ sub: 'alice', jti: 'j-1', iss: ISSUER }),
    })

    revocation.revoked = true
    await expect(authenticator.authenticate(bearer(token))).rejects.toMatchObject({
      code: 'ERR_AUTH_TOKEN_REVOKED',
      status: 401,
    })
    expect(counter.verifications).toBe(2)
    expect(revocation.queries).toHaveLength(4)
  })

  it('answers 503 on a hit when the revocation store fails, never a pass', async () => {
    const revocation = flippableRevocation()
    const authenticator = createAuthenticator({
      issuers: [{ issuer: ISSUER, key: { ed25519: pair.raw } }],
      clock: movableClock(),
      revocation: { store: revocation },
    })
    const token = await signToken(pair.privateKey)
    await cacheToken(authenticator, token)
    expect(authenticator.cacheSize).toBe(1)
    revocation.isRevoked = () => Promise.reject(new Error('connection refused'))
    await expect(authenticator.authenticate(bearer(token))).rejects.toMatchObject({
      code: 'ERR_AUTH_STORE_UNAVAILABLE',
      status: 503,
    })
  })

  it('applies the user check on every hit: a user disabled after caching is refused', async () => {
    const counter = countingClaims()
    const users = createMemoryUserStore([{ username: 'alice', roles: ['user'] }])
    const authenticator = createAuthenticator({
      issuers: [{ issuer: ISSUER, key: { ed25519: pair.raw }, claims: counter.schema }],
      clock: movableClock(),
      users: { store: users },
    })
    const token = await signToken(pair.privateKey, { roles: ['admin'] })
    const first = (await cacheToken(authenticator, token)) as { roles: string[] } | undefined
    expect(first?.roles).toEqual(['user'])
    expect(authenticator.cacheSize).toBe(1)

    users.setUser({ username: 'alice', roles: ['user', 'auditor'] })
    const second = await authenticator.authenticate(bearer(token))
    expect(second?.roles).toEqual(['user', 'auditor'])
    expect(counter.verifications).toBe(2)

    users.setUser({ username: 'alice', roles: ['user'], disabled: true })
    await expect(authenticator.authenticate(bearer(token))).rejects.toMatchObject({
      code: 'ERR_AUTH_USER_DISABLED',
    })
    users.deleteUser('alice')
    await expect(authenticator.authenticate(bearer(token))).rejects.toMatchObject({
      code: 'ERR_AUTH_USER_UNKNOWN',
    })
    expect(counter.verifications).toBe(2)
  })

  it('hands out frozen claims and header, and fresh role and scope arrays per request', async () => {
    const authenticator = createAuthenticator({
      issuers: [{ issuer: ISSUER, key: { ed25519: pair.raw } }],
      clock: movableClock(),
    })
    const token = await signToken(pair.privateKey, {
      roles: ['user'],
      scope: 'read',
      profile: { team: 'blue', tags: ['a'] },
    })
    // The second verification is the one the cache keeps; the next request is served from it.
    const first = (await cacheToken(authenticator, token)) as AuthContext | undefined
    expect(authenticator.cacheSize).toBe(1)
    const claims = first!.claims as unknown as Record<string, unknown> & {
      profile: { tags: string[] }
    }
    expect(() => {
      claims.sub = 'mallory'
    }).toThrow(TypeError)
    expect(() => {
      claims.profile.tags.push('admin')
    }).toThrow(TypeError)
    expect(() => {
      ;(first!.header as Record<string, unknown>).alg = 'none'
    }).toThrow(TypeError)
    first!.roles.push('admin')
    first!.scopes.push('write')

    const second = await authenticator.authenticate(bearer(token))
    expect(second).not.toBe(first)
    expect(second!.subject).toBe('alice')
    expect(second!.claims).toMatchObject({ sub: 'alice', profile: { team: 'blue', tags: ['a'] } })
    expect(second!.header.alg).toBe('EdDSA')
    expect(second!.roles).toEqual(['user'])
    expect(second!.scopes).toEqual(['read'])
  })

  it('reports the source of each request, not of the request that filled the cache', async () => {
    const authenticator = createAuthenticator({
      issuers: [{ issuer: ISSUER, key: { ed25519: pair.raw } }],
      cookie: { name: 'session' },
      clock: movableClock(),
    })
    const token = await signToken(pair.privateKey)
    await authenticator.authenticate({ ...bearer(token), cookies: {} })
    // The second verification fills the cache; the cookie request below is a hit.
    const viaHeader = await authenticator.authenticate({ ...bearer(token), cookies: {} })
    expect(authenticator.cacheSize).toBe(1)
    const viaCookie = await authenticator.authenticate({
      headers: { cookie: `session=${token}` },
      cookies: { session: token },
    })
    expect(viaHeader?.source).toBe('header')
    expect(viaCookie?.source).toBe('cookie')
    expect(authenticator.cacheSize).toBe(1)
  })

  it('still refuses a malformed Authorization header around a cached token', async () => {
    const counter = countingClaims()
    const authenticator = createAuthenticator({
      issuers: [{ issuer: ISSUER, key: { ed25519: pair.raw }, claims: counter.schema }],
      clock: movableClock(),
    })
    const token = await signToken(pair.privateKey)
    await cacheToken(authenticator, token)
    expect(authenticator.cacheSize).toBe(1)
    // A cached token skips the header's syntax scan; anything more than the token does not.
    for (const value of [
      `Bearer ${token} extra`,
      `Bearer ${token},`,
      `Bearer ${token}, Basic YTpi`,
      `Bearer ${token}\t`,
      `Bearer ${token}\u00a0`,
      `Bearer ${token.slice(0, 20)} ${token.slice(20)}`,
    ]) {
      await expect(
        authenticator.authenticate({ headers: { authorization: value } }),
      ).rejects.toMatchObject({ code: 'ERR_AUTH_HEADER_MALFORMED', status: 400 })
    }
    await expect(authenticator.authenticate(bearer(token))).resolves.toMatchObject({
      subject: 'alice',
    })
    expect(counter.verifications).toBe(2)
  })
})
