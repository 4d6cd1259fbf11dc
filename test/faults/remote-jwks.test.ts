/**
 * Remote JWKS faults against a controllable loopback endpoint: down at start, down after a warm
 * start (stale-if-error, then 503), slow, oversized or malformed answers, redirects, key rotation
 * (one fetch per new kid, shared by concurrent requests, no fetch storm from unknown kids) and a
 * key dropped from the set. The key cache (src/keys/refreshing.ts) runs on `Date.now()`, so only
 * `Date` is faked: the network and the fetch timeout use real timers.
 */
import { generateKeyPairSync } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { JWK } from 'jose'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AuthConfigError } from '../../src/index.js'
import type { AuthErrorCode } from '../../src/index.js'
import {
  expectPassed,
  expectAttackRejected,
  send,
  startServer,
} from '../attacks/helpers/harness.js'
import type { Answer, AttackServer } from '../attacks/helpers/harness.js'
import { ISSUER, NOW } from '../helpers/tokens.js'
import { AUDIENCE, tokenFor } from '../attacks/helpers/targets.js'
import type { Target } from '../attacks/helpers/targets.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import type { JwksServer } from '../helpers/jwks-server.js'

const TIMEOUT = 300
const COOLDOWN = 1_000
const MAX_AGE = 10_000
const STALE = 60_000
const T0 = new Date('2026-06-01T12:00:00Z').getTime()

interface Signer {
  kid: string
  privateKey: KeyObject
  jwk: JWK
}
function signer(kid: string): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return {
    kid,
    privateKey,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' },
  }
}
const k1 = signer('k1')
const k2 = signer('k2')
const k3 = signer('k3')

let jwks: JwksServer
let srv: AttackServer
let target: Target

function remoteTarget(url: string, remote: Record<string, number> = {}): Target {
  return {
    name: 'remote-jwks',
    alg: 'ES256',
    signingKey: k1.privateKey,
    kid: k1.kid,
    options: () => ({
      issuers: [
        {
          issuer: ISSUER,
          audience: AUDIENCE,
          key: {
            jwksUrl: url,
            timeout: TIMEOUT,
            cooldown: COOLDOWN,
            cacheMaxAge: MAX_AGE,
            staleIfError: STALE,
            ...remote,
          },
        },
      ],
      clock: () => NOW,
    }),
  }
}

/** A fresh token of the signer (ES256 signatures are randomised, so every call is distinct). */
const tokenOf = (s: Signer, kid = s.kid): string =>
  tokenFor(target, { key: s.privateKey, header: { kid } })

async function start(
  keys: JWK[],
  url?: string,
  remote: Record<string, number> = {},
): Promise<void> {
  jwks = await startJwksServer(keys)
  target = remoteTarget(url ?? jwks.url, remote)
  srv = await startServer(target)
}

/** 503 with Retry-After, the keys-unavailable code, promptly, and the handler did not run. */
function expectUnavailable(res: Answer, ranBefore: number): void {
  expect(srv.ran()).toBe(ranBefore)
  expect(res.status).toBe(503)
  expect(res.headers['retry-after']).toBe('5')
  expect(srv.lastRejection()?.code).toBe<AuthErrorCode>('ERR_AUTH_KEYS_UNAVAILABLE')
  expect(res.elapsed).toBeLessThan(TIMEOUT + 1_500)
}

async function request(s: Signer = k1): Promise<{ res: Answer; before: number }> {
  const before = srv.ran()
  return { res: await send(srv, { token: tokenOf(s) }), before }
}

/** V8's `gc()`, reached without starting the process with `--expose-gc`. */
function garbageCollector(): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

const at = (ms: number): void => {
  vi.setSystemTime(T0 + ms)
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  at(0)
})

afterEach(async () => {
  vi.useRealTimers()
  await srv?.close()
  await jwks?.close()
})

