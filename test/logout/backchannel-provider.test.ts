/**
 * Back-channel logout against a real OpenID Provider (oidc-provider on loopback): a user signs in
 * (code + PKCE), the access token passes the gate, the user signs out at the provider
 * (RP-initiated logout), the provider posts its logout token to the app, and the session's tokens
 * are refused (401 revoked), on two instances sharing one revocation store (Redis, PostgreSQL).
 *
 * The default `revokeBy: 'sid'` ends only the session signed out of: the same user's other login
 * passes on both instances. `revokeBy: 'sub'` ends every session of the user.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import pg from 'pg'
import { createMemoryReplayStore, createMemoryRevocationStore } from '../../src/stores/memory.js'
import { createPostgresRevocationStore } from '../../src/stores/postgres/index.js'
import { createRedisReplayStore, createRedisRevocationStore } from '../../src/stores/redis/index.js'
import type { ReplayStore, RevocationStore } from '../../src/stores/types.js'
import type { BackchannelLogoutOptions } from '../../src/logout/types.js'
import { startLoginProvider } from '../helpers/oidc-login.js'
import type { LoginProvider } from '../helpers/oidc-login.js'
import { connectRedis, deleteKeys } from '../stores/redis-helpers.js'
import { POSTGRES_URL, REDIS_URL, serviceAvailable, uniqueName } from '../stores/services.js'
import { RESOURCE, startInstance } from './instances.js'
import type { Instance } from './instances.js'

const redisUp = await serviceAvailable('redis', 'back-channel logout (Redis)')
const postgresUp = await serviceAvailable('postgres', 'back-channel logout (PostgreSQL)')
const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

/** The gate's clock: set to the real time after a login, then fixed while the test runs. */
let now = new Date()
const clock = (): Date => now

async function provider(instance: Instance, sessionRequired = true): Promise<LoginProvider> {
  const op = await startLoginProvider({
    resource: RESOURCE,
    backchannelLogoutUri: instance.logoutUrl,
    sessionRequired,
  })
  cleanup.push(() => op.close())
  return op
}

async function instance(): Promise<Instance> {
  const started = await startInstance()
  cleanup.push(() => started.close())
  return started
}

async function expectPass(app: Instance, token: string): Promise<void> {
  const before = app.ran()
  const res = await app.get(token)
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  expect(app.ran()).toBe(before + 1)
}

async function expectRevoked(app: Instance, token: string): Promise<void> {
  const before = app.ran()
  const res = await app.get(token)
  expect(res.status).toBe(401)
  expect(res.headers['www-authenticate']).toMatch(/^Bearer .*error="invalid_token"/)
  expect((res.body as { code: string }).code).toBe('ERR_AUTH_TOKEN_REVOKED')
  expect(app.ran()).toBe(before)
}

interface Stores {
  store: RevocationStore
  replay: ReplayStore
}

/**
 * Two instances with their own store clients over one backend, and the provider posting its logout
 * tokens to the first; the first records the forms it gets.
 */
async function twoInstances(
  stores: () => Stores,
  logout: Partial<BackchannelLogoutOptions> = {},
): Promise<{ a: Instance; b: Instance; op: LoginProvider }> {
  const [a, b] = [await instance(), await instance()]
  const op = await provider(a)
  for (const app of [a, b]) {
    const { store, replay } = stores()
    app.attach(op.issuer, { store, replayStore: replay, clock, logout, recordForms: app === a })
  }
  return { a, b, op }
}

/**
 * Two logins of one user, both passing on both instances; then the provider ends the first
 * session, and its logout token reaches the first instance.
 */
async function endFirstOfTwoSessions(
  { a, b, op }: { a: Instance; b: Instance; op: LoginProvider },
  user: string,
): Promise<{ ended: string; other: string }> {
  const laptop = await op.login({ user })
  const phone = await op.login({ user })
  now = new Date()
  for (const app of [a, b]) {
    await expectPass(app, laptop.accessToken)
    await expectPass(app, phone.accessToken)
  }
  await op.endSession(laptop)
  expect(op.deliveries).toEqual(['ok'])
  return { ended: laptop.accessToken, other: phone.accessToken }
}

