/**
 * Store faults, the one suite: a user or revocation store that is down, slow, erroring, answering
 * garbage or recovering. While it fails every request gets 503 `ERR_AUTH_STORE_UNAVAILABLE` with
 * Retry-After and no challenge, the handler never runs and nothing is reported as a bad token; a
 * revoked token is never let through; once the store is back, service is normal without a
 * restart. A store call never hangs: it ends at the configured timeout.
 *
 * - In-test stores cover every failure shape. The middleware's store timeout is its only timer,
 *   so `setTimeout` is faked: a hanging store answers 503 exactly when the timeout is reached
 *   (not a millisecond before), and a failing one without any timer firing.
 * - The real SQLite, PostgreSQL and Redis adapters are failed for real: a closed database, a
 *   missing table, a closed port, a silent server, and a TCP fault proxy in front of the real
 *   server (paused, stopped, cut, black-holed) or a killed connection. Their timeouts are the
 *   drivers', on real time: each failure is checked by its cause (the driver's timeout, a refused
 *   connection), never against a wall-clock bound.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Redis } from 'ioredis'
import pg from 'pg'
import type { Response } from 'supertest'
import request from 'supertest'
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest'
import type { AuthErrorCode, RevocationStore, UserRecord, UserStore } from '../../src/index.js'
import type { Invalidation, InvalidationSource } from '../../src/stores/invalidation.js'
import { createMemoryRevocationStore } from '../../src/stores/memory.js'
import {
  createPostgresRevocationStore,
  createPostgresUserStore,
  migratePostgresRevocationStore,
  migratePostgresUserStore,
} from '../../src/stores/postgres/index.js'
import type { PostgresUserStore } from '../../src/stores/postgres/index.js'
import { createRedisRevocationStore } from '../../src/stores/redis/index.js'
import { createSqliteUserStore, migrateSqliteUserStore } from '../../src/stores/sqlite/index.js'
import {
  expectAttackRejected,
  expectPassed,
  send,
  startServer,
} from '../attacks/helpers/harness.js'
import type { Answer, AttackServer } from '../attacks/helpers/harness.js'
import { KNOWN_USERS, target, tokenFor } from '../attacks/helpers/targets.js'
import type { Target } from '../attacks/helpers/targets.js'
import { NOW, NOW_S } from '../helpers/tokens.js'
import { closedPort, createSilentServer, createTcpProxy } from '../helpers/tcp-proxy.js'
import type { TcpProxy } from '../helpers/tcp-proxy.js'
import { createStoreApp, nowSeconds, signToken } from '../stores/http-app.js'
import type { StoreApp } from '../stores/http-app.js'
import { connectRedis, deleteKeys } from '../stores/redis-helpers.js'
import { POSTGRES_URL, REDIS_URL, serviceAvailable, uniqueName } from '../stores/services.js'

const pgAvailable = await serviceAvailable('postgres', 'PostgreSQL store fault')
const redisAvailable = await serviceAvailable('redis', 'Redis store fault')

/**
 * The middleware's store timeout where the app is the attack harness's: a fake timer for the
 * in-test stores, a real one in front of the fault proxy (shorter than the pool's 500 ms there).
 */
const STORE_TIMEOUT = 200
/** The drivers' timeouts (and the middleware's, where the driver must fail first: twice this). */
const TIMEOUT = 500
const base = target('users')

let srv: AttackServer | undefined
afterEach(async () => {
  await srv?.close()
  srv = undefined
})

