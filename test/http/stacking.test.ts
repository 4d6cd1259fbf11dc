/**
 * How gates stack: each `authenticate()` sets `req.auth` to its own result, and to undefined when
 * it ends anonymous, so the guards behind a gate see only the nearest gate's verdict. The setting
 * of issue 21: a site-wide optional cookie gate, and a partner router with its own optional gate
 * for another issuer and audience.
 */
import { describe, expect, it } from 'vitest'
import request from 'supertest'
import type express5 from 'express'
import type { RequestHandler } from 'express'
import { APP_SETUPS, expressOf } from '../helpers/app.js'
import type { TestApp } from '../helpers/app.js'
import { ed25519, es256, rawEd25519Base64 } from '../helpers/keys.js'
import { clock, ISSUER, sign } from '../helpers/tokens.js'
import {
  authenticate,
  authErrorHandler,
  declareRequestAuth,
  requireAuth,
  requireRoles,
} from '../../src/index.js'
import type { AuthenticateOptions } from '../../src/index.js'
import { expectRejected } from './expect.js'

const PARTNER = 'https://partner.example.net'
type Mode = 'required' | 'optional'

/** The first-party gate: the site's session cookie. */
const siteGate = (credentials: Mode): AuthenticateOptions => ({
  issuers: [{ issuer: ISSUER, key: { ed25519: rawEd25519Base64(ed25519) } }],
  cookie: { name: 'session' },
  sources: ['cookie'],
  credentials,
  clock,
  realm: 'site',
})
/** The partner API's gate: bearer tokens of another issuer, for another audience. */
const partnerGate = (credentials: Mode): AuthenticateOptions => ({
  issuers: [{ issuer: PARTNER, key: { jwk: es256.publicJwk }, audience: 'partner-api' }],
  credentials,
  clock,
  realm: 'partner',
})

const siteToken = () => sign(ed25519.privateKey, { claims: { roles: ['admin'] } })
const partnerToken = () =>
  sign(es256.privateKey, {
    alg: 'ES256',
    claims: { iss: PARTNER, aud: 'partner-api', sub: 'partner-1', roles: ['reader'] },
  })

describe.each(APP_SETUPS)('stacked gates on %s (req.auth declared: %s)', (version, declared) => {
  /**
   * `outer` on the whole app, `inner` on the router of GET /inner/data (guarded by `guards`);
   * GET /outer answers what the outer gate alone established.
   */
  function stacked(
    outer: AuthenticateOptions,
    inner: AuthenticateOptions,
    guards: RequestHandler[],
  ) {
    const factory = expressOf(version)
    const app = factory()
    let runs = 0
    if (declared) declareRequestAuth(app)
    app.use(authenticate(outer))
    const router = factory.Router()
    router.use(authenticate(inner))
    router.get('/data', ...guards, (req, res) => {
      runs++
      res.json({ issuer: req.auth?.issuer ?? null, subject: req.auth?.subject ?? null })
    })
    app.use('/inner', router)
    app.get('/outer', (req, res) => {
      res.json({ issuer: req.auth?.issuer ?? null })
    })
    app.use(authErrorHandler())
    return { app, ran: () => runs }
  }

  const withCookie = async (t: TestApp, path = '/inner/data') =>
    request(t.app)
      .get(path)
      .set('Cookie', `session=${await siteToken()}`)
  const withBearer = async (t: TestApp, path = '/inner/data') =>
    request(t.app)
      .get(path)
      .set('Authorization', `Bearer ${await partnerToken()}`)

  describe('site gate outside, partner gate inside, both optional', () => {
    const build = (guards: RequestHandler[] = []) =>
      stacked(siteGate('optional'), partnerGate('optional'), guards)

    it("the site's cookie alone does not pass the partner's requireAuth()", async () => {
      const t = build([requireAuth()])
      expectRejected(
        await withCookie(t),
        t,
        401,
        'ERR_AUTH_TOKEN_MISSING',
        'Bearer realm="partner"',
      )
    })

    it("the site's cookie alone does not pass the partner's requireRoles()", async () => {
      const t = build([requireRoles('admin')])
      expectRejected(
        await withCookie(t),
        t,
        401,
        'ERR_AUTH_TOKEN_MISSING',
        'Bearer realm="partner"',
      )
    })

    it('a handler behind the partner gate sees an anonymous request', async () => {
      const t = build()
      const res = await withCookie(t)
      expect({ status: res.status, body: res.body }).toEqual({
        status: 200,
        body: { issuer: null, subject: null },
      })
    })

    it("the site's routes still see the site's cookie", async () => {
      const res = await withCookie(build(), '/outer')
      expect(res.body).toEqual({ issuer: ISSUER })
    })

    it("the partner's token passes the partner's guards", async () => {
      const t = build([requireAuth(), requireRoles('reader')])
      const res = await withBearer(t)
      expect(res.body).toEqual({ issuer: PARTNER, subject: 'partner-1' })
      expect(t.ran()).toBe(1)
    })
  })

  describe('partner gate outside, site gate inside, both optional', () => {
    const build = (guards: RequestHandler[] = []) =>
      stacked(partnerGate('optional'), siteGate('optional'), guards)

    it("the partner's bearer token alone does not pass the site's guards", async () => {
      const t = build([requireRoles('reader')])
      expectRejected(await withBearer(t), t, 401, 'ERR_AUTH_TOKEN_MISSING', 'Bearer realm="site"')
    })

    it("the site's cookie passes the site's guards", async () => {
      const t = build([requireRoles('admin')])
      const res = await withCookie(t)
      expect(res.body).toEqual({ issuer: ISSUER, subject: 'alice' })
    })
  })

  describe('required and optional gates combined', () => {
    it('required outside, optional inside: the inner gate finding nothing is anonymous', async () => {
      const t = stacked(siteGate('required'), partnerGate('optional'), [requireAuth()])
      expectRejected(
        await withCookie(t),
        t,
        401,
        'ERR_AUTH_TOKEN_MISSING',
        'Bearer realm="partner"',
      )
    })

    it('optional outside, required inside: the inner gate asks for its own credential', async () => {
      const t = stacked(siteGate('optional'), partnerGate('required'), [])
      expectRejected(
        await withCookie(t),
        t,
        401,
        'ERR_AUTH_TOKEN_MISSING',
        'Bearer realm="partner"',
      )
    })

    it("a gate that rejects leaves no earlier gate's context to an error handler", async () => {
      const factory = expressOf(version)
      const app = factory()
      if (declared) declareRequestAuth(app)
      app.use(authenticate(siteGate('required')), authenticate(partnerGate('optional')))
      app.get('/inner/data', (_req, res) => res.json({ ran: true }))
      app.use((_err: unknown, req: express5.Request, res: express5.Response, _next: unknown) => {
        res.status(401).json({ issuer: req.auth?.issuer ?? null })
      })
      const res = await request(app)
        .get('/inner/data')
        .set('Cookie', `session=${await siteToken()}`)
        .set('Authorization', 'Bearer x')
      expect({ status: res.status, body: res.body }).toEqual({
        status: 401,
        body: { issuer: null },
      })
    })

    it('both credentials: each side sees its own gate', async () => {
      const t = stacked(siteGate('required'), partnerGate('optional'), [requireRoles('reader')])
      const res = await request(t.app)
        .get('/inner/data')
        .set('Cookie', `session=${await siteToken()}`)
        .set('Authorization', `Bearer ${await partnerToken()}`)
      expect(res.body).toEqual({ issuer: PARTNER, subject: 'partner-1' })
    })
  })
})
