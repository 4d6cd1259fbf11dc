import { describe, expect, it } from 'vitest'
import request from 'supertest'
import { createTestApp } from '../helpers/app.js'
import { ed25519, ed25519Other, rawEd25519Base64 } from '../helpers/keys.js'
import { clock, ISSUER, NOW_S, sign } from '../helpers/tokens.js'
import type { AuthenticateOptions, RejectionEvent, UserRecord, UserStore } from '../../src/index.js'
import type { RevocationQuery } from '../../src/stores/types.js'
import { cacheUserStore } from '../../src/stores/cache/index.js'
import { InexactUserMatchError } from '../../src/stores/validate.js'
import { expectRejected, invalidToken } from './expect.js'

/** An in-test store with exact-match semantics; counts lookups and can fail or hang on demand. */
function testStore(users: UserRecord[]) {
  const byName = new Map(users.map((u) => [u.username, u]))
  const state = {
    lookups: 0,
    mode: 'ok' as 'ok' | 'error' | 'hang' | 'garbage',
    created: [] as UserRecord[],
    updated: [] as UserRecord[],
  }
  const store: UserStore = {
    async findUser(username) {
      state.lookups++
      if (state.mode === 'error') throw new Error('connection refused')
      if (state.mode === 'hang') return new Promise(() => {})
      if (state.mode === 'garbage') return { username, roles: 'admin' } as never
      return byName.get(username)
    },
    async createUser(user) {
      state.created.push(user)
      byName.set(user.username, user)
    },
    async updateUser(user) {
      state.updated.push(user)
      byName.set(user.username, user)
    },
  }
  return { store, state }
}

const issuer = { issuer: ISSUER, key: { ed25519: rawEd25519Base64(ed25519) } }
const users: UserRecord[] = [
  { username: 'alice', roles: ['user'] },
  { username: 'admin', roles: ['admin', 'user'] },
  { username: 'mallory', roles: ['admin'], disabled: true },
]

async function get(options: Partial<AuthenticateOptions>, claims: Record<string, unknown>) {
  const t = createTestApp({ issuers: [issuer], clock, ...options }, { errorHandler: true })
  const token = await sign(ed25519.privateKey, { claims })
  const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
  return { res, t }
}