describe('remote JWKS down at start', () => {
  const modes = [
    ['HTTP 503', { kind: 'status', status: 503 }],
    ['HTTP 500', { kind: 'status', status: 500 }],
    ['HTTP 404', { kind: 'status', status: 404 }],
    ['connection reset', { kind: 'reset' }],
  ] as const
  for (const [label, mode] of modes) {
    it(`${label}: 503 ERR_AUTH_KEYS_UNAVAILABLE with Retry-After; normal service once it recovers`, async () => {
      await start([k1.jwk])
      jwks.setMode(mode)
      const down = await request()
      expectUnavailable(down.res, down.before)
      jwks.setMode({ kind: 'ok' })
      at(COOLDOWN + 1) // a failed endpoint is asked again only after the cooldown
      const up = await request()
      expectPassed(up.res, srv, up.before)
    })
  }

  // Regression: with no last-good keys every request used to fetch the dead endpoint again (and
  // wait the timeout when it hung).
  it('down at start: the dead endpoint is asked at most once per cooldown, later 503s come at once', async () => {
    await start([k1.jwk])
    jwks.setMode({ kind: 'hang' })
    const first = await request()
    expectUnavailable(first.res, first.before)
    // "At once" without a stopwatch: a later request that waited on the hung endpoint would have
    // had to ask it, and the endpoint counts every request it receives.
    for (let i = 0; i < 5; i++) {
      const { res, before } = await request()
      expectUnavailable(res, before)
      expect(jwks.hits()).toBe(1)
    }
  })

  it('connection refused (nothing listening): 503 promptly', async () => {
    const probe = await startJwksServer([])
    const deadUrl = probe.url
    await probe.close()
    await start([k1.jwk], deadUrl)
    const down = await request()
    expectUnavailable(down.res, down.before)
  })
})

describe('remote JWKS down after a warm start', () => {
  it('serves the last good keys for staleIfError, then answers 503, then recovers', async () => {
    await start([k1.jwk])
    const warm = await request()
    expectPassed(warm.res, srv, warm.before)
    expect(jwks.hits()).toBe(1)

    jwks.setMode({ kind: 'status', status: 503 })
    at(MAX_AGE + 1)
    const stale = await request()
    expectPassed(stale.res, srv, stale.before)
    expect(jwks.hits()).toBe(2)

    at(MAX_AGE + STALE - 1_000)
    const lastStale = await request()
    expectPassed(lastStale.res, srv, lastStale.before)

    at(MAX_AGE + STALE + 1_000)
    const expired = await request()
    expectUnavailable(expired.res, expired.before)

    jwks.setMode({ kind: 'ok' })
    at(MAX_AGE + STALE + 1_000 + COOLDOWN + 1) // asked again only after the cooldown
    const back = await request()
    expectPassed(back.res, srv, back.before)
  })

  // Regression: after cacheMaxAge every request used to refetch the failing endpoint (and wait
  // up to `timeout` when it hung) before falling back to the stale keys.
  it('a failing endpoint is retried at most once per cooldown while stale keys serve', async () => {
    await start([k1.jwk])
    const warm = await request()
    expectPassed(warm.res, srv, warm.before)
    jwks.setMode({ kind: 'status', status: 503 })
    at(MAX_AGE + 1)
    for (let i = 0; i < 20; i++) {
      const { res, before } = await request()
      expectPassed(res, srv, before)
    }
    expect(jwks.hits()).toBeLessThanOrEqual(2)
  })

  it('while serving stale keys, a kid the stale set lacks never passes', async () => {
    await start([k1.jwk])
    const warm = await request()
    expectPassed(warm.res, srv, warm.before)
    jwks.setKeys([k1.jwk, k2.jwk])
    jwks.setMode({ kind: 'status', status: 503 })
    at(MAX_AGE + 1)
    const { res, before } = await request(k2)
    expect(srv.ran()).toBe(before)
    expect([401, 503]).toContain(res.status)
  })

  it('a hanging endpoint after a warm start: stale keys are served within about the timeout', async () => {
    await start([k1.jwk])
    const warm = await request()
    expectPassed(warm.res, srv, warm.before)
    jwks.setMode({ kind: 'hang' })
    at(MAX_AGE + 1)
    const stale = await request()
    expectPassed(stale.res, srv, stale.before)
    expect(stale.res.elapsed).toBeLessThan(TIMEOUT + 1_500)
  })
})

