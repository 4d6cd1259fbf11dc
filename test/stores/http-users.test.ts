/**
 * The user and revocation checks over HTTP, against every backend pair available: SQLite with
 * the memory revocation store (always), PostgreSQL with Redis (real servers).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import request from 'supertest'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cacheRevocationStore, cacheUserStore } from '../../src/stores/cache/index.js'
import { createMemoryRevocationStore } from '../../src/stores/memory.js'
import { createPostgresUserStore } from '../../src/stores/postgres/index.js'
import { createRedisRevocationStore } from '../../src/stores/redis/index.js'
import { createSqliteUserStore } from '../../src/stores/sqlite/index.js'
import type { RevocationStore, UserRecord, UserStore } from '../../src/stores/types.js'
import { challenge, createStoreApp, nowSeconds, signToken } from './http-app.js'
import type { StoreApp } from './http-app.js'
import { connectRedis, deleteKeys } from './redis-helpers.js'
import { POSTGRES_URL, serviceAvailable, uniqueName } from './services.js'

const pgAvailable = await serviceAvailable('postgres', 'HTTP PostgreSQL + Redis')
const redisAvailable = pgAvailable && (await serviceAvailable('redis', 'HTTP PostgreSQL + Redis'))

interface Backend {
  /** The adapter itself, uncached (to inspect what was written). */
  raw: UserStore
  /** The adapter behind a cache, as an app would use it. */
  users: UserStore
  revocation: RevocationStore
  /** Queries that reached the user adapter through the cache. */
  queries: () => number
  cleanup(): Promise<void>
}

/** The adapter behind a cache, counting the lookups that reach the adapter. */
function cached(
  raw: UserStore,
  options: Parameters<typeof cacheUserStore>[1] = {},
): { users: UserStore; queries: () => number } {
  let queries = 0
  const counted: UserStore = {
    findUser: (username) => {
      queries++
      return raw.findUser(username)
    },
    createUser: (user) => raw.createUser!(user),
    updateUser: (user) => raw.updateUser!(user),
    close: () => raw.close?.() ?? Promise.resolve(),
  }
  return { users: cacheUserStore(counted, options), queries: () => queries }
}

const SEED: UserRecord[] = [
  { username: 'alice', roles: ['user'], name: 'Alice' },
  { username: 'bob', roles: ['admin'], disabled: true },
]