describe('user check (forceJWTValidationViaDatabase)', () => {
  it('replaces the token roles with the database roles', async () => {
    const { store } = testStore(users)
    const { res } = await get({ users: { store } }, { sub: 'alice', roles: ['admin'] })
    expect(res.status).toBe(200)
    expect(res.body.auth.roles).toEqual(['user'])
    expect(res.body.auth.user).toEqual({ username: 'alice', roles: ['user'] })
  })

  it.each([
    ['bob'],
    ['Alice'],
    ['alice '],
    ['аlice' /* Cyrillic a */],
    ['__proto__'],
    ['constructor'],
  ])('rejects the unknown user %j', async (sub) => {
    const { store } = testStore(users)
    const { res, t } = await get({ users: { store } }, { sub })
    expectRejected(res, t, 401, 'ERR_AUTH_USER_UNKNOWN', invalidToken('unknown user'))
  })

  it('rejects a disabled user', async () => {
    const { store } = testStore(users)
    const { res, t } = await get({ users: { store } }, { sub: 'mallory' })
    expectRejected(res, t, 401, 'ERR_AUTH_USER_DISABLED', invalidToken('user disabled'))
  })

  it('maps the username from another claim (Auth-O-Tron style)', async () => {
    const { store } = testStore(users)
    const { res } = await get(
      { issuers: [{ ...issuer, username: 'username' }], users: { store } },
      { sub: 'ecmwf-admin', username: 'admin' },
    )
    expect(res.status).toBe(200)
    expect(res.body.auth.roles).toEqual(['admin', 'user'])
  })

  it('rejects a store answer whose username differs by case (folding collations)', async () => {
    const store: UserStore = { findUser: async () => ({ username: 'ALICE', roles: ['admin'] }) }
    const { res, t } = await get({ users: { store } }, { sub: 'alice' })
    expect(res.status).toBe(503)
    expect(res.body.code).toBe('ERR_AUTH_STORE_UNAVAILABLE')
    expect(t.ran()).toBe(0)
  })

  it.each([
    ['directly', (store: UserStore) => store],
    ['through cacheUserStore', (store: UserStore) => cacheUserStore(store)],
  ])('accepts a user whose name is null, %s (issue 21, point 23)', async (_label, wrap) => {
    const store: UserStore = {
      findUser: async (username) =>
        ({ username, roles: ['user'], name: null }) as unknown as UserRecord,
    }
    const { res } = await get({ users: { store: wrap(store) } }, { sub: 'alice' })
    expect(res.status).toBe(200)
    expect(res.body.auth.user).toEqual({ username: 'alice', roles: ['user'] })
  })

  it.each(['error', 'garbage'] as const)(
    'answers 503 with Retry-After when the store returns %s',
    async (mode) => {
      const { store, state } = testStore(users)
      state.mode = mode
      const { res, t } = await get({ users: { store } }, { sub: 'alice' })
      expect(res.status).toBe(503)
      expect(res.headers['retry-after']).toBe('5')
      expect(res.body.code).toBe('ERR_AUTH_STORE_UNAVAILABLE')
      expect(t.ran()).toBe(0)
    },
  )

  it('answers 503 when the store hangs past the timeout', async () => {
    const { store, state } = testStore(users)
    state.mode = 'hang'
    const { res, t } = await get({ users: { store, timeout: 50 } }, { sub: 'alice' })
    expect(res.status).toBe(503)
    expect(res.body.detail).toBe('service unavailable')
    expect(t.ran()).toBe(0)
  })

  it('creates unknown users from the token when createUnknown is on', async () => {
    const { store, state } = testStore(users)
    const { res } = await get(
      { users: { store, createUnknown: true } },
      { sub: 'carol', roles: ['user'], name: 'Carol' },
    )
    expect(res.status).toBe(200)
    expect(state.created).toEqual([{ username: 'carol', roles: ['user'], name: 'Carol' }])
  })

  describe('createUnknown reads the created user back (issue 21, point 1)', () => {
    const token = { sub: 'Alice', roles: ['admin'] }

    it('refuses when the create did nothing (a row that compares equal took the name)', async () => {
      let creates = 0
      const store: UserStore = {
        findUser: async () => undefined,
        createUser: async () => {
          creates++
        },
      }
      const { res, t } = await get({ users: { store, createUnknown: true } }, token)
      expectRejected(res, t, 401, 'ERR_AUTH_USER_UNKNOWN', invalidToken('unknown user'))
      expect(creates).toBe(1)
    })

    it('refuses when the store created another name', async () => {
      const { store } = testStore([])
      const create = store.createUser!.bind(store)
      store.createUser = (user) => create({ ...user, username: user.username.toLowerCase() })
      const { res, t } = await get({ users: { store, createUnknown: true } }, token)
      expectRejected(res, t, 401, 'ERR_AUTH_USER_UNKNOWN', invalidToken('unknown user'))
    })

    it('applies the disabled flag of the row found after the create', async () => {
      const { store } = testStore([])
      store.createUser = async () => {}
      let lookups = 0
      store.findUser = async (username) =>
        lookups++ === 0 ? undefined : { username, roles: ['viewer'], disabled: true }
      const { res, t } = await get({ users: { store, createUnknown: true } }, token)
      expectRejected(res, t, 401, 'ERR_AUTH_USER_DISABLED', invalidToken('user disabled'))
    })

    it('takes the roles of the row found after the create, not the token', async () => {
      const { store } = testStore([])
      store.createUser = async () => {}
      let lookups = 0
      store.findUser = async (username) =>
        lookups++ === 0 ? undefined : { username, roles: ['viewer'] }
      const { res } = await get({ users: { store, createUnknown: true } }, token)
      expect(res.status).toBe(200)
      expect(res.body.auth.roles).toEqual(['viewer'])
    })

    it('never creates after an inexact match, and refuses with 401', async () => {
      const { store, state } = testStore([])
      store.findUser = async () => {
        throw new InexactUserMatchError('test store')
      }
      const { res, t } = await get({ users: { store, createUnknown: true } }, token)
      expectRejected(res, t, 401, 'ERR_AUTH_USER_UNKNOWN', invalidToken('unknown user'))
      expect(state.created).toEqual([])
    })

    it.each([
      ['the create fails', 'create'],
      ['the re-read fails', 'reread'],
    ] as const)('answers 503 when %s', async (_label, failing) => {
      const { store } = testStore([])
      if (failing === 'create')
        store.createUser = async () => {
          throw new Error('connection reset')
        }
      else {
        let lookups = 0
        store.findUser = async () => {
          if (lookups++ > 0) throw new Error('connection reset')
          return undefined
        }
      }
      const { res, t } = await get({ users: { store, createUnknown: true } }, token)
      expect(res.status).toBe(503)
      expect(res.body.code).toBe('ERR_AUTH_STORE_UNAVAILABLE')
      expect(t.ran()).toBe(0)
    })
  })

  it('updates known users from the token when updateExisting is on', async () => {
    const { store, state } = testStore(users)
    const { res } = await get(
      { users: { store, updateExisting: true } },
      { sub: 'alice', roles: ['user', 'manager'] },
    )
    expect(res.status).toBe(200)
    expect(res.body.auth.roles).toEqual(['user', 'manager'])
    expect(state.updated).toEqual([{ username: 'alice', roles: ['user', 'manager'] }])
  })
})

