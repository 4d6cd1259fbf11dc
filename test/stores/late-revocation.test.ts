/**
 * A revocation made after the token's `exp`, while the issuer's clock tolerance still lets the
 * token in, must hold: the stores keep every denial and subject mark for the largest tolerance
 * past its expiry, and publish it like any other. The middleware runs on a fixed clock; the memory
 * and PostgreSQL stores share it, Redis expires keys on its own (real) clock, so the Redis tokens
 * are set relative to the wall clock.
 */
import { EventEmitter, once } from 'node:events'
import pg from 'pg'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthConfigError } from '../../src/index.js'
import { cacheRevocationStore } from '../../src/stores/cache/index.js'
import type { CachedRevocationStore } from '../../src/stores/cache/index.js'
import type { Invalidation, InvalidationSource } from '../../src/stores/invalidation.js'
import { createMemoryRevocationStore } from '../../src/stores/memory.js'
import {
  createPostgresRevocationStore,
  migratePostgresRevocationStore,
} from '../../src/stores/postgres/index.js'
import type { PostgresRevocationStoreOptions } from '../../src/stores/postgres/index.js'
import { createRedisRevocationStore } from '../../src/stores/redis/index.js'
import { MAX_CLOCK_TOLERANCE } from '../../src/stores/validate.js'
import { challenge, createStoreApp, nowSeconds, signToken } from './http-app.js'
import type { StoreApp } from './http-app.js'
import { connectRedis, deleteKeys } from './redis-helpers.js'
import { POSTGRES_URL, serviceAvailable, uniqueName } from './services.js'
import { manualClock } from '../helpers/tokens.js'

const available = await serviceAvailable('redis', 'late revocation over Redis')
const pgAvailable = await serviceAvailable('postgres', 'late revocation over PostgreSQL')

/** Seconds the issuer tolerates past `exp`. */
const TOLERANCE = 60

/** A token of `sub` that expired `ago` seconds before `now`, with its `jti` and `exp`. */
async function expiredToken(
  sub: string,
  now: number,
  ago: number,
): Promise<{ token: string; jti: string; exp: number }> {
  const jti = uniqueName('jti')
  const exp = now - ago
  return { token: await signToken({ sub, jti, iat: exp - 600, exp }), jti, exp }
}

function get(server: StoreApp, token: string): request.Test {
  return request(server.app).get('/me').auth(token, { type: 'bearer' })
}

/** Asserts that `token` is refused as revoked and the handler does not run. */
async function expectRevoked(server: StoreApp, token: string): Promise<void> {
  const before = server.ran()
  const res = await get(server, token)
  expect(res.status).toBe(401)
  expect(res.headers['www-authenticate']).toBe(challenge('token revoked'))
  expect(res.body.code).toBe('ERR_AUTH_TOKEN_REVOKED')
  expect(server.ran()).toBe(before)
}

describe('the clock tolerance an issuer may have', () => {
  it('is at most what the revocation stores keep past expiry', async () => {
    const revocation = createMemoryRevocationStore()
    const largest = createStoreApp({ revocation, clockTolerance: MAX_CLOCK_TOLERANCE })
    await largest.middleware.close()
    let refusal: unknown
    try {
      createStoreApp({ revocation, clockTolerance: MAX_CLOCK_TOLERANCE + 1 })
    } catch (error) {
      refusal = error
    }
    expect(refusal).toBeInstanceOf(AuthConfigError)
    expect((refusal as AuthConfigError).option).toBe('issuers[0].clockTolerance')
  })
})