const dir = mkdtempSync(join(tmpdir(), 'jwt-gate-store-faults-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function withStores(users: UserStore | undefined, revocation?: RevocationStore): Target {
  return {
    ...base,
    name: 'store-faults',
    options: () => {
      const { users: _ignored, ...rest } = base.options()
      return {
        ...rest,
        ...(users === undefined ? {} : { users: { store: users, timeout: STORE_TIMEOUT } }),
        ...(revocation === undefined
          ? {}
          : { revocation: { store: revocation, timeout: STORE_TIMEOUT } }),
      }
    },
  }
}

async function call(
  server: AttackServer,
  claims: Record<string, unknown> = {},
): Promise<{ res: Answer; before: number }> {
  const before = server.ran()
  return {
    res: await send(server, {
      token: tokenFor(base, { claims: { jti: randomBytes(6).toString('hex'), ...claims } }),
    }),
    before,
  }
}

/**
 * The promise of every store failure: 503 `ERR_AUTH_STORE_UNAVAILABLE` with Retry-After and no
 * challenge (it is not the client's fault), and the handler did not run.
 */
function expectStoreDown(res: Answer, server: AttackServer, ranBefore: number): void {
  expect(server.ran()).toBe(ranBefore)
  expect(res.status).toBe(503)
  expect(res.headers['retry-after']).toBe('5')
  expect(res.headers['www-authenticate']).toBeUndefined()
  expect(server.lastRejection()?.code).toBe<AuthErrorCode>('ERR_AUTH_STORE_UNAVAILABLE')
}

/** Only `setTimeout` is faked: sockets, `setImmediate` and the drivers run as usual. */
function fakeTheStoreTimeout(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  onTestFinished(() => {
    vi.useRealTimers()
  })
}

/** Lets pending I/O callbacks and promise jobs run: a few turns of the event loop, no sleep. */
async function settleEventLoop(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
}

/**
 * Sends a request whose store call hangs and checks that the 503 comes from the store timeout:
 * with the clock at one millisecond before it nothing is rejected, at it the 503 arrives.
 */
async function callHanging(
  server: AttackServer,
  called: Promise<void>,
  claims: Record<string, unknown> = {},
): Promise<{ res: Answer; before: number }> {
  const rejectionBefore = server.lastRejection()
  const answer = call(server, claims)
  await called
  await vi.advanceTimersByTimeAsync(STORE_TIMEOUT - 1)
  await settleEventLoop()
  expect(server.lastRejection()).toBe(rejectionBefore)
  await vi.advanceTimersByTimeAsync(1)
  return answer
}

/** A promise resolved at the next call of a store method, made before the request is sent. */
function callSignal(): { next: () => Promise<void>; notify: () => void } {
  let waiting: (() => void)[] = []
  return {
    next: () => new Promise<void>((resolve) => waiting.push(resolve)),
    notify() {
      const resolvers = waiting
      waiting = []
      for (const resolve of resolvers) resolve()
    },
  }
}

/** A user store whose behaviour the test switches; `calls` signals each lookup. */
function switchableUsers(): UserStore & {
  behave(how: (username: string) => Promise<unknown>): void
  calls: ReturnType<typeof callSignal>
} {
  const healthy = (username: string): Promise<unknown> =>
    Promise.resolve(KNOWN_USERS.find((user) => user.username === username))
  let how = healthy
  const calls = callSignal()
  return {
    findUser: (username) => {
      calls.notify()
      return how(username) as Promise<UserRecord | undefined>
    },
    behave(next) {
      how = next
    },
    calls,
  }
}

/** The in-test failures that hang: their 503 must come from the store timeout. */
const HANGS = new Set(['never answers (slow)', 'answers after 5 s (slow)'])

const USER_FAILURES: [string, (username: string) => Promise<unknown>][] = [
  [
    'rejects with an Error (down)',
    () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')),
  ],
  [
    'throws synchronously',
    () => {
      throw new Error('pool destroyed')
    },
  ],
  // Stores written by others may reject with anything; that is exactly the case under test.
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
  ['rejects with a non-Error value', () => Promise.reject('boom')],
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
  ['rejects with undefined', () => Promise.reject(undefined)],
  ['never answers (slow)', () => new Promise(() => undefined)],
  [
    'answers after 5 s (slow)',
    () => new Promise((resolve) => setTimeout(() => resolve(KNOWN_USERS[0]), 5_000).unref()),
  ],
  ['answers another user', () => Promise.resolve({ username: 'mallory', roles: ['admin'] })],
  [
    'answers the user with a case-folded name',
    () => Promise.resolve({ username: 'Alice', roles: ['user'] }),
  ],
  ['answers a string', () => Promise.resolve('alice')],
  ['answers roles as a string', (u) => Promise.resolve({ username: u, roles: 'admin' })],
  [
    'answers disabled as a string',
    (u) => Promise.resolve({ username: u, roles: [], disabled: 'false' }),
  ],
  [
    'answers a thenable that throws',
    () =>
      ({
        then: () => {
          throw new Error('bad thenable')
        },
      }) as unknown as Promise<unknown>,
  ],
  [
    // Regression: the shape check used to run outside the store-call guard, so this answer escaped
    // as a 500; the answer is now checked inside the store call.
    'answers an object whose getter throws (a detached ORM entity)',
    () =>
      Promise.resolve({
        get username(): string {
          throw new Error('entity detached')
        },
        roles: ['user'],
      }),
  ],
  [
    'answers a Proxy that throws on every access',
    () =>
      Promise.resolve(
        new Proxy(
          {},
          {
            get() {
              throw new Error('lazy relation not loaded')
            },
          },
        ),
      ),
  ],
]

describe('user store faults (in-test store)', () => {
  for (const [label, failure] of USER_FAILURES) {
    it(`${label}: 503, nothing passes; normal service after it recovers`, async () => {
      fakeTheStoreTimeout()
      const store = switchableUsers()
      srv = await startServer(withStores(store))
      const ok = await call(srv)
      expectPassed(ok.res, srv, ok.before)

      store.behave(failure)
      for (let i = 0; i < 3; i++) {
        // A failure that does not hang is answered without any timer firing.
        const down = HANGS.has(label) ? await callHanging(srv, store.calls.next()) : await call(srv)
        expectStoreDown(down.res, srv, down.before)
      }
      store.behave((u) => Promise.resolve(KNOWN_USERS.find((user) => user.username === u)))
      const back = await call(srv)
      expectPassed(back.res, srv, back.before)
      // Unknown and disabled users are 401 again, not 503: the store answers honestly.
      const unknown = await call(srv, { sub: 'mallory' })
      expectAttackRejected(unknown.res, srv, unknown.before, ['ERR_AUTH_USER_UNKNOWN'])
    })
  }

  it('a store that answers null for every user: unknown (401), never a pass', async () => {
    const store = switchableUsers()
    store.behave(() => Promise.resolve(null))
    srv = await startServer(withStores(store))
    const { res, before } = await call(srv)
    expectAttackRejected(res, srv, before, ['ERR_AUTH_USER_UNKNOWN'])
  })
})

describe('revocation store faults (in-test store)', () => {
  const REVOCATION_FAILURES: [string, () => Promise<unknown>][] = [
    ['rejects (down)', () => Promise.reject(new Error('ECONNRESET'))],
    ['never answers (slow)', () => new Promise(() => undefined)],
    ['answers undefined', () => Promise.resolve(undefined)],
    ['answers a string', () => Promise.resolve('false')],
    ['answers 0', () => Promise.resolve(0)],
  ]
  for (const [label, failure] of REVOCATION_FAILURES) {
    it(`${label}: 503, nothing passes; normal service after it recovers`, async () => {
      fakeTheStoreTimeout()
      const memory = createMemoryRevocationStore({ clock: () => NOW })
      const calls = callSignal()
      let broken = false
      const store: RevocationStore = {
        isRevoked: (query) => {
          calls.notify()
          return broken ? (failure() as Promise<boolean>) : memory.isRevoked(query)
        },
        revokeToken: (jti, until) => memory.revokeToken(jti, until),
        revokeSubject: (subject, before, ttl) => memory.revokeSubject(subject, before, ttl),
      }
      const down = (
        claims: Record<string, unknown> = {},
      ): Promise<{ res: Answer; before: number }> =>
        HANGS.has(label) ? callHanging(srv!, calls.next(), claims) : call(srv!, claims)
      srv = await startServer(withStores(undefined, store))
      await memory.revokeToken('revoked-jti', NOW_S + 3600)
      const ok = await call(srv)
      expectPassed(ok.res, srv, ok.before)
      broken = true
      const failed = await down()
      expectStoreDown(failed.res, srv, failed.before)
      const revokedWhileDown = await down({ jti: 'revoked-jti' })
      expectStoreDown(revokedWhileDown.res, srv, revokedWhileDown.before)
      broken = false
      const back = await call(srv)
      expectPassed(back.res, srv, back.before)
      const revoked = await call(srv, { jti: 'revoked-jti' })
      expectAttackRejected(revoked.res, srv, revoked.before, ['ERR_AUTH_TOKEN_REVOKED'])
    })
  }
})

/** The same promise over supertest, for the apps of test/stores/http-app.ts. */
function expectUnavailable(res: Response, server: StoreApp, ranBefore: number): void {
  expect(res.status).toBe(503)
  expect(res.headers['retry-after']).toBe('5')
  expect(res.headers['www-authenticate']).toBeUndefined()
  expect(res.body.code).toBe('ERR_AUTH_STORE_UNAVAILABLE')
  expect(server.lastRejection()?.code).toBe<AuthErrorCode>('ERR_AUTH_STORE_UNAVAILABLE')
  expect(server.ran()).toBe(ranBefore)
}

/** The message of the store's own error behind the last 503, or `undefined` (a timeout). */
function causeOf(rejection: { cause?: unknown } | undefined): string | undefined {
  const cause = rejection?.cause
  if (cause === undefined) return undefined
  return cause instanceof Error ? cause.message : JSON.stringify(cause)
}

function get(server: StoreApp, token: string): Promise<Response> {
  return request(server.app).get('/me').auth(token, { type: 'bearer' })
}

/** Polls until `token` passes again (the driver reconnected by itself). */
function passesAgain(server: StoreApp, token: string): Promise<void> {
  return expect.poll(async () => (await get(server, token)).status, POLL_RECONNECT).toBe(200)
}

/** The error `promise` rejects with (the test fails if it resolves). */
async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(Error)
  return error as Error
}

