/**
 * Fault tests against real servers behind a loopback proxy: a closed port, a server that accepts
 * and never answers, a paused connection, a dropped Redis connection. Lookups must fail within
 * the configured timeout (never hang, never answer "not revoked" or a user) and work again after
 * recovery, without a restart.
 */
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Invalidation } from '../../src/stores/invalidation.js'
import {
  createPostgresUserStore,
  migratePostgresUserStore,
} from '../../src/stores/postgres/index.js'
import type { PostgresUserStore } from '../../src/stores/postgres/index.js'
import { createRedisRevocationStore } from '../../src/stores/redis/index.js'
import pg from 'pg'
import { connectRedis, deleteKeys } from './redis-helpers.js'
import { POSTGRES_URL, REDIS_URL, serviceAvailable, uniqueName } from './services.js'
import { closedPort, createSilentServer, createTcpProxy } from '../helpers/tcp-proxy.js'

const pgAvailable = await serviceAvailable('postgres', 'PostgreSQL fault')
const redisAvailable = await serviceAvailable('redis', 'Redis fault')

/** The configured timeout of these tests, and the slack a busy 2-core machine needs. */
const TIMEOUT = 500
const SLACK = 1000

/** Awaits `promise` and reports whether it rejected and how long it took. */
async function timed(promise: Promise<unknown>): Promise<{ ms: number; rejected: boolean }> {
  const started = performance.now()
  const rejected = await promise.then(
    () => false,
    () => true,
  )
  return { ms: performance.now() - started, rejected }
}

function withPort(url: string, port: number): string {
  const parsed = new URL(url)
  parsed.hostname = '127.0.0.1'
  parsed.port = String(port)
  return parsed.toString()
}

