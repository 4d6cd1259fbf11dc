import { describe, expect, it } from 'vitest'
import request from 'supertest'
import { APP_SETUPS, createTestApp } from '../helpers/app.js'
import { ed25519, rawEd25519Base64 } from '../helpers/keys.js'
import { clock, ISSUER, sign } from '../helpers/tokens.js'
import {
  requireAnyRole,
  requireAnyScope,
  requireAuth,
  requireClaim,
  requireClaimIncludes,
  requirePolicy,
  requireRoles,
  requireScopes,
} from '../../src/index.js'
import { AuthConfigError } from '../../src/index.js'
import type { AuthenticateOptions } from '../../src/index.js'
import type { RequestHandler } from 'express'
import { expectRejected } from './expect.js'

const options: AuthenticateOptions = {
  issuers: [{ issuer: ISSUER, key: { ed25519: rawEd25519Base64(ed25519) } }],
  clock,
  realm: 'cluster',
}
const claims = {
  roles: ['user', 'support'],
  scope: 'jobs:read metrics:read',
  tenant: 'hpc',
  groups: ['a', 'b'],
}

describe.each(APP_SETUPS)('guards on %s (req.auth declared: %s)', (version, declareAuth) => {
  async function call(
    guards: RequestHandler[],
    opts: Partial<AuthenticateOptions> = {},
    withToken = true,
  ) {
    const t = createTestApp(
      { ...options, ...opts },
      { version, declareAuth, guards, errorHandler: true },
    )
    const req = request(t.app).get('/protected')
    if (withToken) req.set('Authorization', `Bearer ${await sign(ed25519.privateKey, { claims })}`)
    return { res: await req, t }
  }

  it.each([
    ['requireRoles (all held)', requireRoles('user', 'support')],
    ['requireAnyRole', requireAnyRole('admin', 'support')],
    ['requireScopes', requireScopes('jobs:read', 'metrics:read')],
    ['requireAnyScope', requireAnyScope('jobs:write', 'jobs:read')],
    ['requireClaim', requireClaim('tenant', 'hpc')],
    ['requireClaimIncludes', requireClaimIncludes('groups', 'a', 'b')],
    ['requirePolicy (async)', requirePolicy(async (auth) => auth.subject === 'alice')],
  ])('%s lets an allowed request through', async (_name, guard) => {
    const { res, t } = await call([guard])
    expect(res.status).toBe(200)
    expect(t.ran()).toBe(1)
  })

  it.each([
    [
      'requireRoles',
      requireRoles('user', 'admin'),
      'ERR_AUTH_ROLE_INSUFFICIENT',
      'missing required role',
      '',
    ],
    [
      'requireAnyRole',
      requireAnyRole('admin'),
      'ERR_AUTH_ROLE_INSUFFICIENT',
      'missing required role',
      '',
    ],
    [
      'requireScopes',
      requireScopes('jobs:read', 'jobs:write'),
      'ERR_AUTH_SCOPE_INSUFFICIENT',
      'insufficient scope',
      ', scope="jobs:read jobs:write"',
    ],
    [
      'requireAnyScope',
      requireAnyScope('admin:all'),
      'ERR_AUTH_SCOPE_INSUFFICIENT',
      'insufficient scope',
      ', scope="admin:all"',
    ],
    [
      'requireClaim',
      requireClaim('tenant', 'other'),
      'ERR_AUTH_CLAIM_MISMATCH',
      'claim check failed',
      '',
    ],
    [
      'requireClaimIncludes',
      requireClaimIncludes('groups', 'c'),
      'ERR_AUTH_CLAIM_MISMATCH',
      'claim check failed',
      '',
    ],
    [
      'requirePolicy',
      requirePolicy(() => false, 'tenant suspended'),
      'ERR_AUTH_POLICY_DENIED',
      'tenant suspended',
      '',
    ],
  ])('%s answers 403 insufficient_scope', async (_name, guard, code, description, scope) => {
    const { res, t } = await call([guard])
    expectRejected(
      res,
      t,
      403,
      code,
      `Bearer realm="cluster", error="insufficient_scope", error_description="${description}"${scope}`,
    )
  })

  it('answers 401 (no error attribute) for an anonymous request', async () => {
    const { res, t } = await call([requireAuth()], { credentials: 'optional' }, false)
    expectRejected(res, t, 401, 'ERR_AUTH_TOKEN_MISSING', 'Bearer realm="cluster"')
  })

  it('answers 401 rather than 403 when an anonymous request meets a role guard', async () => {
    const { res, t } = await call([requireRoles('user')], { credentials: 'optional' }, false)
    expectRejected(res, t, 401, 'ERR_AUTH_TOKEN_MISSING')
  })

  it('passes a policy that throws to the app as its own error', async () => {
    const { res, t } = await call([
      requirePolicy(() => {
        throw new Error('database exploded')
      }),
    ])
    expect(res.status).toBe(500)
    expect(t.ran()).toBe(0)
  })
})

describe('guard factories refuse bad arguments at start-up', () => {
  it.each([
    ['no roles', () => requireRoles()],
    ['an empty role', () => requireAnyRole('')],
    ['a non-string scope', () => requireScopes(1 as never)],
    ['an object claim value', () => requireClaim('x', {} as never)],
    ['no claim values', () => requireClaimIncludes('x')],
    ['a non-function policy', () => requirePolicy('yes' as never)],
  ])('%s', (_name, make) => {
    expect(make).toThrow(TypeError)
  })
})

describe('scope arguments follow RFC 6749 §3.3 (no spaces inside a scope)', () => {
  it.each([
    ['requireScopes', () => requireScopes('jobs:read', 'foo bar'), 'requireScopes() argument 2'],
    ['requireAnyScope', () => requireAnyScope('foo bar'), 'requireAnyScope() argument 1'],
    ['a tab', () => requireScopes('foo\tbar'), 'requireScopes() argument 1'],
  ])('%s refuses a scope with whitespace, naming the argument', (_name, make, option) => {
    expect(make).toThrow(AuthConfigError)
    expect(make).toThrow(expect.objectContaining({ option }))
  })

  it('names the guard for other bad arguments too', () => {
    expect(() => requireRoles()).toThrow(
      expect.objectContaining({ name: 'AuthConfigError', option: 'requireRoles()' }),
    )
    expect(() => requireClaim('', 'x')).toThrow(
      expect.objectContaining({ name: 'AuthConfigError', option: 'requireClaim() path' }),
    )
  })

  it('roles may hold spaces (they are not space-delimited)', () => {
    expect(() => requireRoles('Domain Admins')).not.toThrow()
  })
})

describe('requireClaim with null (a JSON value)', () => {
  async function withClaims(guard: RequestHandler, claims: Record<string, unknown>) {
    const t = createTestApp(options, { guards: [guard], errorHandler: true })
    const token = await sign(ed25519.privateKey, { claims })
    const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
    return { res, t }
  }

  it('passes a claim that is null', async () => {
    const { res, t } = await withClaims(requireClaim('deleted_at', null), { deleted_at: null })
    expect(res.status).toBe(200)
    expect(t.ran()).toBe(1)
  })

  it('refuses a claim that is absent, or present and not null', async () => {
    for (const claims of [{}, { deleted_at: 0 }, { deleted_at: 'null' }]) {
      const { res, t } = await withClaims(requireClaim('deleted_at', null), claims)
      expectRejected(res, t, 403, 'ERR_AUTH_CLAIM_MISMATCH')
    }
  })
})