/** How long `promise` took to reject, and its error: for timeouts that must not fire early. */
async function timedFailureOf(promise: Promise<unknown>): Promise<{ ms: number; error: Error }> {
  const started = performance.now()
  const error = await failureOf(promise)
  return { ms: performance.now() - started, error }
}

function withPort(url: string, port: number): string {
  const parsed = new URL(url)
  parsed.hostname = '127.0.0.1'
  parsed.port = String(port)
  return parsed.toString()
}

/** A real connection coming back (a reconnect) takes real time: poll it, for at most 8 s. */
const POLL_RECOVERY = { timeout: 8_000, interval: 100 }
/** The same for a driver reconnecting by itself after a pause or a restart, at most 3 s. */
const POLL_RECONNECT = { timeout: 3000, interval: 50 }

const pgPort = Number(new URL(POSTGRES_URL).port || 5432)
const redisPort = Number(new URL(REDIS_URL).port || 6379)

/** Driver errors, by cause: each failure below names which one it must be. */
const PG_QUERY_TIMEOUT = /Query read timeout/
const PG_CONNECT_TIMEOUT = /connection timeout|timeout exceeded when trying to connect/
const REFUSED =
  /ECONNREFUSED|ECONNRESET|Connection is closed|enableOfflineQueue|max retries per request|terminated/
