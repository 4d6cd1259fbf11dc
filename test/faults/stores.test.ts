/**
 * Store faults: a user or revocation store that is down, slow, erroring, answering garbage or
 * recovering. While it fails every request gets 503 `ERR_AUTH_STORE_UNAVAILABLE` with Retry-After
 * and nothing passes; once it recovers, service is normal. In-test stores cover every failure
 * shape; the real SQLite, PostgreSQL and Redis adapters are failed for real (a closed database,
 * a cut or black-holed TCP connection).
 */
import { randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { AuthErrorCode, RevocationStore, UserRecord, UserStore } from '../../src/index.js'
import { createMemoryRevocationStore } from '../../src/stores/memory.js'
import { createPostgresUserStore } from '../../src/stores/postgres/index.js'
import { createRedisRevocationStore } from '../../src/stores/redis/index.js'
import { createSqliteUserStore } from '../../src/stores/sqlite/index.js'
import {
  expectPassed,
  expectAttackRejected,
  send,
  startServer,
} from '../attacks/helpers/harness.js'
import type { Answer, AttackServer } from '../attacks/helpers/harness.js'
import { NOW, NOW_S } from '../helpers/tokens.js'
import { KNOWN_USERS, target, tokenFor } from '../attacks/helpers/targets.js'
import type { Target } from '../attacks/helpers/targets.js'
import { skipWithout } from './helpers/reachable.js'
import { deleteRedisPrefix } from './helpers/redis-cleanup.js'
import { createTcpProxy } from '../helpers/tcp-proxy.js'
import type { TcpProxy } from '../helpers/tcp-proxy.js'

const STORE_TIMEOUT = 200
const noPostgres = await skipWithout('PostgreSQL', 5432)
const noRedis = await skipWithout('Redis', 6379)
const base = target('users')

let srv: AttackServer | undefined
afterEach(async () => {
  await srv?.close()
  srv = undefined
})

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

function expectStoreDown(res: Answer, server: AttackServer, ranBefore: number): void {
  expect(server.ran()).toBe(ranBefore)
  expect(res.status).toBe(503)
  expect(res.headers['retry-after']).toBe('5')
  expect(server.lastRejection()?.code).toBe<AuthErrorCode>('ERR_AUTH_STORE_UNAVAILABLE')
  expect(res.elapsed).toBeLessThan(STORE_TIMEOUT + 2_000)
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

/** A user store whose behaviour the test switches. */
function switchableUsers(): UserStore & {
  behave(how: (username: string) => Promise<unknown>): void
} {
  const healthy = (username: string): Promise<unknown> =>
    Promise.resolve(KNOWN_USERS.find((user) => user.username === username))
  let how = healthy
  return {
    findUser: (username) => how(username) as Promise<UserRecord | undefined>,
    behave(next) {
      how = next
    },
  }
}

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
      const store = switchableUsers()
      srv = await startServer(withStores(store))
      const ok = await call(srv)
      expectPassed(ok.res, srv, ok.before)

      store.behave(failure)
      for (let i = 0; i < 3; i++) {
        const down = await call(srv)
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
      const memory = createMemoryRevocationStore({ clock: () => NOW })
      let broken = false
      const store: RevocationStore = {
        isRevoked: (query) => (broken ? (failure() as Promise<boolean>) : memory.isRevoked(query)),
        revokeToken: (jti, until) => memory.revokeToken(jti, until),
        revokeSubject: (subject, before, ttl) => memory.revokeSubject(subject, before, ttl),
      }
      srv = await startServer(withStores(undefined, store))
      await memory.revokeToken('revoked-jti', NOW_S + 3600)
      const ok = await call(srv)
      expectPassed(ok.res, srv, ok.before)
      broken = true
      const down = await call(srv)
      expectStoreDown(down.res, srv, down.before)
      const revokedWhileDown = await call(srv, { jti: 'revoked-jti' })
      expectStoreDown(revokedWhileDown.res, srv, revokedWhileDown.before)
      broken = false
      const back = await call(srv)
      expectPassed(back.res, srv, back.before)
      const revoked = await call(srv, { jti: 'revoked-jti' })
      expectAttackRejected(revoked.res, srv, revoked.before, ['ERR_AUTH_TOKEN_REVOKED'])
    })
  }
})

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

  it('a missing table: 503 until the table exists', async () => {
    const db = new Database(':memory:')
    const store = createSqliteUserStore({ db })
    srv = await startServer(withStores(store))
    const down = await call(srv)
    expectStoreDown(down.res, srv, down.before)
    db.exec(
      "CREATE TABLE users (username TEXT PRIMARY KEY NOT NULL, roles TEXT NOT NULL DEFAULT '[]', disabled INTEGER NOT NULL DEFAULT 0, name TEXT) STRICT",
    )
    db.prepare("INSERT INTO users (username, roles) VALUES ('alice', '[\"user\"]')").run()
    const back = await call(srv)
    expectPassed(back.res, srv, back.before)
    db.close()
  })
})