describe('late revocation, memory store', () => {
  const T0 = nowSeconds()

  function setup(): {
    server: StoreApp
    revocation: CachedRevocationStore
    advance: (seconds: number) => void
  } {
    const time = manualClock(T0 * 1000)
    // Answers are cached for a minute: only the revocation itself may drop them.
    const revocation = cacheRevocationStore(createMemoryRevocationStore({ clock: time.clock }), {
      ttl: 60_000,
      clock: time.clock,
    })
    const server = createStoreApp({ revocation, clock: time.clock, clockTolerance: TOLERANCE })
    return { server, revocation, advance: time.advance }
  }

  it('a jti revoked after exp, within the tolerance, is refused', async () => {
    const { server, revocation } = setup()
    const { token, jti, exp } = await expiredToken('alice', T0, 10)
    expect((await get(server, token)).status).toBe(200)
    await revocation.revokeToken(jti, exp)
    await expectRevoked(server, token)
    await server.middleware.close()
  })

  it('a subject mark outlives its ttl while a token it covers is still accepted', async () => {
    const { server, revocation, advance } = setup()
    // "Log out everywhere" with the token lifetime as ttl; a token issued just before it expires
    // 600 s later and is accepted for TOLERANCE more.
    const token = await signToken({ sub: 'bob', iat: T0 - 1, exp: T0 + 599 })
    await revocation.revokeSubject('bob', T0, 600)
    await expectRevoked(server, token)
    advance(600 + 5)
    await expectRevoked(server, token)
    await server.middleware.close()
  })

  it('a token the verified-token cache held is refused once revoked after its exp', async () => {
    const { server, revocation, advance } = setup()
    const exp = T0 + 5
    const jti = uniqueName('jti')
    const token = await signToken({ sub: 'carol', jti, iat: T0 - 60, exp })
    // A token enters the verified-token cache on its second verification.
    for (let i = 0; i < 3; i++) expect((await get(server, token)).status).toBe(200)
    // The entry ends at exp; the token is verified afresh and passes within the tolerance.
    advance(10)
    expect((await get(server, token)).status).toBe(200)
    await revocation.revokeToken(jti, exp)
    await expectRevoked(server, token)
    await server.middleware.close()
  })
})

/** Resolves once `source` listens (it reports `all` when it starts). */
async function listening(source: InvalidationSource): Promise<() => void> {
  const events = new EventEmitter()
  const stop = source.subscribe((event: Invalidation) => events.emit(event.type))
  await once(events, 'all')
  return stop
}

describe.skipIf(!available)('late revocation, Redis store, two instances', () => {
  const prefix = `${uniqueName('jwtg_late')}:`
  // The middleware's fixed "now"; Redis compares expiries with its own clock, the same wall clock.
  const T0 = nowSeconds()
  const clock = (): Date => new Date(T0 * 1000)
  const instances: {
    server: StoreApp
    revocation: CachedRevocationStore
    close(): Promise<void>
  }[] = []

  async function instance(): Promise<(typeof instances)[number]> {
    const redis = await connectRedis()
    const store = createRedisRevocationStore({ redis, prefix })
    const stop = await listening(store.invalidations!)
    // Answers are cached for a minute: only the published invalidation may drop them.
    const revocation = cacheRevocationStore(store, {
      ttl: 60_000,
      invalidations: store.invalidations,
    })
    const server = createStoreApp({ revocation, clock, clockTolerance: TOLERANCE })
    return {
      server,
      revocation,
      async close() {
        stop()
        await server.middleware.close()
        redis.disconnect()
      },
    }
  }

  beforeAll(async () => {
    instances.push(await instance(), await instance())
  })
  afterAll(async () => {
    for (const each of instances) await each.close()
    const redis = await connectRedis()
    await deleteKeys(redis, prefix)
    redis.disconnect()
  })

  it('a jti revoked after exp on one instance is refused by both', async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]]
    const { token, jti, exp } = await expiredToken('alice', T0, 10)
    // Both instances have cached "not revoked".
    for (const each of [a, b]) expect((await get(each.server, token)).status).toBe(200)
    await a.revocation.revokeToken(jti, exp)
    await expectRevoked(a.server, token)
    // b learns of it only through the published invalidation: wait for it (bounded), then check
    // that a request is refused without reaching the handler.
    await expect
      .poll(async () => (await get(b.server, token)).status, { timeout: 2000, interval: 10 })
      .toBe(401)
    await expectRevoked(b.server, token)
  })
})

