/**
 * Multi-tenant issuers (`issuerResolver`): two real OpenID Providers on loopback are two tenants
 * of one gate, found by the token's `iss` through the resolver. Time is the gate's clock option
 * (the providers mint tokens by the wall clock, valid 5 minutes), never a sleep.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import request from 'supertest'
import { SignJWT } from 'jose'
import { AuthConfigError, authenticate, createAuthenticator } from '../../src/index.js'
import type { AuthenticateOptions, IssuerOptions } from '../../src/index.js'
import { createTestApp } from '../helpers/app.js'
import { startOidcProvider } from '../helpers/oidc-provider.js'
import type { OidcProvider } from '../helpers/oidc-provider.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import type { JwksServer } from '../helpers/jwks-server.js'
import { expectRejected } from './expect.js'

const RESOURCE = 'https://api.example.org'

let a: OidcProvider
let b: OidcProvider
/** A loopback server standing in for an attacker's host; it counts what reaches it. */
let attacker: JwksServer

beforeAll(async () => {
  ;[a, b, attacker] = await Promise.all([
    startOidcProvider({ resources: [RESOURCE] }),
    startOidcProvider({ resources: [RESOURCE] }),
    startJwksServer([]),
  ])
})
afterAll(async () => {
  await Promise.all([a.close(), b.close(), attacker.close()])
})
afterEach(() => {
  vi.useRealTimers()
})

/** A tenant as its record in the app's tenant table would describe it. */
function tenantOf(op: OidcProvider): IssuerOptions {
  return {
    issuer: op.issuer,
    key: { jwksUrl: `${op.issuer}/jwks` },
    typ: ['at+jwt'],
    audience: RESOURCE,
  }
}

/** JWKS fetches each provider has served so far. */
const jwksHits = (): number => (a.hits.get('/jwks') ?? 0) + (b.hits.get('/jwks') ?? 0)

interface Setup {
  resolve?: (iss: string) => IssuerOptions | undefined | Promise<IssuerOptions | undefined>
  max?: number
  ttl?: number
  issuers?: IssuerOptions[]
}

/** A gate over a tenant table holding both providers; the clock starts at the wall clock. */
function setup(settings: Setup = {}) {
  const table = new Map([a, b].map((op) => [op.issuer, tenantOf(op)]))
  const asked: string[] = []
  const lines: string[] = []
  let now = Date.now()
  const resolve = settings.resolve ?? ((iss: string) => Promise.resolve(table.get(iss)))
  const options: AuthenticateOptions = {
    issuers: settings.issuers ?? [],
    issuerResolver: {
      resolve: (iss) => {
        asked.push(iss)
        return resolve(iss)
      },
      max: settings.max,
      ttl: settings.ttl,
    },
    clock: () => new Date(now),
  }
  // The test app passes its error-handler settings on as they are: the logger included.
  const errorHandler = { problemJson: true, logger: (line: string) => void lines.push(line) }
  const t = createTestApp(options, { errorHandler })
  const get = (token: string) =>
    request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
  return {
    t,
    get,
    table,
    asked,
    lines,
    advance: (seconds: number): void => {
      now += seconds * 1000
    },
  }
}

/** A token its provider would never mint: `iss` chosen by the test, signed with `op`'s key. */
function forge(op: OidcProvider, iss: string): Promise<string> {
  const { kid, privateKey } = op.key()
  const nowS = Math.floor(Date.now() / 1000)
  return new SignJWT({ sub: 'mallory', aud: RESOURCE, client_id: 'x', jti: 'j1' })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
    .setIssuer(iss)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + 120)
    .sign(privateKey)
}

