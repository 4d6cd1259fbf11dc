/**
 * Auth0-shaped tokens: namespaced claims whose names are URLs, dots included. A claim option names
 * such a key whole first, then as a dotted path; an array names the segments exactly.
 */
import { describe, expect, it } from 'vitest'
import request from 'supertest'
import { createTestApp } from '../helpers/app.js'
import { ed25519, rawEd25519Base64 } from '../helpers/keys.js'
import { clock, ISSUER, sign } from '../helpers/tokens.js'
import { requireClaim, requireClaimIncludes, requireRoles, requireScopes } from '../../src/index.js'
import { createMemoryUserStore } from '../../src/stores/memory.js'
import type { AuthenticateOptions, IssuerOptions } from '../../src/index.js'
import type { RequestHandler } from 'express'
import { expectRejected } from './expect.js'

const NS = 'https://example.com/'
const auth0Claims = {
  sub: 'auth0|5f7c8ec7c33c6c004bbafe82',
  [`${NS}tenant`]: 'acme',
  [`${NS}roles`]: ['admin', 'editor'],
  [`${NS}permissions`]: 'read:jobs write:jobs',
  [`${NS}email`]: 'alice@example.com',
  [`${NS}app`]: { 'plan.tier': 'gold', teams: ['hpc'] },
  org: { id: 'o1' },
}

async function call(
  guards: RequestHandler[],
  issuerOptions: Partial<IssuerOptions> = {},
  extra: Partial<AuthenticateOptions> = {},
) {
  const issuer: IssuerOptions = {
    issuer: ISSUER,
    key: { ed25519: rawEd25519Base64(ed25519) },
    ...issuerOptions,
  }
  const t = createTestApp({ issuers: [issuer], clock, ...extra }, { guards, errorHandler: true })
  const token = await sign(ed25519.privateKey, { claims: { ...auth0Claims, roles: undefined } })
  const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
  return { res, t }
}

describe('namespaced (dotted) claim names', () => {
  it.each([
    ['requireClaim on a URL-named claim', requireClaim(`${NS}tenant`, 'acme')],
    ['requireClaimIncludes on a URL-named claim', requireClaimIncludes(`${NS}roles`, 'admin')],
    ['a dotted path still reaches a nested claim', requireClaim('org.id', 'o1')],
    ['an array path inside a URL-named object', requireClaim([`${NS}app`, 'plan.tier'], 'gold')],
    ['requireClaimIncludes with an array path', requireClaimIncludes([`${NS}app`, 'teams'], 'hpc')],
  ])('%s lets the request through', async (_name, guard) => {
    const { res, t } = await call([guard])
    expect(res.status).toBe(200)
    expect(t.ran()).toBe(1)
  })

  it.each([
    ['requireClaim with another value', requireClaim(`${NS}tenant`, 'other')],
    ['requireClaimIncludes with a value not held', requireClaimIncludes(`${NS}roles`, 'owner')],
    ['an array path does not fall back to splitting', requireClaim([`${NS}app.plan`], 'gold')],
  ])('%s is a 403', async (_name, guard) => {
    const { res, t } = await call([guard])
    expectRejected(res, t, 403, 'ERR_AUTH_CLAIM_MISMATCH')
  })

  it('rolesClaim and scopesClaim name URL claims', async () => {
    const { res, t } = await call([requireRoles('admin'), requireScopes('write:jobs')], {
      rolesClaim: `${NS}roles`,
      scopesClaim: `${NS}permissions`,
    })
    expect(res.status).toBe(200)
    expect(res.body.auth.roles).toEqual(['admin', 'editor'])
    expect(res.body.auth.scopes).toEqual(['read:jobs', 'write:jobs'])
    expect(t.ran()).toBe(1)
  })

  it('rolesClaim takes an array path', async () => {
    const { res } = await call([requireRoles('hpc')], { rolesClaim: [`${NS}app`, 'teams'] })
    expect(res.status).toBe(200)
  })

  it('the username option names a URL claim for the user check', async () => {
    const store = createMemoryUserStore([{ username: 'alice@example.com', roles: ['db-role'] }])
    const { res, t } = await call(
      [requireRoles('db-role')],
      { username: `${NS}email` },
      { users: { store } },
    )
    expect(res.status).toBe(200)
    expect(res.body.auth.user.username).toBe('alice@example.com')
    expect(t.ran()).toBe(1)
  })
})
