/**
 * Issue 23, points 1 and 2, against a real OpenID Provider (oidc-provider on loopback): an issuer
 * configured by its URL alone finds its keys by discovery, a token the provider issued passes, a
 * key rotation is picked up without a restart, an outage is ridden out on the last good keys and
 * then answered 503, the key set's `Cache-Control` is honoured, and a refresh happens before expiry.
 *
 * The cache runs on `Date.now()`, so only `Date` is faked (the provider, in this process, mints its
 * tokens on the same clock); the network and the fetch deadline use real timers.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AuthConfigError, createAuthenticator } from '../../src/index.js'
import type { AuthenticateOptions } from '../../src/index.js'
import type { ReadinessReport } from '../../src/pipeline/authenticator.js'
import { startOidcProvider } from '../helpers/oidc-provider.js'
import type { OidcProvider, OidcProviderOptions } from '../helpers/oidc-provider.js'
import { NOW, sign } from '../helpers/tokens.js'
import { expectPass, expectRefused, startGate } from './gate.js'
import type { Gate } from './gate.js'

const RESOURCE = 'https://api.example.test/'
const COOLDOWN = 1_000
const MAX_AGE = 60_000
const STALE = 120_000
const DAY_S = 86_400

let op: OidcProvider
let gate: Gate | undefined

const at = (ms: number): void => {
  vi.setSystemTime(NOW.getTime() + ms)
}

async function provider(options: Partial<OidcProviderOptions> = {}): Promise<OidcProvider> {
  // Tokens that outlive every step of a test, so an outage need not mint new ones.
  op = await startOidcProvider({ resources: [RESOURCE], accessTokenTtl: DAY_S, ...options })
  return op
}

function options(key: Record<string, unknown> = {}, issuer = op.issuer): AuthenticateOptions {
  return {
    issuers: [
      {
        issuer,
        audience: RESOURCE,
        // The provider's access tokens are RFC 9068 ones (typ at+jwt).
        typ: ['at+jwt'],
        key: {
          discovery: true,
          timeout: 500,
          cooldown: COOLDOWN,
          cacheMaxAge: MAX_AGE,
          staleIfError: STALE,
          ...key,
        },
      },
    ],
  }
}

const hits = (path: string): number => op.hits.get(path) ?? 0
const readiness = (): ReadinessReport => gate!.middleware.authenticator.readiness()

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  at(0)
})

afterEach(async () => {
  vi.useRealTimers()
  await gate?.middleware.close()
  gate = undefined
  await op?.close()
})

describe('discovery of a real OpenID Provider', () => {
  it('finds the keys from the issuer URL alone, lazily, and accepts the provider’s token', async () => {
    await provider()
    gate = startGate(options())
    // Nothing is fetched before the first token.
    expect(op.hits.size).toBe(0)
    expect(readiness()).toEqual({
      ready: false,
      issuers: [{ issuer: op.issuer, keysLoaded: false }],
    })

    await expectPass(gate, await op.token())
    expect(hits('/.well-known/openid-configuration')).toBe(1)
    expect(hits('/jwks')).toBe(1)
    expect(readiness()).toEqual({
      ready: true,
      issuers: [{ issuer: op.issuer, keysLoaded: true, lastFetch: new Date(NOW) }],
    })
  })

  it('refuses a token of the provider for another audience (401), the keys being found', async () => {
    await provider()
    gate = startGate(options())
    const res = await expectRefused(
      gate,
      await sign(op.key().privateKey, {
        alg: 'ES256',
        kid: op.key().kid,
        typ: 'at+jwt',
        claims: { iss: op.issuer, aud: 'https://other.example/' },
      }),
      401,
      'ERR_AUTH_AUDIENCE_INVALID',
    )
    expect(res.headers['www-authenticate']).toMatch(/invalid_token/)
  })

  it('picks up a key rotation without a restart: the new kid is fetched once', async () => {
    await provider()
    gate = startGate(options())
    const before = await op.token()
    await expectPass(gate, before)
    expect(hits('/jwks')).toBe(1)

    op.rotate()
    at(COOLDOWN + 1)
    const after = await op.token()
    await expectPass(gate, after)
    await expectPass(gate, after)
    expect(hits('/jwks')).toBe(2)
    // The old key left the provider's set with the refetch.
    await expectRefused(gate, before, 401, 'ERR_AUTH_KEY_NOT_FOUND')
  })

  it('provider down: the last good keys serve for staleIfError, then 503, then it recovers', async () => {
    await provider()
    gate = startGate(options())
    const token = await op.token()
    await expectPass(gate, token)

    op.down()
    at(MAX_AGE + 1)
    await expectPass(gate, token)
    expect(readiness().ready).toBe(true)
    expect(readiness().issuers[0]?.lastError).toMatch(/fetch failed|ECONNRESET|socket/)

    at(MAX_AGE + STALE + 1)
    await expectRefused(gate, token, 503, 'ERR_AUTH_KEYS_UNAVAILABLE')
    expect(readiness()).toMatchObject({ ready: false, issuers: [{ keysLoaded: false }] })

    op.up()
    at(MAX_AGE + STALE + 1 + COOLDOWN + 1)
    await expectPass(gate, token)
    expect(readiness()).toEqual({
      ready: true,
      issuers: [
        {
          issuer: op.issuer,
          keysLoaded: true,
          lastFetch: new Date(NOW.getTime() + MAX_AGE + STALE + COOLDOWN + 2),
        },
      ],
    })
  })

  it('provider down before the first token: 503 (never a pass), warmUp() names the option', async () => {
    await provider()
    const token = await op.token()
    op.down()
    gate = startGate(options())
    await expectRefused(gate, token, 503, 'ERR_AUTH_KEYS_UNAVAILABLE')
    expect(readiness().ready).toBe(false)
    expect(readiness().issuers[0]?.lastError).toMatch(/^discovery failed: /)
    at(COOLDOWN + 1)
    const warmUp = gate.middleware.warmUp()
    await expect(warmUp).rejects.toMatchObject({ code: 'ERR_AUTH_KEYS_UNAVAILABLE' })
    await expect(warmUp).rejects.toThrow(
      `'issuers[0].key.discovery' (issuer ${op.issuer}): could not fetch the key set`,
    )
  })

  it('a discovery document naming another issuer is not adopted: 503, its keys never fetched', async () => {
    await provider()
    // The configured issuer differs from the provider's by a trailing slash: both metadata URLs
    // answer with the provider's own `issuer`, which is not this one.
    const claimed = `${op.issuer}/`
    gate = startGate(options({}, claimed))
    const token = await sign(op.key().privateKey, {
      alg: 'ES256',
      kid: op.key().kid,
      typ: 'at+jwt',
      claims: { iss: claimed, aud: RESOURCE },
    })
    await expectRefused(gate, token, 503, 'ERR_AUTH_KEYS_UNAVAILABLE')
    expect(hits('/.well-known/openid-configuration')).toBe(1)
    expect(hits('/.well-known/oauth-authorization-server')).toBe(1)
    expect(hits('/jwks')).toBe(0)
    expect(readiness().issuers[0]?.lastError).toMatch(/"issuer" is .*not the configured issuer/)
  })
})

describe('readiness with several issuers', () => {
  it('ready only once every issuer has keys; static keys always have them', async () => {
    await provider()
    const base = options()
    gate = startGate({
      ...base,
      issuers: [
        ...base.issuers,
        {
          issuer: 'local',
          audience: RESOURCE,
          key: { secret: 'a-local-secret-of-at-least-32-bytes!' },
        },
      ],
    })
    expect(readiness()).toEqual({
      ready: false,
      issuers: [
        { issuer: op.issuer, keysLoaded: false },
        { issuer: 'local', keysLoaded: true },
      ],
    })
    await gate.middleware.warmUp()
    expect(readiness().ready).toBe(true)
    expect(readiness().issuers.map(({ keysLoaded }) => keysLoaded)).toEqual([true, true])
  })
})

describe('the key set follows the provider’s Cache-Control', () => {
  it('max-age=120 within the bounds: fresh for 120 s, not 60 s or 10 min', async () => {
    await provider({ jwksCacheControl: 'public, max-age=120' })
    gate = startGate(options({ cacheMinAge: 1_000, cacheMaxAge: 600_000 }))
    const token = await op.token()
    await expectPass(gate, token)
    expect(hits('/jwks')).toBe(1)
    at(90_000) // before 80 % of 120 s: no fetch at all
    await expectPass(gate, token)
    expect(hits('/jwks')).toBe(1)
    at(121_000)
    await expectPass(gate, token)
    expect(hits('/jwks')).toBe(2)
  })

  it('max-age above cacheMaxAge is held to cacheMaxAge', async () => {
    await provider({ jwksCacheControl: `max-age=${DAY_S}` })
    gate = startGate(options({ cacheMaxAge: MAX_AGE }))
    const token = await op.token()
    await expectPass(gate, token)
    at(MAX_AGE + 1)
    await expectPass(gate, token)
    expect(hits('/jwks')).toBe(2)
  })

  it('no-store is held to cacheMinAge', async () => {
    await provider({ jwksCacheControl: 'no-store' })
    gate = startGate(options({ cacheMinAge: 5_000 }))
    const token = await op.token()
    await expectPass(gate, token)
    at(3_000)
    await expectPass(gate, token)
    expect(hits('/jwks')).toBe(1)
    at(5_001)
    await expectPass(gate, token)
    expect(hits('/jwks')).toBe(2)
  })

  it('refreshes in the background before expiry: the request at 83 % does not wait for it', async () => {
    await provider({ jwksCacheControl: 'max-age=120' })
    gate = startGate(options({ cacheMaxAge: 600_000 }))
    const token = await op.token()
    await expectPass(gate, token)
    at(100_000)
    await expectPass(gate, token)
    // The refresh runs behind the answer; the set it brings is dated from its request.
    const refreshed = new Date(NOW.getTime() + 100_000)
    await vi.waitFor(() => expect(readiness().issuers[0]?.lastFetch).toEqual(refreshed), {
      timeout: 2_000,
      interval: 10,
    })
    expect(hits('/jwks')).toBe(2)
    // 130 s: past the first set's expiry, inside the refreshed one's life: no fetch, no wait.
    at(130_000)
    op.down()
    await expectPass(gate, token)
    expect(hits('/jwks')).toBe(2)
  })

  it('refreshes on a timer when no request comes', async () => {
    await provider()
    gate = startGate(options({ cacheMaxAge: 1_000, cacheMinAge: 1_000 }))
    await expectPass(gate, await op.token())
    expect(hits('/jwks')).toBe(1)
    // The timer runs on real time (80 % of 1 s); nothing else asks for the keys.
    await vi.waitFor(() => expect(hits('/jwks')).toBe(2), { timeout: 3_000, interval: 20 })
  })
})

describe('discovery is refused at start-up for an issuer it cannot use', () => {
  it.each([
    ['an http issuer that is not loopback', 'http://idp.example'],
    ['a relative issuer', 'idp.example'],
    ['an issuer with a query', 'https://idp.example/?tenant=1'],
    ['an issuer with a fragment', 'https://idp.example/#x'],
  ])('%s', (_, issuer) => {
    let error: unknown
    try {
      createAuthenticator({ issuers: [{ issuer, audience: 'api', key: { discovery: true } }] })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(AuthConfigError)
    expect((error as AuthConfigError).option).toBe('issuers[0].issuer')
    expect((error as AuthConfigError).message).toMatch(/discovery/)
  })

  it('the issuer without `iss` (null)', () => {
    expect(() =>
      createAuthenticator({
        issuers: [{ issuer: null, audience: 'api', key: { discovery: true } }],
      }),
    ).toThrow(/issuers\[0\]\.issuer/)
  })

  it('discovery: false, and cacheMinAge above cacheMaxAge', () => {
    const issuer = 'https://idp.example'
    expect(() =>
      createAuthenticator({
        issuers: [{ issuer, audience: 'api', key: { discovery: false as unknown as true } }],
      }),
    ).toThrow(/issuers\[0\]\.key\.discovery/)
    expect(() =>
      createAuthenticator({
        issuers: [
          {
            issuer,
            audience: 'api',
            key: { discovery: true, cacheMinAge: 5_000, cacheMaxAge: 2_000 },
          },
        ],
      }),
    ).toThrow(/issuers\[0\]\.key\.cacheMinAge.*must not exceed cacheMaxAge/)
  })
})
