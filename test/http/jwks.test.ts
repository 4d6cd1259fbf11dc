import { afterEach, describe, expect, it, vi } from 'vitest'
import request from 'supertest'
import { createAuthenticator } from '../../src/index.js'
import { createTestApp } from '../helpers/app.js'
import { es256, jwkWithKid, rsa, rsaOther } from '../helpers/keys.js'
import { clock, ISSUER, sign } from '../helpers/tokens.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import type { JwksServer } from '../helpers/jwks-server.js'
import { expectRejected } from './expect.js'

let server: JwksServer | undefined
/** The smallest `cooldown` and `cacheMaxAge`; jose reads `Date.now()`, so only `Date` is faked. */
const MIN_MS = 1_000

afterEach(async () => {
  vi.useRealTimers()
  await server?.close()
  server = undefined
})

async function setup(remote: Record<string, unknown> = {}) {
  server = await startJwksServer([await jwkWithKid(rsa, 'rsa-1'), await jwkWithKid(es256, 'ec-1')])
  const t = createTestApp(
    {
      issuers: [
        { issuer: ISSUER, key: { jwksUrl: server.url, ...remote }, algorithms: ['RS256', 'ES256'] },
      ],
      clock,
    },
    { errorHandler: true },
  )
  return { t, server }
}

describe('remote JWKS', () => {
  it('verifies tokens by kid with keys fetched once', async () => {
    const { t, server } = await setup()
    const a = await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' })
    const b = await sign(es256.privateKey, { alg: 'ES256', kid: 'ec-1' })
    const [r1, r2, r3] = await Promise.all([
      request(t.app).get('/protected').set('Authorization', `Bearer ${a}`),
      request(t.app).get('/protected').set('Authorization', `Bearer ${b}`),
      request(t.app).get('/protected').set('Authorization', `Bearer ${a}`),
    ])
    expect([r1.status, r2.status, r3.status]).toEqual([200, 200, 200])
    expect(server.hits()).toBe(1)
  })

  it('rejects an unknown kid with 401 and refetches at most once within the cooldown', async () => {
    const { t, server } = await setup()
    await request(t.app)
      .get('/protected')
      .set('Authorization', `Bearer ${await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' })}`)
    for (let i = 0; i < 5; i++) {
      const token = await sign(rsaOther.privateKey, { alg: 'RS256', kid: `unknown-${i}` })
      const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
      expect(res.status).toBe(401)
      expect(res.body.code).toBe('ERR_AUTH_KEY_NOT_FOUND')
    }
    expect(server.hits()).toBeLessThanOrEqual(2)
  })

  it('answers 503 with Retry-After when the endpoint is down and no keys were ever fetched', async () => {
    const { t, server } = await setup()
    server.setMode({ kind: 'status', status: 500 })
    const token = await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' })
    const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
    expect(res.status).toBe(503)
    expect(res.headers['retry-after']).toBe('5')
    expect(res.body.code).toBe('ERR_AUTH_KEYS_UNAVAILABLE')
    expect(res.headers['www-authenticate']).toBeUndefined()
    expect(t.ran()).toBe(0)
  })

  it('answers 503 promptly when the endpoint hangs (timeout)', async () => {
    const { t, server } = await setup({ timeout: 200 })
    server.setMode({ kind: 'hang' })
    const token = await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' })
    const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
    expect(res.status).toBe(503)
    expect(t.ran()).toBe(0)
  })

  it('keeps serving the last good keys when the endpoint fails later (stale-if-error)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { t, server } = await setup({ cacheMaxAge: MIN_MS, cooldown: MIN_MS })
    const token = await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' })
    expect(
      (await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)).status,
    ).toBe(200)
    server.setMode({ kind: 'body', body: '{"keys": nope' })
    vi.setSystemTime(Date.now() + MIN_MS + 1)
    const other = await sign(es256.privateKey, { alg: 'ES256', kid: 'ec-1' })
    const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${other}`)
    expect(res.status).toBe(200)
    expect(server.hits()).toBeGreaterThan(1)
  })

  it('refuses a token signed by a key that left the JWKS, also once cached', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { t, server } = await setup({ cacheMaxAge: MIN_MS, cooldown: MIN_MS })
    const token = await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' })
    // Twice: the verified-token cache admits a token on its second verification.
    for (let i = 0; i < 2; i++) {
      expect(
        (await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)).status,
      ).toBe(200)
    }
    server.setKeys([await jwkWithKid(es256, 'ec-1')])
    vi.setSystemTime(Date.now() + MIN_MS + 1)
    const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
    expectRejected(
      { ...res, body: res.body } as never,
      { ran: () => 0 } as never,
      401,
      'ERR_AUTH_KEY_NOT_FOUND',
    )
    expect(t.ran()).toBe(2)
  })

  it('never uses an HMAC algorithm with JWKS keys', async () => {
    const { t } = await setup()
    const token = await sign('x'.repeat(40), { alg: 'HS256', kid: 'rsa-1' })
    const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
    expectRejected(res, t, 401, 'ERR_AUTH_ALG_NOT_ALLOWED')
  })
})

describe('warmUp() failures name the issuer option and the URL (issue 21, point 26)', () => {
  async function warmUpError(url: string): Promise<Error> {
    const gate = createAuthenticator({
      issuers: [
        { issuer: 'local', key: { pem: rsa.publicPem }, audience: 'api' },
        { issuer: ISSUER, key: { jwksUrl: url, timeout: 500 }, audience: 'api' },
      ],
    })
    try {
      await gate.warmUp()
    } catch (error) {
      return error as Error
    } finally {
      await gate.close()
    }
    throw new Error('warmUp() resolved')
  }

  it('an endpoint answering 500', async () => {
    server = await startJwksServer([])
    server.setMode({ kind: 'status', status: 500 })
    const error = await warmUpError(server.url)
    expect(error.message).toContain(`'issuers[1].key.jwksUrl' (${server.url})`)
    expect(error.message).toMatch(/could not fetch the key set/)
    expect(error).toMatchObject({ code: 'ERR_AUTH_KEYS_UNAVAILABLE' })
    expect(error.cause).toBeInstanceOf(Error)
    expect((error.cause as { code?: string }).code).toBe('ERR_JOSE_GENERIC')
  })

  it('nothing listening', async () => {
    const probe = await startJwksServer([])
    await probe.close()
    const error = await warmUpError(probe.url)
    expect(error.message).toContain(`'issuers[1].key.jwksUrl' (${probe.url})`)
    expect(error.message).toMatch(/ECONNREFUSED/)
    expect((error.cause as Error).message).toBe('fetch failed')
  })

  it('never shows the query of the URL', async () => {
    server = await startJwksServer([])
    server.setMode({ kind: 'status', status: 500 })
    const error = await warmUpError(`${server.url}?api_key=s3cr3t`)
    expect(error.message).toContain(`'issuers[1].key.jwksUrl' (${server.url})`)
    expect(error.message).not.toContain('s3cr3t')
  })
})