describe.runIf(redisUp)('two instances sharing a Redis revocation store', () => {
  const prefix = `${uniqueName('bcl')}:`
  afterAll(async () => {
    const redis = await connectRedis()
    await deleteKeys(redis, prefix)
    redis.disconnect()
  })

  function redisStores(): Stores {
    const store = createRedisRevocationStore({ redis: REDIS_URL, prefix: `${prefix}rev:` })
    const replay = createRedisReplayStore({ redis: REDIS_URL, prefix: `${prefix}replay:` })
    cleanup.push(
      () => store.close(),
      () => replay.close(),
    )
    return { store, replay }
  }

  it('a logout ends that session on both instances (by sid), not the user’s other one', async () => {
    const setup = await twoInstances(redisStores)
    const { a, b } = setup
    const { ended, other } = await endFirstOfTwoSessions(setup, 'alice')
    expect(a.forms).toHaveLength(1)
    await expectRevoked(a, ended)
    await expectRevoked(b, ended)
    await expectPass(a, other)
    await expectPass(b, other)

    // The same logout token again, to the other instance: its jti is in the shared replay store.
    const replayed = await b.post(
      new URLSearchParams(a.forms[0] as Record<string, string>).toString(),
    )
    expect(replayed.status).toBe(400)
    expect(replayed.headers['cache-control']).toBe('no-store')
    expect(replayed.body).toEqual({
      error: 'invalid_request',
      error_description: 'logout token replayed',
    })
  })

  it("with revokeBy: 'sub', a logout ends every session of the user on both instances", async () => {
    const setup = await twoInstances(redisStores, { revokeBy: 'sub' })
    const { ended, other } = await endFirstOfTwoSessions(setup, 'erin')
    for (const app of [setup.a, setup.b]) {
      await expectRevoked(app, ended)
      await expectRevoked(app, other)
    }
  })

  it('answers 503 while the revocation store is down, and the provider sees the failure', async () => {
    const app = await instance()
    const op = await provider(app)
    const down = createRedisRevocationStore({ redis: 'redis://127.0.0.1:1', channel: false })
    cleanup.push(() => down.close())
    app.attach(op.issuer, {
      store: down,
      replayStore: createMemoryReplayStore(),
      clock,
      logout: { timeout: 500 },
    })
    const login = await op.login({ user: 'bob' })
    now = new Date()
    await op.endSession(login)
    expect(op.deliveries).toHaveLength(1)
    expect(op.deliveries[0]).toMatch(/got: 503 Service Unavailable/)
  })
})

describe.runIf(postgresUp)('two instances sharing a PostgreSQL revocation store', () => {
  const prefix = `${uniqueName('jwtg_bcl')}_`
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: POSTGRES_URL })
    await admin.connect()
    await admin.query(
      `DROP TABLE IF EXISTS "${prefix}tokens", "${prefix}subjects", "${prefix}claims"`,
    )
    await admin.end()
  })

  function postgresStores(): Stores {
    // Each instance its own pool and listener; both migrate, which is idempotent.
    const store = createPostgresRevocationStore({
      connectionString: POSTGRES_URL,
      prefix,
      migrate: true,
      clock,
    })
    cleanup.push(() => store.close())
    return { store, replay: createMemoryReplayStore({ clock }) }
  }

  it('a logout ends that session on both instances (by sid), not the user’s other one', async () => {
    const setup = await twoInstances(postgresStores)
    const { ended, other } = await endFirstOfTwoSessions(setup, 'frank')
    for (const app of [setup.a, setup.b]) {
      await expectRevoked(app, ended)
      await expectPass(app, other)
    }
  })
})

describe('sessions revoked by sid (memory store)', () => {
  it('ends one session: its tokens are refused, the same user’s other session passes', async () => {
    const app = await instance()
    const op = await provider(app)
    app.attach(op.issuer, {
      store: createMemoryRevocationStore({ clock }),
      replayStore: createMemoryReplayStore({ clock }),
      clock,
    })
    const laptop = await op.login({ user: 'carol' })
    const phone = await op.login({ user: 'carol' })
    now = new Date()
    await expectPass(app, laptop.accessToken)
    await expectPass(app, phone.accessToken)

    await op.endSession(laptop)
    expect(op.deliveries).toEqual(['ok'])
    await expectRevoked(app, laptop.accessToken)
    await expectPass(app, phone.accessToken)
  })

  it('a provider without sid (session not required) logs the user out by sub', async () => {
    const app = await instance()
    const op = await provider(app, false)
    app.attach(op.issuer, {
      store: createMemoryRevocationStore({ clock }),
      replayStore: createMemoryReplayStore({ clock }),
      clock,
    })
    const login = await op.login({ user: 'dave' })
    now = new Date()
    await expectPass(app, login.accessToken)
    await op.endSession(login)
    expect(op.deliveries).toEqual(['ok'])
    await expectRevoked(app, login.accessToken)
  })
})