describe('remote JWKS slow, oversized or malformed', () => {
  it('hangs: 503 within about the timeout', async () => {
    await start([k1.jwk])
    jwks.setMode({ kind: 'hang' })
    const { res, before } = await request()
    expectUnavailable(res, before)
    expect(res.elapsed).toBeGreaterThanOrEqual(TIMEOUT - 50)
  })

  it('trickles its body forever: 503 within about the timeout', async () => {
    await start([k1.jwk])
    jwks.setMode({ kind: 'slow-body', chunkEveryMs: 50 })
    const { res, before } = await request()
    expectUnavailable(res, before)
  })

  it('trickles its body while the garbage collector runs: still 503 within about the timeout', async () => {
    // A timeout signal that only a weak reference holds is dropped by a collection and never
    // fires; the fetch deadline must survive one.
    const collect = garbageCollector()
    const gcTimer = setInterval(collect, 20)
    try {
      await start([k1.jwk])
      jwks.setMode({ kind: 'slow-body', chunkEveryMs: 50 })
      const { res, before } = await request()
      expectUnavailable(res, before)
    } finally {
      clearInterval(gcTimer)
    }
  })

  for (const declareLength of [true, false]) {
    it(`answers more than 512 KiB (${declareLength ? 'Content-Length' : 'chunked'}): 503, and it is not adopted`, async () => {
      await start([k1.jwk])
      jwks.setMode({ kind: 'oversized', declareLength })
      const cold = await request()
      expectUnavailable(cold.res, cold.before)

      jwks.setMode({ kind: 'ok' })
      at(COOLDOWN + 1) // asked again only after the cooldown
      const warm = await request()
      expectPassed(warm.res, srv, warm.before)

      // An oversized answer carrying a new key: the key is not taken, the old set keeps serving.
      jwks.setKeys([k1.jwk, k2.jwk])
      jwks.setMode({ kind: 'oversized', declareLength })
      at(MAX_AGE + 1)
      const old = await request()
      expectPassed(old.res, srv, old.before)
      const fresh = await request(k2)
      expect(srv.ran()).toBe(fresh.before)
      expect([401, 503]).toContain(fresh.res.status)
    })
  }

  const bodies: [string, string, string?][] = [
    ['not JSON', 'not json'],
    ['an HTML error page with status 200', '<html><body>maintenance</body></html>', 'text/html'],
    ['an empty body', ''],
    ['keys is a string', '{"keys":"k1"}'],
    ['a JSON array', '[]'],
    ['keys holding numbers', '{"keys":[1,2]}'],
    ['truncated JSON', '{"keys":[{"kty":"EC"'],
  ]
  for (const [label, body, contentType] of bodies) {
    it(`answers ${label}: 503 at start, nothing passes`, async () => {
      await start([k1.jwk])
      jwks.setMode({ kind: 'body', body, ...(contentType === undefined ? {} : { contentType }) })
      const { res, before } = await request()
      expectUnavailable(res, before)
    })
  }

  it('answers a key set of broken keys: refused (401/503), never a pass or a 500', async () => {
    await start([k1.jwk])
    jwks.setMode({
      kind: 'body',
      body: JSON.stringify({ keys: [{ kty: 'EC', kid: 'k1', crv: 'P-256' }] }),
    })
    const { res, before } = await request()
    expect(srv.ran()).toBe(before)
    expect([401, 503]).toContain(res.status)
  })

  it('redirects to an attacker key set: not followed (503, the attacker host sees nothing)', async () => {
    const attacker = signer('k1')
    const evil = await startJwksServer([attacker.jwk])
    try {
      await start([k1.jwk])
      jwks.setMode({ kind: 'redirect', location: evil.url })
      const { res, before } = await request(attacker)
      expectUnavailable(res, before)
      expect(evil.hits()).toBe(0)
    } finally {
      await evil.close()
    }
  })
})