/** One app instance over the PostgreSQL revocation store. */
interface PostgresInstance {
  server: StoreApp
  revocation: CachedRevocationStore
  source: InvalidationSource
  /** Resolves with the next event of `type` from the store's listener; rejects after 2 s. */
  heard(type: Invalidation['type']): Promise<unknown[]>
  close(): Promise<void>
}

describe.skipIf(!pgAvailable)('late revocation, PostgreSQL store, two instances', () => {
  const prefix = `${uniqueName('jwtg_late')}_`
  // The middleware and the store share a fixed "now": the store compares expiries with it.
  const T0 = nowSeconds()
  const clock = (): Date => new Date(T0 * 1000)
  let admin: pg.Pool
  const instances: PostgresInstance[] = []

  /** An app instance whose cache keeps answers a minute, and the events its listener hears. */
  async function instance(
    extra: Partial<PostgresRevocationStoreOptions> = {},
  ): Promise<PostgresInstance> {
    const store = createPostgresRevocationStore({
      connectionString: POSTGRES_URL,
      prefix,
      clock,
      ...extra,
    } as PostgresRevocationStoreOptions)
    const source = store.invalidations!
    const events = new EventEmitter()
    const stop = source.subscribe((event: Invalidation) => events.emit(event.type, event))
    await once(events, 'all', { signal: AbortSignal.timeout(5000) })
    const revocation = cacheRevocationStore(store, { ttl: 60_000, invalidations: source })
    const server = createStoreApp({ revocation, clock, clockTolerance: TOLERANCE })
    const each: PostgresInstance = {
      server,
      revocation,
      source,
      heard: (type) => once(events, type, { signal: AbortSignal.timeout(2000) }),
      async close() {
        stop()
        await server.middleware.close()
      },
    }
    instances.push(each)
    return each
  }

  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 })
    await migratePostgresRevocationStore(admin, { prefix })
  })
  afterAll(async () => {
    for (const each of instances) await each.close()
    await admin.query(`DROP TABLE IF EXISTS "${prefix}tokens", "${prefix}subjects"`)
    await admin.end()
  })

  it('a jti revoked after exp on one instance is refused by both', async () => {
    const a = await instance()
    const b = await instance()
    const { token, jti, exp } = await expiredToken('alice', T0, 10)
    // Both instances have cached "not revoked".
    for (const each of [a, b]) expect((await get(each.server, token)).status).toBe(200)
    const notified = b.heard('token')
    await a.revocation.revokeToken(jti, exp)
    await expectRevoked(a.server, token)
    // b learns of it only through the NOTIFY; once its cache has dropped the answer, a request is
    // refused without reaching the handler.
    expect(await notified).toEqual([{ type: 'token', jti }])
    await expectRevoked(b.server, token)
  })

  it('an instance whose listener is down caches nothing, so it refuses a late revocation at once', async () => {
    const a = await instance()
    const name = uniqueName('jwtg_late_down')
    // A reconnect a minute away keeps the listener down for the whole test; without health
    // checks its connection's last query stays the LISTEN, which is how it is found.
    const c = await instance({
      poolConfig: { application_name: name },
      listener: { retryDelay: 60_000, maxRetryDelay: 60_000, healthCheckInterval: 0 },
    })
    const lost = c.heard('all')
    const killed = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE application_name = $1 AND query LIKE 'LISTEN %'`,
      [name],
    )
    expect(killed.rowCount).toBe(1)
    await lost
    expect(c.source.connected).toBe(false)
    const { token, jti, exp } = await expiredToken('bob', T0, 20)
    expect((await get(c.server, token)).status).toBe(200)
    // No notification can reach c now; its cache must not have kept the answer above.
    await a.revocation.revokeToken(jti, exp)
    await expectRevoked(c.server, token)
  })
})
