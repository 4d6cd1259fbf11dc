/**
 * CORS preflights: a browser sends `OPTIONS` with `Origin` and `Access-Control-Request-Method`, and
 * never credentials, before a cross-origin request that needs one. An app-wide gate lets such a
 * preflight through, anonymous, to the CORS handler (mounted before or after it), unless
 * `corsPreflight: 'authenticate'`. Any other OPTIONS request is gated as before.
 */
import { describe, expect, it } from 'vitest'
import request from 'supertest'
import type { RequestHandler } from 'express'
import { APP_SETUPS, expressOf } from '../helpers/app.js'
import type { TestApp } from '../helpers/app.js'
import { ed25519, rawEd25519Base64 } from '../helpers/keys.js'
import { clock, ISSUER, sign } from '../helpers/tokens.js'
import { authenticate, authErrorHandler, declareRequestAuth, requireAuth } from '../../src/index.js'
import type { AuthenticateOptions } from '../../src/index.js'
import { expectRejected } from './expect.js'

const FRONT_END = 'https://app.example.org'
const gateOptions: AuthenticateOptions = {
  issuers: [{ issuer: ISSUER, key: { ed25519: rawEd25519Base64(ed25519) } }],
  clock,
}

/** What the `cors` package does by default: answer a preflight itself, decorate other requests. */
const corsHandler: RequestHandler = (req, res, next) => {
  res.set('Access-Control-Allow-Origin', FRONT_END)
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
    res
      .set('Access-Control-Allow-Methods', 'GET,POST')
      .set('Access-Control-Allow-Headers', 'authorization')
    res.sendStatus(204)
    return
  }
  next()
}

describe.each(APP_SETUPS)('CORS preflights on %s (req.auth declared: %s)', (version, declared) => {
  function build(
    options: Partial<AuthenticateOptions> = {},
    order: 'cors after the gate' | 'cors before the gate' = 'cors after the gate',
  ): TestApp {
    const factory = expressOf(version)
    const app = factory()
    let runs = 0
    if (declared) declareRequestAuth(app)
    const gate = authenticate({ ...gateOptions, ...options })
    if (order === 'cors after the gate') app.use(gate).use('/api', corsHandler)
    else app.use('/api', corsHandler).use(gate)
    app.options('/guarded', requireAuth(), (_req, res) => res.sendStatus(204))
    app.all('/api/jobs', (req, res) => {
      runs++
      res.json({ method: req.method, subject: req.auth?.subject ?? null })
    })
    app.use(authErrorHandler())
    return { app, ran: () => runs }
  }
  const preflight = (t: TestApp, path = '/api/jobs') =>
    request(t.app)
      .options(path)
      .set('Origin', FRONT_END)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization')

  it.each(['cors after the gate', 'cors before the gate'] as const)(
    'a preflight reaches the CORS handler (%s)',
    async (order) => {
      const t = build({}, order)
      const res = await preflight(t)
      expect({
        status: res.status,
        origin: res.headers['access-control-allow-origin'],
        challenge: res.headers['www-authenticate'],
      }).toEqual({ status: 204, origin: FRONT_END, challenge: undefined })
      expect(t.ran()).toBe(0)
    },
  )

  it('the real request after the preflight is gated as before', async () => {
    const t = build()
    const anonymous = await request(t.app).post('/api/jobs').set('Origin', FRONT_END)
    expectRejected(anonymous, t, 401, 'ERR_AUTH_TOKEN_MISSING', 'Bearer realm="api"')
    const token = await sign(ed25519.privateKey)
    const res = await request(t.app)
      .post('/api/jobs')
      .set('Origin', FRONT_END)
      .set('Authorization', `Bearer ${token}`)
    expect(res.body).toEqual({ method: 'POST', subject: 'alice' })
  })

  it('a preflight that meets a guard is anonymous (401), not a missing gate', async () => {
    const t = build()
    const res = await request(t.app)
      .options('/guarded')
      .set('Origin', FRONT_END)
      .set('Access-Control-Request-Method', 'POST')
    expect(res.status).toBe(401)
    expect(res.body.code).toBe('ERR_AUTH_TOKEN_MISSING')
  })

  it('a preflight carrying a token anyway continues anonymous', async () => {
    const factory = expressOf(version)
    const app = factory()
    app.use(authenticate(gateOptions))
    app.options('/api/jobs', (req, res) => res.json({ subject: req.auth?.subject ?? null }))
    const res = await request(app)
      .options('/api/jobs')
      .set('Origin', FRONT_END)
      .set('Access-Control-Request-Method', 'GET')
      .set('Authorization', `Bearer ${await sign(ed25519.privateKey)}`)
    expect(res.body).toEqual({ subject: null })
  })

  it.each([
    ['without Origin', { 'Access-Control-Request-Method': 'POST' }],
    ['without Access-Control-Request-Method', { Origin: FRONT_END }],
    ['without either', {}],
  ])('a plain OPTIONS request (%s) is gated', async (_name, headers) => {
    const t = build()
    const res = await request(t.app).options('/api/jobs').set(headers)
    expectRejected(res, t, 401, 'ERR_AUTH_TOKEN_MISSING', 'Bearer realm="api"')
  })

  it("corsPreflight: 'authenticate' gates preflights too", async () => {
    const t = build({ corsPreflight: 'authenticate' })
    const res = await preflight(t)
    expectRejected(res, t, 401, 'ERR_AUTH_TOKEN_MISSING', 'Bearer realm="api"')
  })
})

describe('the corsPreflight option', () => {
  it('refuses anything but "pass" and "authenticate" at start-up', () => {
    expect(() => authenticate({ ...gateOptions, corsPreflight: 'skip' as never })).toThrow(
      expect.objectContaining({ name: 'AuthConfigError', option: 'corsPreflight' }),
    )
  })
})
