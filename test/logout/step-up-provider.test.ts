/**
 * requireStepUp with the real provider's tokens: the provider's JWT access tokens carry the `acr`
 * and `auth_time` of the user's login (copied from the authorization code by `extraTokenClaims`,
 * see test/helpers/oidc-login.ts), and the guard reads them with the gate's fixed clock.
 */
import express from 'express'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authErrorHandler, authenticate, requireStepUp } from '../../src/index.js'
import { startLoginProvider } from '../helpers/oidc-login.js'
import type { LoginProvider } from '../helpers/oidc-login.js'
import { RESOURCE } from './instances.js'

const MFA = 'urn:jwt-gate:mfa'
let op: LoginProvider
let now = new Date()
let runs = 0
let app: express.Express

beforeAll(async () => {
  op = await startLoginProvider({ resource: RESOURCE, backchannelLogoutUri: 'http://127.0.0.1:1/' })
  app = express()
  app.use(
    authenticate({
      issuers: [
        {
          issuer: op.issuer,
          audience: RESOURCE,
          typ: ['at+jwt'],
          key: { jwksUrl: `${op.issuer}/jwks` },
        },
      ],
      clock: () => now,
    }),
  )
  app.get('/keys', requireStepUp({ acr: [MFA], maxAge: 600 }), (_req, res) => {
    runs++
    res.json({ ok: true })
  })
  app.use(authErrorHandler())
})
afterAll(() => op.close())

/** Signs in and fixes the gate's clock at the moment the token was issued. */
async function login(acr: string, authTimeAgo: number): Promise<string> {
  const nowS = Math.floor(Date.now() / 1000)
  const { accessToken } = await op.login({ user: 'hana', acr, authTime: nowS - authTimeAgo })
  now = new Date()
  return accessToken
}

async function call(token: string) {
  const before = runs
  const res = await request(app).get('/keys').set('Authorization', `Bearer ${token}`)
  return { res, ran: runs > before }
}

describe('step-up with the provider’s tokens', () => {
  it('passes an MFA login of 5 minutes ago', async () => {
    const { res, ran } = await call(await login(MFA, 300))
    expect(res.status).toBe(200)
    expect(ran).toBe(true)
  })

  it('asks a password login to step up to MFA', async () => {
    const { res, ran } = await call(await login('urn:jwt-gate:pwd', 0))
    expect(res.status).toBe(401)
    expect(ran).toBe(false)
    expect(res.headers['www-authenticate']).toBe(
      `Bearer realm="api", error="insufficient_user_authentication", error_description="authentication level insufficient", acr_values="${MFA}", max_age=600`,
    )
    expect(JSON.parse(res.text)).toMatchObject({ status: 401, code: 'ERR_AUTH_STEP_UP_REQUIRED' })
  })

  it('asks an MFA login of 20 minutes ago to authenticate again', async () => {
    const { res, ran } = await call(await login(MFA, 1200))
    expect(res.status).toBe(401)
    expect(ran).toBe(false)
    expect(res.headers['www-authenticate']).toMatch(
      /error_description="authentication too old", acr_values="urn:jwt-gate:mfa", max_age=600$/,
    )
  })
})