describe('revocation check', () => {
  const revoked = new Set(['jti-revoked'])
  const revocation = (mode: 'ok' | 'error' = 'ok') => ({
    store: {
      async isRevoked(query: RevocationQuery) {
        if (mode === 'error') throw new Error('redis down')
        return (
          (query.jti !== undefined && revoked.has(query.jti)) ||
          (query.subject === 'bob' && (query.issuedAt ?? 0) < NOW_S + 1)
        )
      },
      revokeToken: async () => {},
      revokeSubject: async () => {},
    },
  })

  it('passes a token that is not revoked', async () => {
    const { res } = await get({ revocation: revocation() }, { jti: 'jti-ok' })
    expect(res.status).toBe(200)
  })
  it('rejects a revoked jti', async () => {
    const { res, t } = await get({ revocation: revocation() }, { jti: 'jti-revoked' })
    expectRejected(res, t, 401, 'ERR_AUTH_TOKEN_REVOKED', invalidToken('token revoked'))
  })
  it('rejects tokens of a subject revoked for everything issued before a time', async () => {
    const { res, t } = await get({ revocation: revocation() }, { sub: 'bob' })
    expectRejected(res, t, 401, 'ERR_AUTH_TOKEN_REVOKED')
  })
  it('answers 503 when the revocation store is down', async () => {
    const { res, t } = await get({ revocation: revocation('error') }, { jti: 'jti-ok' })
    expect(res.status).toBe(503)
    expect(t.ran()).toBe(0)
  })
})

describe('observability hooks', () => {
  it('reports authenticated and rejected requests without the token', async () => {
    const events: unknown[] = []
    const options: Partial<AuthenticateOptions> = {
      onAuthenticated: (auth) => events.push({ ok: auth.subject, source: auth.source }),
      onRejected: (event) => events.push(event),
    }
    await get(options, {})
    await get(options, { exp: NOW_S - 100 })
    expect(events).toEqual([
      { ok: 'alice', source: 'header' },
      {
        code: 'ERR_AUTH_TOKEN_EXPIRED',
        status: 401,
        issuer: ISSUER,
        subject: 'alice',
        source: 'header',
      },
    ])
  })

  it('reports no identity for a token whose signature did not verify', async () => {
    const events: RejectionEvent[] = []
    const t = createTestApp({ issuers: [issuer], clock, onRejected: (e) => events.push(e) })
    const token = await sign(ed25519Other.privateKey, { claims: { sub: 'admin' } })
    await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
    expect(events).toEqual([
      {
        code: 'ERR_AUTH_SIGNATURE_INVALID',
        status: 401,
        issuer: undefined,
        subject: undefined,
        source: 'header',
      },
    ])
  })

  it('is not affected by a hook that throws', async () => {
    const { res } = await get(
      {
        onAuthenticated: () => {
          throw new Error('logger down')
        },
      },
      {},
    )
    expect(res.status).toBe(200)
  })
})