describe.skipIf(!pgAvailable)('postgres user store faults', () => {
  const table = uniqueName('jwtg_fault')
  let admin: pg.Pool
  const pgPort = Number(new URL(POSTGRES_URL).port || 5432)
  const storeAt = (port: number): PostgresUserStore =>
    createPostgresUserStore({
      connectionString: withPort(POSTGRES_URL, port),
      table,
      channel: false,
      poolConfig: { connectionTimeoutMillis: TIMEOUT, query_timeout: TIMEOUT },
    })

  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 })
    await migratePostgresUserStore(admin, { table, channel: false })
    await admin.query(`INSERT INTO "${table}" (username, roles) VALUES ('alice', '["user"]')`)
  })
  const listenTables: string[] = []
  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS "${table}"`)
    // Dropped here rather than in the test, so that a failing test leaves nothing behind.
    for (const name of listenTables) {
      await admin.query(`DROP TABLE IF EXISTS "${name}"`)
      await admin.query(`DROP FUNCTION IF EXISTS "${name}_notify_row"()`)
      await admin.query(`DROP FUNCTION IF EXISTS "${name}_notify_all"()`)
    }
    await admin.end()
  })

  it('fails at once on a closed port', async () => {
    const store = storeAt(await closedPort())
    const result = await timed(store.findUser('alice'))
    expect(result.rejected).toBe(true)
    expect(result.ms).toBeLessThan(TIMEOUT + SLACK)
    await store.close()
  })

  it('fails within the connection timeout on a server that never answers', async () => {
    const silent = await createSilentServer()
    const store = storeAt(silent.port)
    const result = await timed(store.findUser('alice'))
    expect(result.rejected).toBe(true)
    expect(result.ms).toBeGreaterThanOrEqual(TIMEOUT - 50)
    expect(result.ms).toBeLessThan(TIMEOUT + SLACK)
    await store.close()
    await silent.close()
  })

  it('fails within the query timeout while paused, refused while down, and recovers', async () => {
    const proxy = await createTcpProxy(pgPort)
    const store = storeAt(proxy.port)
    expect((await store.findUser('alice'))?.roles).toEqual(['user'])

    proxy.pause()
    for (let i = 0; i < 2; i++) {
      const result = await timed(store.findUser('alice'))
      expect(result.rejected).toBe(true)
      expect(result.ms).toBeLessThan(TIMEOUT + SLACK)
    }
    proxy.resume()
    await expect
      .poll(() => store.findUser('alice').then((user) => user?.roles, String), {
        timeout: 3000,
        interval: 50,
      })
      .toEqual(['user'])

    await proxy.stop()
    const down = await timed(store.findUser('alice'))
    expect(down.rejected).toBe(true)
    expect(down.ms).toBeLessThan(TIMEOUT + SLACK)
    await proxy.start()
    await expect
      .poll(() => store.findUser('alice').then((user) => user?.roles, String), {
        timeout: 3000,
        interval: 50,
      })
      .toEqual(['user'])
    await store.close()
    await proxy.stop()
  })

  it('notices a LISTEN connection that stopped answering, and listens again after recovery', async () => {
    const proxy = await createTcpProxy(pgPort)
    const listenTable = uniqueName('jwtg_fault_listen')
    listenTables.push(listenTable)
    await migratePostgresUserStore(admin, { table: listenTable })
    const store = createPostgresUserStore({
      connectionString: withPort(POSTGRES_URL, proxy.port),
      table: listenTable,
      poolConfig: { connectionTimeoutMillis: TIMEOUT, query_timeout: TIMEOUT },
      listener: { healthCheckInterval: 100, healthCheckTimeout: 200 },
    })
    const source = store.invalidations!
    const events: Invalidation[] = []
    const stop = source.subscribe((event) => events.push(event))
    await expect.poll(() => source.connected, { timeout: 3000, interval: 10 }).toBe(true)
    events.length = 0

    proxy.pause()
    const started = performance.now()
    await expect.poll(() => source.connected, { timeout: 2000, interval: 10 }).toBe(false)
    expect(performance.now() - started).toBeLessThan(100 + 200 + SLACK)
    expect(events).toContainEqual({ type: 'all' })
    proxy.resume()
    await expect.poll(() => source.connected, { timeout: 5000, interval: 20 }).toBe(true)
    await admin.query(`INSERT INTO "${listenTable}" (username) VALUES ('zoe')`)
    await expect
      .poll(() => events, { timeout: 1000, interval: 10 })
      .toContainEqual({ type: 'user', username: 'zoe' })
    stop()
    await store.close()
    await proxy.stop()
  })
})

describe.skipIf(!redisAvailable)('redis revocation store faults', () => {
  const prefix = `${uniqueName('jwtg_fault')}:`
  const redisPort = Number(new URL(REDIS_URL).port || 6379)
  const later = (): number => Math.floor(Date.now() / 1000) + 600
  let admin: Redis

  beforeAll(async () => {
    admin = await connectRedis()
  })
  afterAll(async () => {
    await deleteKeys(admin, prefix)
    admin.disconnect()
  })

  it('fails at once on a closed port', async () => {
    const store = createRedisRevocationStore({
      redis: withPort(REDIS_URL, await closedPort()),
      prefix,
    })
    const result = await timed(store.isRevoked({ subject: 'alice', jti: 'j' }))
    expect(result.rejected).toBe(true)
    expect(result.ms).toBeLessThan(TIMEOUT + SLACK)
    await store.close()
  })

  it('fails promptly on a server that accepts and never answers', async () => {
    const silent = await createSilentServer()
    const store = createRedisRevocationStore({ redis: withPort(REDIS_URL, silent.port), prefix })
    for (let i = 0; i < 2; i++) {
      const result = await timed(store.isRevoked({ subject: 'alice', jti: 'j' }))
      expect(result.rejected).toBe(true)
      expect(result.ms).toBeLessThan(TIMEOUT + SLACK)
    }
    await store.close()
    await silent.close()
  })

  it('fails within the command timeout while paused, and recovers', async () => {
    const proxy = await createTcpProxy(redisPort)
    const redis = await connectRedis(withPort(REDIS_URL, proxy.port), { commandTimeout: TIMEOUT })
    const store = createRedisRevocationStore({ redis, prefix, channel: false })
    await store.revokeToken('paused', later())
    expect(await store.isRevoked({ subject: 'alice', jti: 'paused' })).toBe(true)

    proxy.pause()
    const result = await timed(store.isRevoked({ subject: 'alice', jti: 'paused' }))
    expect(result.rejected).toBe(true)
    expect(result.ms).toBeGreaterThanOrEqual(TIMEOUT - 50)
    expect(result.ms).toBeLessThan(TIMEOUT + SLACK)
    proxy.resume()
    await expect
      .poll(() => store.isRevoked({ subject: 'alice', jti: 'paused' }).catch(String), {
        timeout: 3000,
        interval: 50,
      })
      .toBe(true)

    await proxy.stop()
    const down = await timed(store.isRevoked({ subject: 'alice', jti: 'paused' }))
    expect(down.rejected).toBe(true)
    expect(down.ms).toBeLessThan(TIMEOUT + SLACK)
    await proxy.start()
    await expect
      .poll(() => store.isRevoked({ subject: 'alice', jti: 'paused' }).catch(String), {
        timeout: 3000,
        interval: 50,
      })
      .toBe(true)
    await store.close()
    redis.disconnect()
    await proxy.stop()
  })

  it('survives CLIENT KILL: fails fast while reconnecting, then answers again', async () => {
    const redis = await connectRedis(REDIS_URL, { commandTimeout: TIMEOUT })
    const store = createRedisRevocationStore({ redis, prefix, channel: false })
    await store.revokeToken('killed', later())
    const id = await redis.client('ID')
    await admin.client('KILL', 'ID', String(id))
    const answers: unknown[] = []
    const deadline = Date.now() + 3000
    while (Date.now() < deadline) {
      const result = await timed(
        store
          .isRevoked({ subject: 'alice', jti: 'killed' })
          .then((revoked) => answers.push(revoked)),
      )
      expect(result.ms).toBeLessThan(TIMEOUT + SLACK)
      if (answers.length > 0) break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    // Never a wrong "not revoked": the first answer after recovery is the stored one.
    expect(answers).toEqual([true])
    expect(await redis.client('ID')).not.toBe(id)
    await store.close()
    redis.disconnect()
  })

  it('resubscribes after its subscriber connection is killed, reporting everything as stale', async () => {
    const name = uniqueName('jwtg_sub')
    const redis = await connectRedis(REDIS_URL, { connectionName: name })
    const store = createRedisRevocationStore({ redis, prefix })
    const events: Invalidation[] = []
    const stop = store.invalidations!.subscribe((event) => events.push(event))
    await expect.poll(() => events, { timeout: 3000, interval: 10 }).toContainEqual({ type: 'all' })
    events.length = 0

    const clients = (await admin.client('LIST')) as string
    const subscriber = clients
      .split('\n')
      .find((line) => line.includes(` name=${name} `) && / flags=\w*P/.test(line))
    const subscriberId = /^id=(\d+)/.exec(subscriber ?? '')?.[1]
    expect(subscriberId).toBeDefined()
    await admin.client('KILL', 'ID', subscriberId!)
    // One `all` for the loss, one once subscribed again.
    await expect
      .poll(() => events.filter((event) => event.type === 'all').length, {
        timeout: 3000,
        interval: 10,
      })
      .toBeGreaterThanOrEqual(2)
    await store.revokeToken('after-kill', later())
    await expect
      .poll(() => events, { timeout: 1000, interval: 10 })
      .toContainEqual({ type: 'token', jti: 'after-kill' })
    stop()
    await store.close()
    redis.disconnect()
  })
  it('notices a subscriber connection that stopped answering, and resubscribes after recovery', async () => {
    const proxy = await createTcpProxy(redisPort)
    const redis = await connectRedis(withPort(REDIS_URL, proxy.port), { commandTimeout: TIMEOUT })
    const store = createRedisRevocationStore({
      redis,
      prefix,
      healthCheck: { interval: 100, timeout: 200 },
    })
    const source = store.invalidations!
    const events: Invalidation[] = []
    const stop = source.subscribe((event) => events.push(event))
    await expect.poll(() => source.connected, { timeout: 3000, interval: 10 }).toBe(true)
    events.length = 0

    proxy.pause()
    const started = performance.now()
    await expect.poll(() => source.connected, { timeout: 2000, interval: 10 }).toBe(false)
    expect(performance.now() - started).toBeLessThan(100 + 200 + SLACK)
    expect(events).toContainEqual({ type: 'all' })
    proxy.resume()
    await expect.poll(() => source.connected, { timeout: 5000, interval: 20 }).toBe(true)
    const direct = createRedisRevocationStore({ redis: admin, prefix })
    await direct.revokeToken('after-pause', later())
    await expect
      .poll(() => events, { timeout: 1000, interval: 10 })
      .toContainEqual({ type: 'token', jti: 'after-pause' })
    stop()
    await store.close()
    await direct.close()
    redis.disconnect()
    await proxy.stop()
  })
})