const dir = mkdtempSync(join(tmpdir(), 'jwt-gate-http-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const backends: { name: string; skip: boolean; create: () => Promise<Backend> }[] = [
  {
    name: 'SQLite + memory',
    skip: false,
    async create() {
      const sqlite = createSqliteUserStore({
        filename: join(dir, `${uniqueName('users')}.db`),
        migrate: true,
      })
      for (const user of SEED) await sqlite.createUser(user)
      return {
        raw: sqlite,
        ...cached(sqlite),
        revocation: cacheRevocationStore(createMemoryRevocationStore()),
        cleanup: () => Promise.resolve(),
      }
    },
  },
  {
    name: 'PostgreSQL + Redis',
    skip: !redisAvailable,
    async create() {
      const table = uniqueName('jwtg_http')
      const prefix = `${uniqueName('jwtg_http')}:`
      const postgres = createPostgresUserStore({
        connectionString: POSTGRES_URL,
        table,
        migrate: true,
      })
      for (const user of SEED) await postgres.createUser(user)
      const redis = await connectRedis()
      const revocations = createRedisRevocationStore({ redis, prefix })
      return {
        raw: postgres,
        ...cached(postgres, { invalidations: postgres.invalidations }),
        revocation: cacheRevocationStore(revocations, {
          invalidations: revocations.invalidations,
        }),
        async cleanup() {
          const admin = new pg.Client({ connectionString: POSTGRES_URL })
          await admin.connect()
          await admin.query(`DROP TABLE IF EXISTS "${table}"`)
          await admin.query(`DROP FUNCTION IF EXISTS "${table}_notify_row"()`)
          await admin.query(`DROP FUNCTION IF EXISTS "${table}_notify_all"()`)
          await admin.end()
          await deleteKeys(redis, prefix)
          redis.disconnect()
        },
      }
    },
  },
]

for (const backend of backends) {
  describe.skipIf(backend.skip)(`user and revocation checks over HTTP: ${backend.name}`, () => {
    let stores: Backend
    let server: StoreApp
    beforeEach(async () => {
      stores = await backend.create()
      server = createStoreApp({ users: stores.users, revocation: stores.revocation })
    })

    it('serves a burst of concurrent requests from one user with one user query', async () => {
      const token = await signToken({ sub: 'alice' })
      const responses = await Promise.all(
        Array.from({ length: 50 }, () =>
          request(server.app).get('/me').auth(token, { type: 'bearer' }),
        ),
      )
      expect(responses.map((res) => res.status)).toEqual(Array(50).fill(200))
      expect(stores.queries()).toBe(1)
      expect(server.ran()).toBe(50)
    })

    it('creates an unknown user from the token when createUnknown is on', async () => {
      const syncing = createStoreApp({ users: stores.users, createUnknown: true })
      const token = await signToken({ sub: 'newcomer', roles: ['user', 'viewer'], name: 'New' })
      const res = await request(syncing.app).get('/me').auth(token, { type: 'bearer' })
      expect(res.status).toBe(200)
      expect(res.body.roles).toEqual(['user', 'viewer'])
      expect(await stores.raw.findUser('newcomer')).toEqual({
        username: 'newcomer',
        roles: ['user', 'viewer'],
        disabled: false,
        name: 'New',
      })
      // Off by default: the same token for another unknown user is refused.
      const other = await signToken({ sub: 'stranger' })
      expect((await request(server.app).get('/me').auth(other, { type: 'bearer' })).status).toBe(
        401,
      )
      expect(await stores.raw.findUser('stranger')).toBeUndefined()
    })

    it('updates a known user from the token when updateExisting is on, never re-enabling', async () => {
      const syncing = createStoreApp({ users: stores.users, updateExisting: true })
      const token = await signToken({ sub: 'alice', roles: ['auditor'], name: 'Alice B.' })
      const res = await request(syncing.app).get('/me').auth(token, { type: 'bearer' })
      expect(res.status).toBe(200)
      expect(res.body.roles).toEqual(['auditor'])
      expect(await stores.raw.findUser('alice')).toEqual({
        username: 'alice',
        roles: ['auditor'],
        disabled: false,
        name: 'Alice B.',
      })
      const disabled = await signToken({ sub: 'bob', roles: ['user'] })
      expect(
        (await request(syncing.app).get('/me').auth(disabled, { type: 'bearer' })).status,
      ).toBe(401)
      expect(await stores.raw.findUser('bob')).toMatchObject({ roles: ['admin'], disabled: true })
    })
    afterEach(async () => {
      await server.middleware.close()
      await stores.cleanup()
    })

    it('lets a known user in, with the roles from the database replacing the token roles', async () => {
      const token = await signToken({ sub: 'alice', roles: ['admin', 'root'] })
      const res = await request(server.app).get('/me').auth(token, { type: 'bearer' })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({
        subject: 'alice',
        roles: ['user'],
        user: { username: 'alice', roles: ['user'], disabled: false, name: 'Alice' },
      })
      expect(server.ran()).toBe(1)
    })

    it.each(['mallory', 'Alice', 'alice ', '__proto__', 'constructor', "' OR '1'='1"])(
      'rejects a token for an unknown user (%j) with 401 ERR_AUTH_USER_UNKNOWN',
      async (sub) => {
        const token = await signToken({ sub })
        const res = await request(server.app).get('/me').auth(token, { type: 'bearer' })
        expect(res.status).toBe(401)
        expect(res.headers['www-authenticate']).toBe(challenge('unknown user'))
        expect(res.body.code).toBe('ERR_AUTH_USER_UNKNOWN')
        expect(server.ran()).toBe(0)
      },
    )

    it('rejects a disabled user with 401 ERR_AUTH_USER_DISABLED', async () => {
      const token = await signToken({ sub: 'bob' })
      const res = await request(server.app).get('/me').auth(token, { type: 'bearer' })
      expect(res.status).toBe(401)
      expect(res.headers['www-authenticate']).toBe(challenge('user disabled'))
      expect(res.body.code).toBe('ERR_AUTH_USER_DISABLED')
      expect(server.ran()).toBe(0)
    })

    it('rejects a revoked jti with 401 ERR_AUTH_TOKEN_REVOKED, and only that token', async () => {
      const revoked = await signToken({ sub: 'alice', jti: 'jti-revoked' })
      const other = await signToken({ sub: 'alice' })
      expect((await request(server.app).get('/me').auth(revoked, { type: 'bearer' })).status).toBe(
        200,
      )
      await stores.revocation.revokeToken('jti-revoked', nowSeconds() + 600)
      const res = await request(server.app).get('/me').auth(revoked, { type: 'bearer' })
      expect(res.status).toBe(401)
      expect(res.headers['www-authenticate']).toBe(challenge('token revoked'))
      expect(res.body.code).toBe('ERR_AUTH_TOKEN_REVOKED')
      expect((await request(server.app).get('/me').auth(other, { type: 'bearer' })).status).toBe(
        200,
      )
      expect(server.ran()).toBe(2)
    })

    it('rejects every token issued before a subject-wide revocation', async () => {
      const old = await signToken({ sub: 'alice', iat: nowSeconds() - 60 })
      await stores.revocation.revokeSubject('alice', nowSeconds() - 30, 600)
      const res = await request(server.app).get('/me').auth(old, { type: 'bearer' })
      expect(res.status).toBe(401)
      expect(res.body.code).toBe('ERR_AUTH_TOKEN_REVOKED')
      const fresh = await signToken({ sub: 'alice' })
      expect((await request(server.app).get('/me').auth(fresh, { type: 'bearer' })).status).toBe(
        200,
      )
      expect(server.ran()).toBe(1)
    })
  })
}