describe('remote JWKS key rotation', () => {
  it('a new kid is fetched once, concurrent requests share that fetch', async () => {
    await start([k1.jwk])
    const warm = await request()
    expectPassed(warm.res, srv, warm.before)
    expect(jwks.hits()).toBe(1)

    jwks.setKeys([k1.jwk, k2.jwk])
    at(COOLDOWN + 1)
    const before = srv.ran()
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => send(srv, { token: tokenOf(k2) })),
    )
    for (const res of answers) expect(res.status).toBe(200)
    expect(srv.ran()).toBe(before + 20)
    expect(jwks.hits()).toBe(2)

    // Known kids do not fetch again.
    await Promise.all(Array.from({ length: 10 }, () => send(srv, { token: tokenOf(k1) })))
    expect(jwks.hits()).toBe(2)
  })

  it('a new kid inside the cooldown is refused without a fetch, and accepted after it', async () => {
    await start([k1.jwk])
    await request()
    jwks.setKeys([k1.jwk, k3.jwk])
    at(COOLDOWN / 2)
    const early = await request(k3)
    expectAttackRejected(early.res, srv, early.before, ['ERR_AUTH_KEY_NOT_FOUND'])
    expect(jwks.hits()).toBe(1)
    at(COOLDOWN + 1)
    const later = await request(k3)
    expectPassed(later.res, srv, later.before)
    expect(jwks.hits()).toBe(2)
  })

  it('a flood of unknown kids cannot cause a fetch storm: at most one fetch per cooldown', async () => {
    await start([k1.jwk])
    await request()
    expect(jwks.hits()).toBe(1)

    const flood = async (n: number): Promise<void> => {
      const before = srv.ran()
      const answers = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          send(srv, { token: tokenOf(k1, `unknown-${i}-${Math.random()}`) }),
        ),
      )
      for (const res of answers) {
        expect(res.status).toBe(401)
        expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/)
      }
      expect(srv.ran()).toBe(before)
    }

    await flood(200)
    expect(jwks.hits()).toBe(1)
    for (let window = 1; window <= 3; window++) {
      at(window * (COOLDOWN + 1))
      await flood(100)
      expect(jwks.hits()).toBeLessThanOrEqual(1 + window)
    }
  })
})

// Regression (issue 21, point 7): `cooldown: 0` or `cacheMaxAge: 0` used to turn the unknown-kid
// throttle off, one fetch per request.
describe('remote JWKS throttle cannot be configured away', () => {
  const MIN = 1_000

  it.each([
    ['cooldown', 0],
    ['cooldown', MIN - 1],
    ['cacheMaxAge', 0],
    ['cacheMaxAge', MIN - 1],
  ])('%s: %i ms is refused at start-up', async (name, value) => {
    jwks = await startJwksServer([k1.jwk])
    let error: unknown
    try {
      srv = await startServer(remoteTarget(jwks.url, { [name]: value }))
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(AuthConfigError)
    expect((error as AuthConfigError).option).toBe(`issuers[0].key.${name}`)
    expect((error as AuthConfigError).message).toMatch(/at least 1000 ms/)
  })

  it('at the smallest cooldown and cacheMaxAge, a flood of unknown kids fetches once per second', async () => {
    await start([k1.jwk], undefined, { cooldown: MIN, cacheMaxAge: MIN })
    await request()
    const seconds = 3
    const stepsPerSecond = 5
    for (let step = 0; step < seconds * stepsPerSecond; step++) {
      at((step * MIN) / stepsPerSecond)
      const before = srv.ran()
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          send(srv, { token: tokenOf(k1, `unknown-${step}-${i}`) }),
        ),
      )
      for (const res of answers) expect(res.status).toBe(401)
      expect(srv.ran()).toBe(before)
    }
    // 150 requests over 3 s of clock: at most one fetch per started second, plus the first.
    expect(jwks.hits()).toBeLessThanOrEqual(1 + seconds)
  })
})

