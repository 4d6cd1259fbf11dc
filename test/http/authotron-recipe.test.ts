/**
 * The README's Auth-O-Tron recipe, as written: users are looked up by `sub` (`{realm}-{username}`),
 * and a route checks the scopes of one key of the `scopes` map, not the flattened list.
 */
import { describe, expect, it } from 'vitest'
import request from 'supertest'
import { createTestApp } from '../helpers/app.js'
import { NOW_S, sign } from '../helpers/tokens.js'
import { requireClaimIncludes, requireScopes } from '../../src/index.js'
import { createMemoryUserStore } from '../../src/stores/memory.js'
import type { AuthenticateOptions } from '../../src/index.js'
import type { RequestHandler } from 'express'
import { expectRejected } from './expect.js'

const SECRET = 'authotron-recipe-secret-of-32-bytes-or-more'
const clock = () => new Date(NOW_S * 1000)

/** Auth-O-Tron's claims for `username` in `realm`. */
function authOTronToken(realm: string, username: string, scopes: Record<string, string[]>) {
  return sign(SECRET, {
    claims: { iss: 'authotron', sub: `${realm}-${username}`, username, realm, roles: [], scopes },
  })
}

// `alice` is there too: a lookup by the bare `username` claim would hand her roles to guest-alice.
const users = createMemoryUserStore([
  { username: 'ldap-alice', roles: ['admin'] },
  { username: 'alice', roles: ['admin'] },
])
// The recipe's options (README, "Auth-O-Tron"), with a user store added.
const recipe: AuthenticateOptions = {
  issuers: [
    { issuer: 'authotron', key: { secret: SECRET, encoding: 'utf8' }, claims: 'authotron' },
  ],
  users: { store: users },
  clock,
}

async function get(guards: RequestHandler[], token: string) {
  const t = createTestApp(recipe, { guards, errorHandler: true })
  const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
  return { res, t }
}

describe('the Auth-O-Tron recipe', () => {
  it('looks users up by sub, so a user of another realm never gets the roles of a namesake', async () => {
    const ldap = await get([], await authOTronToken('ldap', 'alice', {}))
    expect(ldap.res.status).toBe(200)
    expect(ldap.res.body.auth.roles).toEqual(['admin'])
    const guest = await get([], await authOTronToken('guest', 'alice', {}))
    expectRejected(guest.res, guest.t, 401, 'ERR_AUTH_USER_UNKNOWN')
  })

  it('checks the scopes of one key; the flattened list mixes keys', async () => {
    const token = await authOTronToken('ldap', 'alice', { jobs: ['read'], files: ['write'] })
    const perKey = requireClaimIncludes(['scopes', 'jobs'], 'write')
    const denied = await get([perKey], token)
    expectRejected(denied.res, denied.t, 403, 'ERR_AUTH_CLAIM_MISMATCH')
    // What the README warns about: `write` under `files` satisfies requireScopes('write').
    const flattened = await get([requireScopes('write')], token)
    expect(flattened.res.status).toBe(200)
    const allowed = await get([requireClaimIncludes(['scopes', 'files'], 'write')], token)
    expect(allowed.res.status).toBe(200)
    expect(allowed.t.ran()).toBe(1)
  })
})