describe('multi-tenant issuers', () => {
  it("accepts each tenant's tokens, asking the resolver once per tenant", async () => {
    const { t, get, asked } = setup()
    const [tokenA, tokenB] = await Promise.all([a.token(), b.token()])
    const resA = await get(tokenA)
    const resB = await get(tokenB)
    expect([resA.status, resB.status]).toEqual([200, 200])
    expect(resA.body.auth.issuer).toBe(a.issuer)
    expect(resB.body.auth.issuer).toBe(b.issuer)
    expect((await get(tokenA)).status).toBe(200)
    expect(asked).toEqual([a.issuer, b.issuer])
    expect(t.ran()).toBe(3)
  })

  it('refuses an unknown iss with 401, asks once, and fetches nothing from it', async () => {
    const { t, get, asked, advance } = setup()
    const hitsBefore = jwksHits()
    // The attacker's own host as iss: nothing may reach it, and no provider is asked for keys.
    const token = await forge(a, attacker.origin)
    for (let i = 0; i < 3; i++) {
      expectRejected(await get(token), t, 401, 'ERR_AUTH_ISSUER_UNTRUSTED')
    }
    expect(asked).toEqual([attacker.origin])
    expect(attacker.hits()).toBe(0)
    expect(jwksHits()).toBe(hitsBefore)
    // An unknown issuer is remembered for min(ttl, 30 s), then asked about again.
    advance(29)
    await get(token)
    expect(asked).toHaveLength(1)
    advance(2)
    await get(token)
    expect(asked).toHaveLength(2)
  })

  it('refuses (500) an answer for another issuer than the token names, and logs which option', async () => {
    // A resolver that normalises: trailing slash and case ignored, so it answers A's entry.
    const { t, get, table, lines } = setup({
      resolve: (iss) => Promise.resolve(table.get(iss.toLowerCase().replace(/\/$/, ''))),
    })
    const token = await forge(a, `${a.issuer}/`)
    expectRejected(await get(token), t, 500, 'ERR_AUTH_ISSUER_MISCONFIGURED')
    expect(lines.join('\n')).toContain('issuerResolver.resolve().issuer')
  })

  it("refuses (500) a tenant's own DPoP mode when the gate has no dpop option", async () => {
    const { t, get, lines } = setup({
      resolve: (iss) => (iss === a.issuer ? { ...tenantOf(a), dpop: 'required' } : undefined),
    })
    expectRejected(await get(await a.token()), t, 500, 'ERR_AUTH_ISSUER_MISCONFIGURED')
    expect(lines.join('\n')).toContain('issuerResolver.resolve().dpop')
  })

  it('refuses (500) a tenant with introspection, naming the option, and remembers nothing', async () => {
    const { t, get, lines, asked } = setup({
      resolve: (iss) =>
        iss === a.issuer
          ? {
              ...tenantOf(a),
              introspection: {
                endpoint: `${a.issuer}/token/introspection`,
                clientId: 'gate',
                clientSecret: 'a-client-secret-long-enough-for-basic',
                jwt: 'always',
              },
            }
          : undefined,
    })
    const token = await a.token()
    expectRejected(await get(token), t, 500, 'ERR_AUTH_ISSUER_MISCONFIGURED')
    expect(lines.join('\n')).toContain('issuerResolver.resolve().introspection')
    expect(lines.join('\n')).not.toContain('a-client-secret-long-enough-for-basic')
    // Never held: the next request asks again, and is refused again.
    expectRejected(await get(token), t, 500, 'ERR_AUTH_ISSUER_MISCONFIGURED')
    expect(asked).toHaveLength(2)
    // The introspection endpoint was never called.
    expect(a.hits.get('/token/introspection') ?? 0).toBe(0)
  })

  it('refuses (500) invalid options, and the log holds the option, never the secret', async () => {
    const secret = 'too-short-secret'
    const { t, get, lines, asked } = setup({
      resolve: (iss) => Promise.resolve({ issuer: iss, key: { secret } }),
    })
    const token = await forge(a, 'https://tenant.example.org')
    expectRejected(await get(token), t, 500, 'ERR_AUTH_ISSUER_MISCONFIGURED')
    expect(lines.join('\n')).toContain('issuerResolver.resolve().key')
    expect(lines.join('\n')).not.toContain(secret)
    // Not remembered: the answer may be fixed by the next request.
    expectRejected(await get(token), t, 500, 'ERR_AUTH_ISSUER_MISCONFIGURED')
    expect(asked).toHaveLength(2)
  })

  it('answers 503 when the resolver throws or rejects, and asks again next time', async () => {
    let calls = 0
    const { t, get } = setup({
      resolve: () => {
        calls++
        if (calls === 1) throw new Error('tenant database down')
        return Promise.reject(new Error('tenant database down'))
      },
    })
    const token = await a.token()
    for (let i = 0; i < 2; i++) {
      const res = await get(token)
      expectRejected(res, t, 503, 'ERR_AUTH_ISSUER_UNAVAILABLE')
      expect(res.headers['retry-after']).toBe('5')
    }
    expect(calls).toBe(2)
  })

  it('answers 503 when the resolver does not answer within its timeout', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    let called!: () => void
    const asking = new Promise<void>((resolve) => (called = resolve))
    const gate = createAuthenticator({
      issuers: [],
      issuerResolver: {
        resolve: () => {
          called()
          return new Promise<never>(() => undefined)
        },
        timeout: 2000,
      },
    })
    const token = await forge(a, 'https://slow-tenant.example.org')
    const outcome = gate.authenticate({ headers: { authorization: `Bearer ${token}` } })
    const settled = outcome.then(
      () => 'passed',
      (error: { status: number; code: string }) => `${error.status} ${error.code}`,
    )
    await asking
    await vi.advanceTimersByTimeAsync(1999)
    expect(await Promise.race([settled, Promise.resolve('pending')])).toBe('pending')
    await vi.advanceTimersByTimeAsync(1)
    expect(await settled).toBe('503 ERR_AUTH_ISSUER_UNAVAILABLE')
  })

  it('makes one resolver call and one key fetch for concurrent requests of a new tenant', async () => {
    // The answer is held back until every request is waiting for it.
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const asked: string[] = []
    const gate = createAuthenticator({
      issuers: [],
      issuerResolver: {
        resolve: async (iss) => {
          asked.push(iss)
          await held
          return tenantOf(b)
        },
      },
    })
    const token = await b.token()
    const hitsBefore = jwksHits()
    const outcomes = Array.from({ length: 20 }, () =>
      gate.authenticate({ headers: { authorization: `Bearer ${token}` } }),
    )
    expect(asked).toEqual([b.issuer])
    release()
    const contexts = await Promise.all(outcomes)
    expect(contexts.map((auth) => auth?.issuer)).toEqual(Array(20).fill(b.issuer))
    expect(asked).toEqual([b.issuer])
    expect(jwksHits() - hitsBefore).toBe(1)
  })

  it('keeps at most max tenants; a dropped tenant’s cached tokens are verified afresh', async () => {
    const { t, get, asked } = setup({ max: 1 })
    const [tokenA, tokenB] = await Promise.all([a.token(), b.token()])
    // Twice: the second verification puts A's token in the verified-token cache.
    await get(tokenA)
    await get(tokenA)
    await get(tokenB)
    expect(asked).toEqual([a.issuer, b.issuer])
    // B pushed A out: A's token, though cached, goes back to the resolver.
    expect((await get(tokenA)).status).toBe(200)
    expect(asked).toEqual([a.issuer, b.issuer, a.issuer])
    expect(t.ran()).toBe(4)
  })

  it('asks again after ttl, and a tenant the resolver dropped stops passing at once', async () => {
    const { t, get, table, asked, advance } = setup({ ttl: 60 })
    const token = await a.token()
    await get(token)
    await get(token)
    expect((await get(token)).status).toBe(200)
    expect(asked).toHaveLength(1)
    table.delete(a.issuer)
    advance(59)
    expect((await get(token)).status).toBe(200)
    const ran = t.ran()
    advance(1)
    const res = await get(token)
    expect({ status: res.status, code: res.body.code }).toEqual({
      status: 401,
      code: 'ERR_AUTH_ISSUER_UNTRUSTED',
    })
    expect(t.ran()).toBe(ran)
    expect(asked).toHaveLength(2)
  })

  it('refuses an absurdly long iss without asking the resolver', async () => {
    const { t, get, asked } = setup()
    const token = await forge(a, `https://t.example.org/${'a'.repeat(1100)}`)
    expectRejected(await get(token), t, 401, 'ERR_AUTH_ISSUER_UNTRUSTED')
    expect(asked).toEqual([])
  })

  it('never asks about a configured issuer', async () => {
    const { t, get, asked } = setup({ issuers: [tenantOf(a)] })
    expect((await get(await a.token())).status).toBe(200)
    expect(asked).toEqual([])
    expect(t.ran()).toBe(1)
  })

  it('refuses a tenant whose token typ its entry does not accept', async () => {
    const { t, get, table } = setup()
    table.set(a.issuer, { ...tenantOf(a), typ: undefined })
    expectRejected(await get(await a.token()), t, 401, 'ERR_AUTH_TOKEN_HEADER_INVALID')
  })
})