/** Polls a real cross-process effect (a reconnect) for at most `ms`. */
async function eventually(check: () => Promise<boolean>, ms = 8_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe.skipIf(noPostgres)('PostgreSQL user store faults (real, through a TCP relay)', () => {
  const table = `faults_users_${randomBytes(4).toString('hex')}`
  let relay: TcpProxy
  let store: ReturnType<typeof createPostgresUserStore> | undefined
  afterAll(async () => {
    await store?.close()
    await relay?.stop()
    // Leave the shared test database as it was.
    const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' })
    await client.connect()
    try {
      await client.query(`DROP TABLE IF EXISTS ${table}`)
    } finally {
      await client.end()
    }
  })

  it('cut and black-holed connections: 503 while failing, normal service after healing', async () => {
    relay = await createTcpProxy(5432)
    store = createPostgresUserStore({
      connectionString: `postgres://postgres@127.0.0.1:${relay.port}/test`,
      table,
      channel: false,
      migrate: true,
      poolConfig: { connectionTimeoutMillis: 500, query_timeout: 500, statement_timeout: 500 },
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
      }
      relay.set('open')
      await eventually(async () => (await call(srv!)).res.status === 200)
      const back = await call(srv)
      expectPassed(back.res, srv, back.before)
    }
    const unknown = await call(srv, { sub: 'mallory' })
    expectAttackRejected(unknown.res, srv, unknown.before, ['ERR_AUTH_USER_UNKNOWN'])
  })
})

describe.skipIf(noRedis)('Redis revocation store faults (real, through a TCP relay)', () => {
  let relay: TcpProxy
  let store: ReturnType<typeof createRedisRevocationStore> | undefined
  const prefix = `jwt-gate-faults-${randomBytes(4).toString('hex')}:`
  afterAll(async () => {
    await store?.close()
    await relay?.stop()
    await deleteRedisPrefix(prefix)
  })

  it('cut and black-holed connections: 503 while failing, normal service after healing', async () => {
    relay = await createTcpProxy(6379)
    store = createRedisRevocationStore({
      redis: `redis://127.0.0.1:${relay.port}`,
      prefix,
      channel: false,
    })
    srv = await startServer(withStores(undefined, store))
    await eventually(async () => (await call(srv!)).res.status === 200)
    // Redis expires the mark on its own (real) clock, so the expiry is real time, not the app's NOW.
    await store.revokeToken('revoked-jti', Math.floor(Date.now() / 1000) + 3600)
    const revoked = await call(srv, { jti: 'revoked-jti' })
    expectAttackRejected(revoked.res, srv, revoked.before, ['ERR_AUTH_TOKEN_REVOKED'])

    for (const state of ['cut', 'blackhole'] as const) {
      relay.set(state)
      for (let i = 0; i < 2; i++) {
        const down = await call(srv, { jti: 'revoked-jti' })
        expectStoreDown(down.res, srv, down.before)
      }
      relay.set('open')
      await eventually(async () => (await call(srv!)).res.status === 200)
      const back = await call(srv)
      expectPassed(back.res, srv, back.before)
      const stillRevoked = await call(srv, { jti: 'revoked-jti' })
      expectAttackRejected(stillRevoked.res, srv, stillRevoked.before, ['ERR_AUTH_TOKEN_REVOKED'])
    }
  })
})