const REDIS_COMMAND_TIMEOUT = /Command timed out/

describe('SQLite user store faults (real)', () => {
  it('a closed database: 503, nothing passes; a reopened one serves again', async () => {
    let db = new Database(':memory:')
    let store = createSqliteUserStore({ db, migrate: true })
    for (const user of KNOWN_USERS) await store.createUser(user)
    const proxy: UserStore = { findUser: (username) => store.findUser(username) }
    srv = await startServer(withStores(proxy))
    const ok = await call(srv)
    expectPassed(ok.res, srv, ok.before)
    db.close()
    const down = await call(srv)
    expectStoreDown(down.res, srv, down.before)
    db = new Database(':memory:')
    store = createSqliteUserStore({ db, migrate: true })
    for (const user of KNOWN_USERS) await store.createUser(user)
    const back = await call(srv)
    expectPassed(back.res, srv, back.before)
    db.close()
  })

  it('a missing table: 503 until the table exists, then 200', async () => {
    const db = new Database(join(dir, `${uniqueName('users')}.db`))
    const server = createStoreApp({ users: createSqliteUserStore({ db }), timeout: TIMEOUT })
    const token = await signToken({ sub: 'alice' })
    expectUnavailable(await get(server, token), server, 0)
    expect(causeOf(server.lastRejection())).toMatch(/no such table/)
    migrateSqliteUserStore(db)
    db.prepare(`INSERT INTO users (username, roles) VALUES ('alice', '["user"]')`).run()
    expect((await get(server, token)).status).toBe(200)
    expect(server.ran()).toBe(1)
    db.close()
  })

  it('a row of the wrong shape: 503, not 401 and not 200', async () => {
    const db = new Database(join(dir, `${uniqueName('users')}.db`))
    db.exec('CREATE TABLE users (username TEXT PRIMARY KEY, roles, disabled, name)')
    db.prepare(`INSERT INTO users VALUES ('alice', '{"admin":true}', 0, NULL)`).run()
    const server = createStoreApp({ users: createSqliteUserStore({ db }), timeout: TIMEOUT })
    expectUnavailable(await get(server, await signToken({ sub: 'alice' })), server, 0)
    db.close()
  })
})

