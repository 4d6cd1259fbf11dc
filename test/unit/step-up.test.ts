/**
 * requireStepUp (RFC 9470) through Express with a fixed clock: the token's `acr` must be one of
 * the accepted values and/or its `auth_time` within `maxAge` seconds, else 401
 * `insufficient_user_authentication` with `acr_values` / `max_age` in the challenge, a
 * problem+json body with the stable code, and the handler not run.
 */
import express from 'express'
import type { RequestHandler } from 'express'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import {
  AuthConfigError,
  InsufficientUserAuthenticationError,
  authErrorHandler,
  authenticate,
  isAuthError,
  requireStepUp,
} from '../../src/index.js'
import { createMemoryUserStore } from '../../src/stores/memory.js'
import { ed25519 } from '../helpers/keys.js'
import { ISSUER, NOW_S, clock, sign } from '../helpers/tokens.js'

const MFA = 'urn:example:mfa'
const PWD = 'urn:example:pwd'

function app(guard: RequestHandler, withUsers = false) {
  let runs = 0
  const server = express()
  server.use(
    authenticate({
      issuers: [{ issuer: ISSUER, audience: false, key: { pem: ed25519.publicPem } }],
      clock,
      ...(withUsers
        ? {
            users: {
              store: createMemoryUserStore([
                { username: 'alice', roles: ['admin'] },
                { username: 'bob', roles: ['user'] },
              ]),
            },
          }
        : {}),
    }),
  )
  server.get('/sensitive', guard, (_req, res) => {
    runs++
    res.json({ ok: true })
  })
  server.use(authErrorHandler())
  return {
    ran: () => runs,
    get: (token: string) =>
      request(server).get('/sensitive').set('Authorization', `Bearer ${token}`),
  }
}

const token = (claims: Record<string, unknown>) => sign(ed25519.privateKey, { claims })

async function expectStepUp(
  target: ReturnType<typeof app>,
  jwt: string,
  challenge: string,
  detail: string,
) {
  const before = target.ran()
  const res = await target.get(jwt)
  expect(res.status).toBe(401)
  expect(res.headers['www-authenticate']).toBe(
    `Bearer realm="api", error="insufficient_user_authentication", error_description="${detail}"${challenge}`,
  )
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(JSON.parse(res.text)).toEqual({
    type: 'about:blank',
    title: 'Unauthorized',
    status: 401,
    detail,
    code: 'ERR_AUTH_STEP_UP_REQUIRED',
    error: 'insufficient_user_authentication',
  })
  expect(target.ran()).toBe(before)
}

async function expectPass(target: ReturnType<typeof app>, jwt: string) {
  const before = target.ran()
  const res = await target.get(jwt)
  expect(res.status, res.text).toBe(200)
  expect(target.ran()).toBe(before + 1)
}

describe('requireStepUp with a fixed requirement', () => {
  it('acr: passes an accepted value, refuses another or none, naming acr_values', async () => {
    const target = app(requireStepUp({ acr: [MFA, 'urn:example:hwk'] }))
    await expectPass(target, await token({ acr: MFA }))
    const challenge = `, acr_values="${MFA} urn:example:hwk"`
    await expectStepUp(
      target,
      await token({ acr: PWD }),
      challenge,
      'authentication level insufficient',
    )
    await expectStepUp(target, await token({}), challenge, 'authentication level insufficient')
    await expectStepUp(
      target,
      await token({ acr: [MFA] }),
      challenge,
      'authentication level insufficient',
    )
  })

  it('maxAge: measures auth_time with the gate’s clock, naming max_age', async () => {
    const target = app(requireStepUp({ maxAge: 600 }))
    await expectPass(target, await token({ auth_time: NOW_S - 600 }))
    await expectPass(target, await token({ auth_time: NOW_S }))
    await expectStepUp(
      target,
      await token({ auth_time: NOW_S - 601 }),
      ', max_age=600',
      'authentication too old',
    )
    await expectStepUp(target, await token({}), ', max_age=600', 'authentication time unknown')
    await expectStepUp(
      target,
      await token({ auth_time: 'recent' }),
      ', max_age=600',
      'authentication time unknown',
    )
  })

  it('both: each must hold, and the challenge names both', async () => {
    const target = app(requireStepUp({ acr: [MFA], maxAge: 300 }))
    const both = `, acr_values="${MFA}", max_age=300`
    await expectPass(target, await token({ acr: MFA, auth_time: NOW_S - 10 }))
    await expectStepUp(
      target,
      await token({ acr: MFA, auth_time: NOW_S - 301 }),
      both,
      'authentication too old',
    )
    await expectStepUp(
      target,
      await token({ acr: PWD, auth_time: NOW_S }),
      both,
      'authentication level insufficient',
    )
  })

  it('maxAge 0 asks for an authentication in this very second', async () => {
    const target = app(requireStepUp({ maxAge: 0 }))
    await expectPass(target, await token({ auth_time: NOW_S }))
    await expectStepUp(
      target,
      await token({ auth_time: NOW_S - 1 }),
      ', max_age=0',
      'authentication too old',
    )
  })

  it('answers 401 without an error attribute when the request has no token', async () => {
    const res = await request(
      express()
        .use(
          authenticate({
            issuers: [{ issuer: ISSUER, audience: false, key: { pem: ed25519.publicPem } }],
            credentials: 'optional',
            clock,
          }),
        )
        .get('/sensitive', requireStepUp({ acr: [MFA] }), (_req, res) => res.end())
        .use(authErrorHandler()),
    ).get('/sensitive')
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"')
  })
})