describe('issuerResolver option', () => {
  const resolve = () => undefined
  it('allows no static issuers with a resolver, and not without one', () => {
    expect(() => authenticate({ issuers: [], issuerResolver: { resolve } })).not.toThrow()
    expect(() => authenticate({ issuers: [] })).toThrow(AuthConfigError)
  })

  it.each([
    [{ resolve: 'x' }, 'issuerResolver.resolve'],
    [{ resolve, max: 0 }, 'issuerResolver.max'],
    [{ resolve, ttl: -1 }, 'issuerResolver.ttl'],
    [{ resolve, timeout: 60_001 }, 'issuerResolver.timeout'],
    [{ resolve, maxx: 1 }, 'issuerResolver.maxx'],
  ])('refuses %o at start-up, naming %s', (issuerResolver, option) => {
    expect(() => authenticate({ issuers: [], issuerResolver } as never)).toThrow(
      expect.objectContaining({ option }),
    )
  })
})

describe('a tenant under a gate with a resource (RFC 8707)', () => {
  /** A gate whose resource is `resource`, over tenant entries that name no audience. */
  function gateFor(resource: string) {
    const t = createTestApp(
      {
        issuers: [],
        resource,
        issuerResolver: {
          resolve: (iss) => {
            const op = [a, b].find((candidate) => candidate.issuer === iss)
            return op && { ...tenantOf(op), audience: undefined }
          },
        },
      },
      { errorHandler: { problemJson: true } },
    )
    return {
      t,
      get: (token: string) =>
        request(t.app).get('/protected').set('Authorization', `Bearer ${token}`),
    }
  }

  it("accepts a tenant's token for the gate's resource", async () => {
    const { t, get } = gateFor(RESOURCE)
    expect((await get(await a.token())).status).toBe(200)
    expect(t.ran()).toBe(1)
  })

  it("refuses a tenant's token minted for another resource: the resource is its audience", async () => {
    const { t, get } = gateFor('https://other.example.org/mcp')
    const res = await get(await a.token())
    expectRejected(res, t, 401, 'ERR_AUTH_AUDIENCE_INVALID')
    expect(t.ran()).toBe(0)
  })
})

describe('a tenant configured by discovery', () => {
  it("finds the tenant's keys through its discovery document, as for a static issuer", async () => {
    const before = a.hits.get('/.well-known/openid-configuration') ?? 0
    const { t, get } = setup({
      resolve: (iss) =>
        iss === a.issuer ? { ...tenantOf(a), key: { discovery: true } } : undefined,
    })
    const res = await get(await a.token())
    expect(res.status).toBe(200)
    expect(res.body.auth.issuer).toBe(a.issuer)
    expect(a.hits.get('/.well-known/openid-configuration') ?? 0).toBe(before + 1)
    expect(t.ran()).toBe(1)
  })

  it("refuses a token of the tenant's issuer signed by a key its discovered set lacks", async () => {
    const { t, get } = setup({
      resolve: (iss) =>
        iss === b.issuer ? { ...tenantOf(b), key: { discovery: true } } : undefined,
    })
    // Signed with provider a's key, claiming provider b as its issuer.
    const res = await get(await forge(a, b.issuer))
    expect(res.status).toBe(401)
    expect(t.ran()).toBe(0)
  })
})
