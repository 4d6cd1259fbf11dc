/**
 * Store failures over HTTP: a missing table, garbage rows, a paused or stopped PostgreSQL (user and
 * revocation stores), a stopped or killed Redis connection. Each gives 503 ERR_AUTH_STORE_UNAVAILABLE with Retry-After,
 * the handler never runs, nothing is reported as a bad token, and requests succeed again once the
 * store is back, without a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import request from 'supertest'
import type { Response } from 'supertest'
import { afterAll, describe, expect, it, onTestFinished } from 'vitest'
import {
  createPostgresRevocationStore,
  createPostgresUserStore,
  migratePostgresRevocationStore,
  migratePostgresUserStore,
} from '../../src/stores/postgres/index.js'
import { createRedisRevocationStore } from '../../src/stores/redis/index.js'
import { createSqliteUserStore, migrateSqliteUserStore } from '../../src/stores/sqlite/index.js'
import { createStoreApp, nowSeconds, signToken } from './http-app.js'
import type { StoreApp } from './http-app.js'
import { connectRedis, deleteKeys } from './redis-helpers.js'
import { POSTGRES_URL, REDIS_URL, serviceAvailable, uniqueName } from './services.js'
import { createTcpProxy } from '../helpers/tcp-proxy.js'
import type { TcpProxy } from '../helpers/tcp-proxy.js'

const pgAvailable = await serviceAvailable('postgres', 'HTTP PostgreSQL fault')
const redisAvailable = await serviceAvailable('redis', 'HTTP Redis fault')

const TIMEOUT = 500
const SLACK = 1000

const dir = mkdtempSync(join(tmpdir(), 'jwt-gate-http-faults-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function expectUnavailable(res: Response, server: StoreApp, ranBefore: number): void {
  expect(res.status).toBe(503)
  expect(res.headers['retry-after']).toBe('5')
  expect(res.headers['www-authenticate']).toBeUndefined()
  expect(res.body.code).toBe('ERR_AUTH_STORE_UNAVAILABLE')
  expect(server.ran()).toBe(ranBefore)
}

async function get(server: StoreApp, token: string): Promise<{ res: Response; ms: number }> {
  const started = performance.now()
  const res = await request(server.app).get('/me').auth(token, { type: 'bearer' })
  return { res, ms: performance.now() - started }
}

describe('SQLite store failures over HTTP', () => {
  it('answers 503 while the table is missing, and 200 once it is back', async () => {
    const db = new Database(join(dir, `${uniqueName('users')}.db`))
    const server = createStoreApp({ users: createSqliteUserStore({ db }), timeout: TIMEOUT })
    const token = await signToken({ sub: 'alice' })
    expectUnavailable((await get(server, token)).res, server, 0)
    migrateSqliteUserStore(db)
    db.prepare(`INSERT INTO users (username, roles) VALUES ('alice', '["user"]')`).run()
    expect((await get(server, token)).res.status).toBe(200)
    expect(server.ran()).toBe(1)
    db.close()
  })

  it('answers 503 for a row of the wrong shape, not 401 and not 200', async () => {
    const db = new Database(join(dir, `${uniqueName('users')}.db`))
    db.exec('CREATE TABLE users (username TEXT PRIMARY KEY, roles, disabled, name)')
    db.prepare(`INSERT INTO users VALUES ('alice', '{"admin":true}', 0, NULL)`).run()
    const server = createStoreApp({ users: createSqliteUserStore({ db }), timeout: TIMEOUT })
    expectUnavailable((await get(server, await signToken({ sub: 'alice' }))).res, server, 0)
    db.close()
  })
})

/** A fault proxy in front of the test PostgreSQL, and the connection string that goes through it. */
async function proxiedPostgres(): Promise<{ proxy: TcpProxy; url: string }> {
  const proxy = await createTcpProxy(Number(new URL(POSTGRES_URL).port || 5432))
  const url = new URL(POSTGRES_URL)
  url.hostname = '127.0.0.1'
  url.port = String(proxy.port)
  return { proxy, url: url.toString() }
}

describe.skipIf(!pgAvailable)('PostgreSQL failures over HTTP', () => {
  it('answers 503 within the timeout while paused or stopped, and 200 after recovery', async () => {
    const table = uniqueName('jwtg_http_fault')
    const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 })
    onTestFinished(async () => {
      await admin.query(`DROP TABLE IF EXISTS "${table}"`)
      await admin.end()
    })
    await migratePostgresUserStore(admin, { table, channel: false })
    await admin.query(`INSERT INTO "${table}" (username, roles) VALUES ('alice', '["user"]')`)
    const { proxy, url } = await proxiedPostgres()
    const users = createPostgresUserStore({
      connectionString: url,
      table,
      channel: false,
      poolConfig: { connectionTimeoutMillis: TIMEOUT, query_timeout: TIMEOUT },
    })
    // The middleware's own timeout is longer than the driver's: the driver fails first.
    const server = createStoreApp({ users, timeout: TIMEOUT * 2 })
    const token = await signToken({ sub: 'alice' })
    expect((await get(server, token)).res.status).toBe(200)

    proxy.pause()
    const paused = await get(server, token)
    expectUnavailable(paused.res, server, 1)
    expect(paused.ms).toBeLessThan(TIMEOUT * 2 + SLACK)
    proxy.resume()
    await expect
      .poll(async () => (await get(server, token)).res.status, { timeout: 3000, interval: 50 })
      .toBe(200)

    const ran = server.ran()
    await proxy.stop()
    const stopped = await get(server, token)
    expectUnavailable(stopped.res, server, ran)
    expect(stopped.ms).toBeLessThan(TIMEOUT + SLACK)
    await proxy.start()
    await expect
      .poll(async () => (await get(server, token)).res.status, { timeout: 3000, interval: 50 })
      .toBe(200)

    await server.middleware.close()
    await proxy.stop()
  })
})