/**
 * A paused connection sends no error and no end: only the source's health check can notice it.
 * Checks that it does (not connected, `all` reported), that the source listens again once the
 * connection answers, and that a change made then (`change`) arrives as `expected`.
 */
async function expectHealthCheckNotices(
  source: InvalidationSource,
  proxy: TcpProxy,
  expected: Invalidation,
  change: () => Promise<unknown>,
): Promise<void> {
  const events: Invalidation[] = []
  const stop = source.subscribe((event) => events.push(event))
  await expect.poll(() => source.connected, { timeout: 3000, interval: 10 }).toBe(true)
  events.length = 0
  proxy.pause()
  await expect.poll(() => source.connected, { timeout: 2000, interval: 10 }).toBe(false)
  expect(events).toContainEqual({ type: 'all' })
  proxy.resume()
  await expect.poll(() => source.connected, { timeout: 5000, interval: 20 }).toBe(true)
  await change()
  await expect.poll(() => events, { timeout: 1000, interval: 10 }).toContainEqual(expected)
  stop()
}

/** A fault proxy in front of the test PostgreSQL, and the connection string that goes through it. */
async function proxiedPostgres(): Promise<{ proxy: TcpProxy; url: string }> {
  const proxy = await createTcpProxy(pgPort)
  return { proxy, url: withPort(POSTGRES_URL, proxy.port) }
}