describe('requireStepUp with a function of req.auth', () => {
  // "An admin must have used MFA within the last 10 minutes": the role comes from the user store.
  const adminsUseMfa = requireStepUp((auth) =>
    auth.user?.roles.includes('admin') === true ? { acr: [MFA], maxAge: 600 } : undefined,
  )

  it('requires MFA within 10 minutes of an admin (by the database record), nothing of others', async () => {
    const target = app(adminsUseMfa, true)
    const challenge = `, acr_values="${MFA}", max_age=600`
    await expectPass(target, await token({ sub: 'alice', acr: MFA, auth_time: NOW_S - 599 }))
    await expectStepUp(
      target,
      await token({ sub: 'alice', acr: PWD, auth_time: NOW_S }),
      challenge,
      'authentication level insufficient',
    )
    await expectStepUp(
      target,
      await token({ sub: 'alice', acr: MFA, auth_time: NOW_S - 601 }),
      challenge,
      'authentication too old',
    )
    await expectPass(target, await token({ sub: 'bob', acr: PWD }))
  })

  it('an invalid answer is the app’s error, not a pass', async () => {
    const target = app(requireStepUp(() => ({ maxAge: -1 })))
    const server = express()
    let seen: unknown
    server.use(
      authenticate({
        issuers: [{ issuer: ISSUER, audience: false, key: { pem: ed25519.publicPem } }],
        clock,
      }),
    )
    server.get(
      '/x',
      requireStepUp(() => ({ acr: [] })),
      (_req, res) => res.end(),
    )
    server.use(
      (
        error: unknown,
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        seen = error
        res.status(500).end()
      },
    )
    const res = await request(server)
      .get('/x')
      .set('Authorization', `Bearer ${await token({})}`)
    expect(res.status).toBe(500)
    expect(seen).toBeInstanceOf(AuthConfigError)
    expect(target.ran()).toBe(0)
  })
})

describe('requireStepUp at start-up', () => {
  it.each([
    ['nothing', {}, 'requireStepUp()'],
    ['an empty acr list', { acr: [] }, 'requireStepUp() acr'],
    ['an acr with a space', { acr: ['a b'] }, 'requireStepUp() acr'],
    ['an acr with a quote', { acr: ['a"b'] }, 'requireStepUp() acr'],
    ['a negative maxAge', { maxAge: -1 }, 'requireStepUp() maxAge'],
    ['a fractional maxAge', { maxAge: 1.5 }, 'requireStepUp() maxAge'],
    ['a string maxAge', { maxAge: '600' }, 'requireStepUp() maxAge'],
  ])('refuses %s, naming the option', (_name, requirement, option) => {
    try {
      requireStepUp(requirement as never)
      throw new Error('accepted')
    } catch (error) {
      expect(error).toBeInstanceOf(AuthConfigError)
      expect((error as AuthConfigError).option).toBe(option)
    }
  })
})

describe('InsufficientUserAuthenticationError', () => {
  it('is a jwt-gate error whose code narrows to its class', () => {
    const error = new InsufficientUserAuthenticationError('authentication too old', {
      acrValues: undefined,
      maxAge: 60,
    })
    expect(isAuthError(error)).toBe(true)
    expect(error.status).toBe(401)
    expect(error.headers['WWW-Authenticate']).toBe(
      'Bearer realm="api", error="insufficient_user_authentication", error_description="authentication too old", max_age=60',
    )
  })
})