describe.skipIf(!redisAvailable)('Redis failures over HTTP', () => {
  const prefix = `${uniqueName('jwtg_http_fault')}:`
  afterAll(async () => {
    const admin = await connectRedis()
    await deleteKeys(admin, prefix)
    admin.disconnect()
  })

  it('answers 503 while Redis is unreachable, never 200 for a revoked token, then 401 again', async () => {
    const proxy = await createTcpProxy(Number(new URL(REDIS_URL).port || 6379))
    const url = new URL(REDIS_URL)
    url.hostname = '127.0.0.1'
    url.port = String(proxy.port)
    const redis = await connectRedis(url.toString(), { commandTimeout: TIMEOUT })
    const revocation = createRedisRevocationStore({ redis, prefix, channel: false })
    const server = createStoreApp({ revocation, timeout: TIMEOUT * 2 })
    const revoked = await signToken({ sub: 'alice', jti: 'revoked-during-outage' })
    const fine = await signToken({ sub: 'alice' })
    await revocation.revokeToken('revoked-during-outage', nowSeconds() + 600)
    expect((await get(server, revoked)).res.status).toBe(401)

    await proxy.stop()
    for (const token of [revoked, fine]) {
      const down = await get(server, token)
      expectUnavailable(down.res, server, 0)
      expect(down.ms).toBeLessThan(TIMEOUT + SLACK)
    }
    proxy.pause()
    await proxy.start()
    // Reconnecting to a server that does not answer: still 503.
    const hung = await get(server, revoked)
    expect(hung.res.status).toBe(503)
    proxy.resume()
    await expect
      .poll(async () => (await get(server, fine)).res.status, { timeout: 3000, interval: 50 })
      .toBe(200)
    expect((await get(server, revoked)).res.status).toBe(401)

    await server.middleware.close()
    redis.disconnect()
    await proxy.stop()
  })

  it('never lets a revoked token through while its connection is killed and re-established', async () => {
    const redis = await connectRedis(REDIS_URL, { commandTimeout: TIMEOUT })
    const revocation = createRedisRevocationStore({ redis, prefix, channel: false })
    const server = createStoreApp({ revocation, timeout: TIMEOUT * 2 })
    const revoked = await signToken({ sub: 'alice', jti: 'revoked-before-kill' })
    await revocation.revokeToken('revoked-before-kill', nowSeconds() + 600)
    const admin = await connectRedis()
    await admin.client('KILL', 'ID', String(await redis.client('ID')))
    const statuses: number[] = []
    const deadline = Date.now() + 3000
    while (Date.now() < deadline && statuses.at(-1) !== 401) {
      statuses.push((await get(server, revoked)).res.status)
    }
    expect(statuses.every((status) => status === 401 || status === 503)).toBe(true)
    expect(statuses.at(-1)).toBe(401)
    expect(server.ran()).toBe(0)
    admin.disconnect()
    await server.middleware.close()
    redis.disconnect()
  })
})

describe.skipIf(!pgAvailable)('PostgreSQL revocation store failures over HTTP', () => {
  it('answers 503 while PostgreSQL is unreachable or hung, never 200 for a revoked token, then 401 again', async () => {
    const prefix = `${uniqueName('jwtg_http_fault')}_`
    const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 })
    onTestFinished(async () => {
      await admin.query(`DROP TABLE IF EXISTS "${prefix}tokens", "${prefix}subjects"`)
      await admin.end()
    })
    await migratePostgresRevocationStore(admin, { prefix })
    const { proxy, url } = await proxiedPostgres()
    const revocation = createPostgresRevocationStore({
      connectionString: url,
      prefix,
      channel: false,
      poolConfig: { connectionTimeoutMillis: TIMEOUT, query_timeout: TIMEOUT },
    })
    const server = createStoreApp({ revocation, timeout: TIMEOUT * 2 })
    const revoked = await signToken({ sub: 'alice', jti: uniqueName('jti') })
    const fine = await signToken({ sub: 'alice' })
    const jti = JSON.parse(Buffer.from(revoked.split('.')[1]!, 'base64url').toString()).jti
    await revocation.revokeToken(jti, nowSeconds() + 600)
    expect((await get(server, revoked)).res.status).toBe(401)
    expect((await get(server, fine)).res.status).toBe(200)

    await proxy.stop()
    for (const token of [revoked, fine]) {
      const down = await get(server, token)
      expectUnavailable(down.res, server, 1)
      expect(down.ms).toBeLessThan(TIMEOUT + SLACK)
    }
    await proxy.start()
    proxy.pause()
    for (const token of [revoked, fine]) {
      const hung = await get(server, token)
      expectUnavailable(hung.res, server, 1)
      expect(hung.ms).toBeLessThan(TIMEOUT * 2 + SLACK)
    }
    proxy.resume()
    await expect
      .poll(async () => (await get(server, fine)).res.status, { timeout: 3000, interval: 50 })
      .toBe(200)
    expect((await get(server, revoked)).res.status).toBe(401)

    await server.middleware.close()
    await proxy.stop()
  })
})
