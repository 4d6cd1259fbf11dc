/**
 * Two app instances, each with its own middleware and its own long-lived caches, sharing one
 * PostgreSQL user table and one Redis revocation list. A revocation or a user change made through
 * one instance is enforced by the other within one second: by invalidation, not by cache expiry
 * (the caches keep entries for a minute).
 */
import { EventEmitter, once } from 'node:events'
import pg from 'pg'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cacheRevocationStore, cacheUserStore } from '../../src/stores/cache/index.js'
import type { CachedRevocationStore, CachedUserStore } from '../../src/stores/cache/index.js'
import type { Invalidation, InvalidationSource } from '../../src/stores/invalidation.js'
import {
  createPostgresUserStore,
  migratePostgresUserStore,
} from '../../src/stores/postgres/index.js'
import { createRedisRevocationStore } from '../../src/stores/redis/index.js'
import { createStoreApp, nowSeconds, signToken } from './http-app.js'
import type { StoreApp } from './http-app.js'
import { connectRedis, deleteKeys } from './redis-helpers.js'
import { POSTGRES_URL, serviceAvailable, uniqueName } from './services.js'

const available =
  (await serviceAvailable('postgres', 'multi-instance')) &&
  (await serviceAvailable('redis', 'multi-instance'))

/** Resolves once `source` has connected (it reports `all` when it starts listening). */
async function listening(source: InvalidationSource): Promise<() => void> {
  const events = new EventEmitter()
  const stop = source.subscribe((event: Invalidation) => events.emit(event.type))
  await once(events, 'all')
  return stop
}

interface Instance {
  server: StoreApp
  users: CachedUserStore
  revocation: CachedRevocationStore
  close: () => Promise<void>
}

describe.skipIf(!available)('two instances behind a load balancer', () => {
  const table = uniqueName('jwtg_multi')
  const prefix = `${uniqueName('jwtg_multi')}:`
  let admin: pg.Pool
  let a: Instance
  let b: Instance

  async function instance(): Promise<Instance> {
    const postgres = createPostgresUserStore({ connectionString: POSTGRES_URL, table })
    const redis = await connectRedis()
    const revocations = createRedisRevocationStore({ redis, prefix })
    // Wait until both invalidation sources listen, so the test measures propagation only.
    const stops = [
      await listening(postgres.invalidations!),
      await listening(revocations.invalidations!),
    ]
    const users = cacheUserStore(postgres, {
      ttl: 60_000,
      negativeTtl: 60_000,
      invalidations: postgres.invalidations,
    })
    const revocation = cacheRevocationStore(revocations, {
      ttl: 60_000,
      invalidations: revocations.invalidations,
    })
    const server = createStoreApp({ users, revocation })
    return {
      server,
      users,
      revocation,
      async close() {
        for (const stop of stops) stop()
        // Closes both cached stores, and through them the adapters.
        await server.middleware.close()
        redis.disconnect()
      },
    }
  }

  /** Polls `server` with `token` until it answers `status`; returns the elapsed ms (max 2 s). */
  async function timeUntil(server: StoreApp, token: string, status: number): Promise<number> {
    const started = performance.now()
    let last = 0
    while (performance.now() - started < 2000) {
      last = (await request(server.app).get('/me').auth(token, { type: 'bearer' })).status
      if (last === status) return performance.now() - started
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    throw new Error(`still ${last} after 2 s, expected ${status}`)
  }

  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 })
    await migratePostgresUserStore(admin, { table })
    await admin.query(
      `INSERT INTO "${table}" (username, roles) VALUES
       ('alice', '["user"]'), ('bob', '["user"]'), ('carol', '["user"]'), ('dave', '["user"]')`,
    )
    a = await instance()
    b = await instance()
  })
  afterAll(async () => {
    await a.close()
    await b.close()
    await admin.query(`DROP TABLE IF EXISTS "${table}"`)
    await admin.query(`DROP FUNCTION IF EXISTS "${table}_notify_row"()`)
    await admin.query(`DROP FUNCTION IF EXISTS "${table}_notify_all"()`)
    await admin.end()
    const redis = await connectRedis()
    await deleteKeys(redis, prefix)
    redis.disconnect()
  })

  it('a token revoked through one instance is rejected by the other within a second', async () => {
    const token = await signToken({ sub: 'alice', jti: uniqueName('jti') })
    // Both instances have cached "not revoked" (for a minute).
    for (const each of [a, b]) {
      expect(
        (await request(each.server.app).get('/me').auth(token, { type: 'bearer' })).status,
      ).toBe(200)
    }
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
      jti: string
      exp: number
    }
    await a.revocation.revokeToken(claims.jti, claims.exp)
    expect(await timeUntil(b.server, token, 401)).toBeLessThan(1000)
    // Polls sent before the invalidation arrived were rightly answered (and ran the handler);
    // once b rejects the token, a request must not reach the handler any more.
    const ranBeforeRejection = b.server.ran()
    const after = await request(b.server.app).get('/me').auth(token, { type: 'bearer' })
    expect(after.status).toBe(401)
    expect(after.headers['www-authenticate']).toMatch(/^Bearer /)
    expect(b.server.ran()).toBe(ranBeforeRejection)
  })

  it('"log out everywhere" through one instance is enforced by the other within a second', async () => {
    const token = await signToken({ sub: 'bob', iat: nowSeconds() - 5 })
    expect((await request(b.server.app).get('/me').auth(token, { type: 'bearer' })).status).toBe(
      200,
    )
    await a.revocation.revokeSubject('bob', nowSeconds(), 600)
    expect(await timeUntil(b.server, token, 401)).toBeLessThan(1000)
  })

  it('a user changed through one instance is seen by the other within a second', async () => {
    const token = await signToken({ sub: 'carol', roles: ['token-role'] })
    const before = await request(b.server.app).get('/me').auth(token, { type: 'bearer' })
    expect(before.body.roles).toEqual(['user'])
    await a.users.updateUser!({ username: 'carol', roles: ['auditor'] })
    const started = performance.now()
    await expect
      .poll(
        async () =>
          (await request(b.server.app).get('/me').auth(token, { type: 'bearer' })).body.roles,
        { timeout: 2000, interval: 10 },
      )
      .toEqual(['auditor'])
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('a user disabled in the database by hand is rejected by both instances within a second', async () => {
    const token = await signToken({ sub: 'dave' })
    for (const each of [a, b]) {
      expect(
        (await request(each.server.app).get('/me').auth(token, { type: 'bearer' })).status,
      ).toBe(200)
    }
    await admin.query(`UPDATE "${table}" SET disabled = true WHERE username = 'dave'`)
    expect(await timeUntil(a.server, token, 401)).toBeLessThan(1000)
    expect(await timeUntil(b.server, token, 401)).toBeLessThan(1000)
  })

  it('an unknown user created elsewhere gets in within a second despite the cached miss', async () => {
    const token = await signToken({ sub: 'erin' })
    expect((await request(b.server.app).get('/me').auth(token, { type: 'bearer' })).status).toBe(
      401,
    )
    await a.users.createUser!({ username: 'erin', roles: ['user'] })
    expect(await timeUntil(b.server, token, 200)).toBeLessThan(1000)
  })
})