describe('remote JWKS drops a key', () => {
  it('tokens of the dropped key stop passing after the next refresh, cached ones too', async () => {
    await start([k1.jwk, k2.jwk])
    const cachedToken = tokenOf(k2)
    for (let i = 0; i < 2; i++) {
      const before = srv.ran()
      expectPassed(await send(srv, { token: cachedToken }), srv, before)
    }
    expect(srv.middleware.authenticator.cacheSize).toBeGreaterThan(0)

    jwks.setKeys([k1.jwk])
    at(MAX_AGE + 1)
    const cachedBefore = srv.ran()
    expectAttackRejected(await send(srv, { token: cachedToken }), srv, cachedBefore, [
      'ERR_AUTH_KEY_NOT_FOUND',
    ])
    const fresh = await request(k2)
    expectAttackRejected(fresh.res, srv, fresh.before, ['ERR_AUTH_KEY_NOT_FOUND'])
    const kept = await request(k1)
    expectPassed(kept.res, srv, kept.before)
  })

  it('an endpoint that starts answering an empty set: nothing passes', async () => {
    await start([k1.jwk])
    await request()
    jwks.setKeys([])
    at(MAX_AGE + 1)
    const { res, before } = await request()
    expectAttackRejected(res, srv, before, ['ERR_AUTH_KEY_NOT_FOUND'])
  })
})

describe('remote JWKS with keys that must not be used', () => {
  it('a 1024-bit RSA key in the set is never used (RFC 8725 §3.5, NIST SP 800-131A)', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const weakJwk = { ...weak.publicKey.export({ format: 'jwk' }), kid: 'weak', alg: 'RS256' }
    await start([k1.jwk, weakJwk])
    const before = srv.ran()
    const token = tokenFor(target, {
      header: { alg: 'RS256', kid: 'weak' },
      alg: 'RS256',
      key: weak.privateKey,
    })
    expectAttackRejected(await send(srv, { token }), srv, before, ['ERR_AUTH_KEY_NOT_FOUND'])
  })

  it('a symmetric (oct) key published in the set cannot verify HS256 tokens', async () => {
    const secret = Buffer.alloc(32, 7)
    await start([k1.jwk, { kty: 'oct', k: secret.toString('base64url'), kid: 'oct' }])
    const before = srv.ran()
    const token = tokenFor(target, {
      header: { alg: 'HS256', kid: 'oct' },
      alg: 'HS256',
      key: secret,
    })
    expectAttackRejected(await send(srv, { token }), srv, before, ['ERR_AUTH_ALG_NOT_ALLOWED'])
  })

  it('a key declared for one alg is not used with another (RFC 7517 §4.4)', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
    await start([{ ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rs', alg: 'RS256' }])
    const before = srv.ran()
    const token = tokenFor(target, {
      header: { alg: 'PS256', kid: 'rs' },
      alg: 'PS256',
      key: rsa.privateKey,
    })
    expectAttackRejected(await send(srv, { token }), srv, before, ['ERR_AUTH_KEY_NOT_FOUND'])
  })

  it('a key published for encryption (use: enc) is not used to verify (RFC 7517 §4.2)', async () => {
    const encKey = signer('enc')
    await start([k1.jwk, { ...encKey.jwk, use: 'enc' }])
    const before = srv.ran()
    expectAttackRejected(await send(srv, { token: tokenOf(encKey) }), srv, before, [
      'ERR_AUTH_KEY_NOT_FOUND',
    ])
  })

  it('a key whose key_ops exclude verify is not used (RFC 7517 §4.3)', async () => {
    const opsKey = signer('ops')
    const { use: _use, ...withoutUse } = opsKey.jwk
    await start([k1.jwk, { ...withoutUse, key_ops: ['encrypt'] }])
    const before = srv.ran()
    const res = await send(srv, { token: tokenOf(opsKey) })
    expect(srv.ran()).toBe(before)
    expect([401, 503]).toContain(res.status)
  })
})