describe.skipIf(!pgAvailable)('PostgreSQL user store faults (real)', () => {
  const table = uniqueName('jwtg_fault')
  let admin: pg.Pool
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
  const dropTables: string[] = []
  const listenTables: string[] = []
  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS "${table}"`)
    // Dropped here rather than in the test, so that a failing test leaves nothing behind.
    for (const name of dropTables) await admin.query(`DROP TABLE IF EXISTS "${name}"`)
    for (const name of listenTables) {
      await admin.query(`DROP TABLE IF EXISTS "${name}"`)
      await admin.query(`DROP FUNCTION IF EXISTS "${name}_notify_row"()`)
      await admin.query(`DROP FUNCTION IF EXISTS "${name}_notify_all"()`)
    }
    await admin.end()
  })

  it('fails at once on a closed port: refused, not timed out', async () => {
    const store = storeAt(await closedPort())
    expect((await failureOf(store.findUser('alice'))).message).toMatch(/ECONNREFUSED/)
    await store.close()
  })

  it('fails at the connection timeout on a server that never answers', async () => {
    const silent = await createSilentServer()
    const store = storeAt(silent.port)
    const { ms, error } = await timedFailureOf(store.findUser('alice'))
    expect(error.message).toMatch(PG_CONNECT_TIMEOUT)
    // A timer never fires early (Node may round down by a millisecond).
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT - 50)
    await store.close()
    await silent.close()
  })

  it('fails at the query timeout while paused, refused while down, and recovers', async () => {
    const proxy = await createTcpProxy(pgPort)
    const store = storeAt(proxy.port)
    const answersAgain = (): Promise<void> =>
      expect
        .poll(() => store.findUser('alice').then((user) => user?.roles, String), POLL_RECONNECT)
        .toEqual(['user'])
    expect((await store.findUser('alice'))?.roles).toEqual(['user'])

    proxy.pause()
    for (let i = 0; i < 2; i++) {
      const error = await failureOf(store.findUser('alice'))
      expect(error.message).toMatch(i === 0 ? PG_QUERY_TIMEOUT : /timeout/i)
    }
    proxy.resume()
    await answersAgain()

    await proxy.stop()
    expect((await failureOf(store.findUser('alice'))).message).toMatch(REFUSED)
    await proxy.start()
    await answersAgain()
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
    await expectHealthCheckNotices(
      store.invalidations!,
      proxy,
      { type: 'user', username: 'zoe' },
      () => admin.query(`INSERT INTO "${listenTable}" (username) VALUES ('zoe')`),
    )
    await store.close()
    await proxy.stop()
  })

  it('over HTTP: 503 while paused (the driver times out first) or stopped, 200 after recovery', async () => {
    const httpTable = uniqueName('jwtg_http_fault')
    dropTables.push(httpTable)
    await migratePostgresUserStore(admin, { table: httpTable, channel: false })
    await admin.query(`INSERT INTO "${httpTable}" (username, roles) VALUES ('alice', '["user"]')`)
    const { proxy, url } = await proxiedPostgres()
    const users = createPostgresUserStore({
      connectionString: url,
      table: httpTable,
      channel: false,
      poolConfig: { connectionTimeoutMillis: TIMEOUT, query_timeout: TIMEOUT },
    })
    // The middleware's own timeout is longer than the driver's: the driver fails first.
    const server = createStoreApp({ users, timeout: TIMEOUT * 2 })
    const token = await signToken({ sub: 'alice' })
    expect((await get(server, token)).status).toBe(200)

    proxy.pause()
    expectUnavailable(await get(server, token), server, 1)
    expect(causeOf(server.lastRejection())).toMatch(PG_QUERY_TIMEOUT)
    proxy.resume()
    await passesAgain(server, token)

    const ran = server.ran()
    await proxy.stop()
    expectUnavailable(await get(server, token), server, ran)
    expect(causeOf(server.lastRejection())).toMatch(REFUSED)
    await proxy.start()
    await passesAgain(server, token)

    await server.middleware.close()
    await proxy.stop()
  })

  it('over HTTP: cut and black-holed connections give 503, normal service after healing', async () => {
    const cutTable = uniqueName('jwtg_fault_cut')
    dropTables.push(cutTable)
    const relay = await createTcpProxy(pgPort)
    const store = createPostgresUserStore({
      connectionString: withPort(POSTGRES_URL, relay.port),
      table: cutTable,
      channel: false,
      migrate: true,
      poolConfig: { connectionTimeoutMillis: 500, query_timeout: 500, statement_timeout: 500 },
    })
    onTestFinished(async () => {
      await store.close()
      await relay.stop()
    })
    for (const user of KNOWN_USERS) await store.createUser(user)
    srv = await startServer(withStores(store))
    const ok = await call(srv)
    expectPassed(ok.res, srv, ok.before)

    for (const state of ['cut', 'blackhole'] as const) {
      relay.set(state)
      for (let i = 0; i < 2; i++) {
        const down = await call(srv)
        expectStoreDown(down.res, srv, down.before)
        // A cut connection fails at once with the driver's error; a black-holed one hangs until
        // the middleware's store timeout (200 ms, before the pool's 500 ms), which has no cause.
        if (state === 'cut') expect(causeOf(srv.lastRejection())).toMatch(REFUSED)
        else expect(causeOf(srv.lastRejection())).toBeUndefined()
      }
      relay.set('open')
      await expect.poll(async () => (await call(srv!)).res.status, POLL_RECOVERY).toBe(200)
      const back = await call(srv)
      expectPassed(back.res, srv, back.before)
    }
    const unknown = await call(srv, { sub: 'mallory' })
    expectAttackRejected(unknown.res, srv, unknown.before, ['ERR_AUTH_USER_UNKNOWN'])
  })
})

describe.skipIf(!pgAvailable)('PostgreSQL revocation store faults (real)', () => {
  it('over HTTP: 503 while unreachable or hung, never 200 for a revoked token, then 401 again', async () => {
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
    expect((await get(server, revoked)).status).toBe(401)
    expect((await get(server, fine)).status).toBe(200)

    await proxy.stop()
    for (const token of [revoked, fine]) {
      expectUnavailable(await get(server, token), server, 1)
      expect(causeOf(server.lastRejection())).toMatch(REFUSED)
    }
    await proxy.start()
    proxy.pause()
    for (const token of [revoked, fine]) {
      expectUnavailable(await get(server, token), server, 1)
      // The driver's timeout ends it, before the middleware's (twice as long).
      expect(causeOf(server.lastRejection())).toMatch(/timeout/i)
    }
    proxy.resume()
    await passesAgain(server, fine)
    expect((await get(server, revoked)).status).toBe(401)

    await server.middleware.close()
    await proxy.stop()
  })
})

describe.skipIf(!redisAvailable)('Redis revocation store faults (real)', () => {
  const prefix = `${uniqueName('jwtg_fault')}:`
  const later = (): number => Math.floor(Date.now() / 1000) + 600
  let admin: Redis

  beforeAll(async () => {
    admin = await connectRedis()
  })
  afterAll(async () => {
    await deleteKeys(admin, prefix)
    admin.disconnect()
  })

  it('fails at once on a closed port: refused, not timed out', async () => {
    const store = createRedisRevocationStore({
      redis: withPort(REDIS_URL, await closedPort()),
      prefix,
    })
    const error = await failureOf(store.isRevoked({ subject: 'alice', jti: 'j' }))
    expect(error.message).toMatch(REFUSED)
    await store.close()
  })

  it('fails at once on a server that accepts and never answers (no offline queue)', async () => {
    const silent = await createSilentServer()
    const store = createRedisRevocationStore({ redis: withPort(REDIS_URL, silent.port), prefix })
    for (let i = 0; i < 2; i++) {
      const error = await failureOf(store.isRevoked({ subject: 'alice', jti: 'j' }))
      expect(error.message).toMatch(REFUSED)
    }
    await store.close()
    await silent.close()
  })

  it('fails at the command timeout while paused, and recovers', async () => {
    const proxy = await createTcpProxy(redisPort)
    const redis = await connectRedis(withPort(REDIS_URL, proxy.port), { commandTimeout: TIMEOUT })
    const store = createRedisRevocationStore({ redis, prefix, channel: false })
    const answersAgain = (): Promise<void> =>
      expect
        .poll(
          () => store.isRevoked({ subject: 'alice', jti: 'paused' }).catch(String),
          POLL_RECONNECT,
        )
        .toBe(true)
    await store.revokeToken('paused', later())
    expect(await store.isRevoked({ subject: 'alice', jti: 'paused' })).toBe(true)

    proxy.pause()
    const { ms, error } = await timedFailureOf(store.isRevoked({ subject: 'alice', jti: 'paused' }))
    expect(error.message).toMatch(REDIS_COMMAND_TIMEOUT)
    // A timer never fires early (Node may round down by a millisecond).
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT - 50)
    proxy.resume()
    await answersAgain()

    await proxy.stop()
    const down = await failureOf(store.isRevoked({ subject: 'alice', jti: 'paused' }))
    expect(down.message).toMatch(REFUSED)
    await proxy.start()
    await answersAgain()
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
    const failures: string[] = []
    await expect
      .poll(
        async () => {
          await store.isRevoked({ subject: 'alice', jti: 'killed' }).then(
            (revoked) => answers.push(revoked),
            (error: Error) => failures.push(error.message),
          )
          return answers.length
        },
        { timeout: 3000, interval: 20 },
      )
      .toBe(1)
    // Never a wrong "not revoked": the first answer after recovery is the stored one; while
    // reconnecting, every lookup failed at once (refused), none waited for the command timeout.
    expect(answers).toEqual([true])
    for (const message of failures) expect(message).toMatch(REFUSED)
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
    const direct = createRedisRevocationStore({ redis: admin, prefix })
    await expectHealthCheckNotices(
      store.invalidations!,
      proxy,
      { type: 'token', jti: 'after-pause' },
      () => direct.revokeToken('after-pause', later()),
    )
    await store.close()
    await direct.close()
    redis.disconnect()
    await proxy.stop()
  })

  it('over HTTP: 503 while unreachable, never 200 for a revoked token, then 401 again', async () => {
    const proxy = await createTcpProxy(redisPort)
    const redis = await connectRedis(withPort(REDIS_URL, proxy.port), { commandTimeout: TIMEOUT })
    const revocation = createRedisRevocationStore({ redis, prefix, channel: false })
    const server = createStoreApp({ revocation, timeout: TIMEOUT * 2 })
    const revoked = await signToken({ sub: 'alice', jti: 'revoked-during-outage' })
    const fine = await signToken({ sub: 'alice' })
    await revocation.revokeToken('revoked-during-outage', nowSeconds() + 600)
    expect((await get(server, revoked)).status).toBe(401)

    await proxy.stop()
    for (const token of [revoked, fine]) {
      expectUnavailable(await get(server, token), server, 0)
      // Refused at once (no offline queue), not held until a timeout.
      expect(causeOf(server.lastRejection())).toMatch(REFUSED)
    }
    proxy.pause()
    await proxy.start()
    // Reconnecting to a server that does not answer: still 503.
    expect((await get(server, revoked)).status).toBe(503)
    proxy.resume()
    await passesAgain(server, fine)
    expect((await get(server, revoked)).status).toBe(401)

    await server.middleware.close()
    redis.disconnect()
    await proxy.stop()
  })

  it('over HTTP: never lets a revoked token through while its connection is killed and re-established', async () => {
    const redis = await connectRedis(REDIS_URL, { commandTimeout: TIMEOUT })
    const revocation = createRedisRevocationStore({ redis, prefix, channel: false })
    const server = createStoreApp({ revocation, timeout: TIMEOUT * 2 })
    const revoked = await signToken({ sub: 'alice', jti: 'revoked-before-kill' })
    await revocation.revokeToken('revoked-before-kill', nowSeconds() + 600)
    await admin.client('KILL', 'ID', String(await redis.client('ID')))
    const statuses: number[] = []
    await expect
      .poll(
        async () => {
          statuses.push((await get(server, revoked)).status)
          return statuses.at(-1)
        },
        { timeout: 3000, interval: 0 },
      )
      .toBe(401)
    expect(statuses.every((status) => status === 401 || status === 503)).toBe(true)
    expect(server.ran()).toBe(0)
    await server.middleware.close()
    redis.disconnect()
  })

  it('over HTTP: cut and black-holed connections give 503, normal service after healing', async () => {
    const relay = await createTcpProxy(redisPort)
    const store = createRedisRevocationStore({
      redis: withPort(REDIS_URL, relay.port),
      prefix,
      channel: false,
    })
    onTestFinished(async () => {
      await store.close()
      await relay.stop()
    })
    srv = await startServer(withStores(undefined, store))
    await expect.poll(async () => (await call(srv!)).res.status, POLL_RECOVERY).toBe(200)
    // Redis expires the mark on its own (real) clock, so the expiry is real time, not the app's NOW.
    await store.revokeToken('revoked-jti', Math.floor(Date.now() / 1000) + 3600)
    const revoked = await call(srv, { jti: 'revoked-jti' })
    expectAttackRejected(revoked.res, srv, revoked.before, ['ERR_AUTH_TOKEN_REVOKED'])

    for (const state of ['cut', 'blackhole'] as const) {
      relay.set(state)
      for (let i = 0; i < 2; i++) {
        const down = await call(srv, { jti: 'revoked-jti' })
        expectStoreDown(down.res, srv, down.before)
        // Without an offline queue, both fail at once: no request waits for a timeout.
        expect(causeOf(srv.lastRejection())).toMatch(REFUSED)
      }
      relay.set('open')
      await expect.poll(async () => (await call(srv!)).res.status, POLL_RECOVERY).toBe(200)
      const back = await call(srv)
      expectPassed(back.res, srv, back.before)
      const stillRevoked = await call(srv, { jti: 'revoked-jti' })
      expectAttackRejected(stillRevoked.res, srv, stillRevoked.before, ['ERR_AUTH_TOKEN_REVOKED'])
    }
  })
})
