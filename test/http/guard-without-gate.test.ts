/**
 * A guard on a route that no `authenticate()` covers is a mounting mistake, not a client error: it
 * answers 500 `ERR_AUTH_GATE_MISSING` (even to a valid token, which no gate verified) and warns once
 * naming the guard, so the mistake shows in development. A gate that ran and found nothing still
 * gives the guards an anonymous request (401).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import request from 'supertest'
import type { RequestHandler } from 'express'
import { APP_SETUPS, expressOf } from '../helpers/app.js'
import type { TestApp } from '../helpers/app.js'
import { ed25519, rawEd25519Base64 } from '../helpers/keys.js'
import { clock, ISSUER, sign } from '../helpers/tokens.js'
import {
  authenticate,
  authErrorHandler,
  declareRequestAuth,
  requireAuth,
  requireRoles,
} from '../../src/index.js'
import { expectRejected } from './expect.js'

let warnings: (Error & { code?: string })[] = []
const listener = (warning: Error & { code?: string }) => warnings.push(warning)
beforeEach(() => {
  warnings = []
  process.on('warning', listener)
})
afterEach(() => {
  process.off('warning', listener)
})
const gateMissingWarnings = () => warnings.filter((w) => w.code === 'JWT_GATE_GATE_MISSING')

describe.each(APP_SETUPS)(
  'a guard without a gate on %s (req.auth declared: %s)',
  (version, declared) => {
    /** GET /admin guarded by `guard`; the gate (when given) covers only /open. */
    function build(guard: RequestHandler): TestApp {
      const factory = expressOf(version)
      const app = factory()
      let runs = 0
      if (declared) declareRequestAuth(app)
      app.use(
        '/open',
        authenticate({
          issuers: [{ issuer: ISSUER, key: { ed25519: rawEd25519Base64(ed25519) } }],
          credentials: 'optional',
          clock,
        }),
      )
      app.get(['/admin', '/open/admin'], guard, (_req, res) => {
        runs++
        res.json({ ran: true })
      })
      app.use(authErrorHandler())
      return { app, ran: () => runs }
    }
    const bearer = async () =>
      `Bearer ${await sign(ed25519.privateKey, { claims: { roles: ['admin'] } })}`

    it('answers 500 ERR_AUTH_GATE_MISSING to a valid token, and warns once naming the guard', async () => {
      const t = build(requireRoles('admin'))
      const first = await request(t.app)
        .get('/admin')
        .set('Authorization', await bearer())
      expectRejected(first, t, 500, 'ERR_AUTH_GATE_MISSING')
      expect(first.headers['www-authenticate']).toBeUndefined()
      expect(first.body.detail).toBe('internal server error')
      const second = await request(t.app).get('/admin')
      expectRejected(second, t, 500, 'ERR_AUTH_GATE_MISSING')
      await new Promise((resolve) => setImmediate(resolve))
      expect(gateMissingWarnings().map((w) => w.message)).toEqual([
        expect.stringContaining('requireRoles()'),
      ])
    })

    it('answers 500 for requireAuth() too', async () => {
      const t = build(requireAuth())
      const res = await request(t.app)
        .get('/admin')
        .set('Authorization', await bearer())
      expectRejected(res, t, 500, 'ERR_AUTH_GATE_MISSING')
    })

    it('still answers 401 when a gate ran and left the request anonymous', async () => {
      const t = build(requireRoles('admin'))
      const res = await request(t.app).get('/open/admin')
      expectRejected(res, t, 401, 'ERR_AUTH_TOKEN_MISSING', 'Bearer realm="api"')
      expect(gateMissingWarnings()).toEqual([])
    })

    it('passes behind a gate that authenticated the request', async () => {
      const t = build(requireRoles('admin'))
      const res = await request(t.app)
        .get('/open/admin')
        .set('Authorization', await bearer())
      expect(res.status).toBe(200)
      expect(t.ran()).toBe(1)
    })
  },
)
