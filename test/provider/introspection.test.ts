/**
 * Issue 25, point 1, against a real OpenID Provider (oidc-provider on loopback, opaque access
 * tokens, its introspection endpoint found by discovery): an opaque token passes with its claims
 * in req.auth, an inactive or revoked one is a 401, both client authentications work, signed
 * answers (RFC 9701) are verified, two gates share answers through Redis, and 1,000 concurrent
 * requests with one token make one call (counted at the provider).
 *
 * The gate's clock is its own (an offset on the wall clock the provider uses), so a cache expiry
 * is a step of that clock, never a sleep.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createAuthenticator } from '../../src/index.js'
import type { AuthenticateOptions, IssuerOptions } from '../../src/index.js'
import { createMemoryRevocationStore } from '../../src/stores/memory.js'
import { createRedisIntrospectionCache } from '../../src/stores/redis/index.js'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  PRIVATE_KEY_JWT_CLIENT_ID,
  startOidcProvider,
} from '../helpers/oidc-provider.js'
import type { IntrospectionProviderOptions, OidcProvider } from '../helpers/oidc-provider.js'
import { expectPass, expectRefused, startGate } from './gate.js'
import { connectRedis, deleteKeys } from '../stores/redis-helpers.js'
import type { Gate } from './gate.js'

const RESOURCE = 'https://api.example.test/'
const INTROSPECTION_PATH = '/token/introspection'

let op: OidcProvider | undefined
const gates: Gate[] = []
const closing: (() => Promise<void>)[] = []
/** The gate's clock: the wall clock plus this offset, in ms. */
let offset = 0

afterEach(async () => {
  for (const gate of gates.splice(0)) await gate.middleware.close()
  for (const close of closing.splice(0)) await close()
  await op?.close()
  op = undefined
  offset = 0
})

async function provider(introspection: Partial<IntrospectionProviderOptions> = {}) {
  op = await startOidcProvider({
    resources: [RESOURCE],
    accessTokenTtl: 3600,
    introspection: {
      accessTokenFormat: 'opaque',
      extraTokenClaims: { sub: 'alice', roles: ['reader'] },
      ...introspection,
    },
  })
  return op
}

type Introspection = NonNullable<IssuerOptions['introspection']>

function options(introspection: Partial<Introspection> = {}): AuthenticateOptions {
  return {
    clock: () => new Date(Date.now() + offset),
    issuers: [
      {
        issuer: op!.issuer,
        audience: RESOURCE,
        key: { discovery: true, timeout: 1000 },
        introspection: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...introspection },
      },
    ],
  }
}

function gate(introspection: Partial<Introspection> = {}): Gate {
  const started = startGate(options(introspection))
  gates.push(started)
  return started
}

const calls = (): number => op!.hits.get(INTROSPECTION_PATH) ?? 0

describe('introspection of opaque tokens at a real provider', () => {
  it('accepts an opaque token, with its claims in req.auth, and asks once while the answer holds', async () => {
    await provider()
    const token = await op!.token()
    expect(token).not.toContain('.')
    const auth = createAuthenticator(options())
    closing.push(() => auth.close())
    const context = await auth.authenticate({ headers: { authorization: `Bearer ${token}` } })
    expect(context).toMatchObject({
      subject: 'alice',
      issuer: op!.issuer,
      roles: ['reader'],
      scopes: ['reports:read'],
      header: {},
      verifiedBy: 'introspection',
      claims: { sub: 'alice', client_id: CLIENT_ID, aud: RESOURCE, iss: op!.issuer },
    })
    expect(context?.claims).not.toHaveProperty('active')
    await auth.authenticate({ headers: { authorization: `Bearer ${token}` } })
    expect(calls()).toBe(1)
  })

  it('refuses an unknown token and a token revoked at the provider (401 invalid_token)', async () => {
    await provider()
    const g = gate({ cacheTtl: 30 })
    const token = await op!.token()
    await expectPass(g, token)
    await expectRefused(g, `${token}x`, 401, 'ERR_AUTH_TOKEN_INACTIVE')
    await op!.revoke(token)
    // Held for cacheTtl, then asked again: the provider now says inactive.
    await expectPass(g, token)
    offset = 31_000
    const res = await expectRefused(g, token, 401, 'ERR_AUTH_TOKEN_INACTIVE')
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"')
  })

  it('applies a revocation store to a held answer at once', async () => {
    await provider()
    const revocation = createMemoryRevocationStore()
    const g = startGate({ ...options(), revocation: { store: revocation } })
    gates.push(g)
    const token = await op!.token()
    await expectPass(g, token)
    await revocation.revokeSubject('alice', Math.floor(Date.now() / 1000) + 1, 3600)
    await expectRefused(g, token, 401, 'ERR_AUTH_TOKEN_REVOKED')
    expect(calls()).toBe(1)
  })

  it('authenticates with private_key_jwt (a fresh assertion per call)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'client-1', alg: 'ES256' }
    await provider({ clientJwk: { ...publicKey.export({ format: 'jwk' }), kid: 'client-1' } })
    const g = gate({
      clientId: PRIVATE_KEY_JWT_CLIENT_ID,
      clientSecret: undefined,
      clientKey: { jwk },
    })
    await expectPass(g, await op!.token())
    await expectPass(g, await op!.token())
    expect(calls()).toBe(2)
  })

  it('accepts signed answers (RFC 9701) when it requires them', async () => {
    await provider({ jwtIntrospection: true })
    const g = gate({ response: 'jwt' })
    await expectPass(g, await op!.token())
    expect(calls()).toBe(1)
  })

  it('shares answers between two gates through Redis: one call for both', async () => {
    await provider()
    const prefix = `jwt-gate-test:${randomUUID()}:`
    // Connected clients (as an app's would be), and A's write (best effort, after its answer) seen
    // in Redis before B asks: two instances that miss at the same moment each make a call.
    const clients = [await connectRedis(), await connectRedis()]
    const caches = clients.map((redis) => createRedisIntrospectionCache({ redis, prefix }))
    const [a, b] = caches.map((cache) => gate({ cache }))
    const token = await op!.token()
    await expectPass(a!, token)
    await vi.waitFor(async () => expect(await clients[0]!.keys(`${prefix}*`)).toHaveLength(1), {
      timeout: 2000,
      interval: 10,
    })
    await expectPass(b!, token)
    await expectPass(b!, token)
    expect(calls()).toBe(1)
    for (const redis of clients) {
      await deleteKeys(redis, prefix)
      redis.disconnect()
    }
  })

  it('makes one call for 1,000 concurrent requests with one token', async () => {
    await provider()
    const auth = createAuthenticator(options())
    closing.push(() => auth.close())
    const token = await op!.token()
    const request = { headers: { authorization: `Bearer ${token}` } }
    const results = await Promise.all(
      Array.from({ length: 1000 }, () => auth.authenticate(request)),
    )
    expect(results.every((context) => context?.subject === 'alice')).toBe(true)
    expect(calls()).toBe(1)
  })

  it('leaves opaque tokens refused (401) without an issuer that takes them', async () => {
    await provider()
    const g = gate({ opaque: false, jwt: 'always' })
    await expectRefused(g, await op!.token(), 401, 'ERR_AUTH_TOKEN_MALFORMED')
    expect(calls()).toBe(0)
  })
})
