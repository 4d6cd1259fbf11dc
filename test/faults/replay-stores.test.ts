/**
 * Replay store faults (issue 24): the real Redis and PostgreSQL replay stores with their backend
 * down, hung, paused, killed or missing its table. Every failure rejects (the gate answers 503),
 * never resolves `true`; a key remembered before the fault is still a replay after recovery; the
 * store answers again without a restart. Timeouts are the drivers', on real time: each failure is
 * checked by its cause (refused, the driver's timeout, the missing table), never a wall-clock bound.
 */
import type { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ReplayStore } from '../../src/stores/types.js'
import {
  createPostgresReplayStore,
  migratePostgresReplayStore,
} from '../../src/stores/postgres/index.js'
import { createRedisReplayStore } from '../../src/stores/redis/index.js'
import { closedPort, createSilentServer, createTcpProxy } from '../helpers/tcp-proxy.js'
import type { TcpProxy } from '../helpers/tcp-proxy.js'
import { connectRedis, deleteKeys } from '../stores/redis-helpers.js'
import { POSTGRES_URL, REDIS_URL, serviceAvailable, uniqueName } from '../stores/services.js'

const pgAvailable = await serviceAvailable('postgres', 'PostgreSQL replay store fault')
const redisAvailable = await serviceAvailable('redis', 'Redis replay store fault')

/** The drivers' timeouts. */
const TIMEOUT = 500
/** A driver reconnecting by itself takes real time: poll it, for at most 3 s. */
const POLL_RECONNECT = { timeout: 3000, interval: 50 }
const REFUSED =
  /ECONNREFUSED|ECONNRESET|Connection is closed|enableOfflineQueue|max retries per request|terminated/
const PG_QUERY_TIMEOUT = /Query read timeout/
const PG_CONNECT_TIMEOUT = /connection timeout|timeout exceeded when trying to connect/
const REDIS_COMMAND_TIMEOUT = /Command timed out/
/** Far enough ahead that nothing expires during the run, whatever the server's clock. */
const LATER = Math.floor(Date.now() / 1000) + 3600

/** The error `remember` rejects with; fails the test if it resolved (with `true` or anything). */
async function failureOf(store: ReplayStore, key: string): Promise<Error> {
  const outcome: unknown = await store.remember(key, LATER).then(
    (answer) => ({ answered: answer }),
    (reason: unknown) => reason,
  )
  expect(outcome).toBeInstanceOf(Error)
  return outcome as Error
}

/** Polls until `key` is remembered as new again (the store is back). */
function answersAgain(store: ReplayStore, prefix: string): Promise<void> {
  let n = 0
  return expect
    .poll(() => store.remember(`${prefix}-${n++}`, LATER).catch(String), POLL_RECONNECT)
    .toBe(true)
}

/**
 * The store behind `proxy`: paused, it rejects at the driver's timeout (`timedOut`); down, it is
 * refused; after each it answers again, and a key remembered before is still a replay.
 */
async function pausedThenDown(
  store: ReplayStore,
  proxy: TcpProxy,
  timedOut: RegExp,
): Promise<void> {
  expect(await store.remember('seen', LATER)).toBe(true)

  proxy.pause()
  expect((await failureOf(store, 'seen')).message).toMatch(timedOut)
  proxy.resume()
  await answersAgain(store, 'after-pause')
  expect(await store.remember('seen', LATER)).toBe(false)

  await proxy.stop()
  expect((await failureOf(store, 'seen')).message).toMatch(REFUSED)
  await proxy.start()
  await answersAgain(store, 'after-restart')
  expect(await store.remember('seen', LATER)).toBe(false)
}

function withPort(url: string, port: number): string {
  const parsed = new URL(url)
  parsed.hostname = '127.0.0.1'
  parsed.port = String(port)
  return parsed.toString()
}

describe.skipIf(!redisAvailable)('Redis replay store faults (real)', () => {
  const prefix = `${uniqueName('jwtg_replay_fault')}:`
  const redisPort = Number(new URL(REDIS_URL).port || 6379)
  let admin: Redis
  beforeAll(async () => {
    admin = await connectRedis()
  })
  afterAll(async () => {
    await deleteKeys(admin, prefix)
    admin.disconnect()
  })

  it('rejects at once on a closed port, and on a server that never answers', async () => {
    const silent = await createSilentServer()
    for (const port of [await closedPort(), silent.port]) {
      const store = createRedisReplayStore({ redis: withPort(REDIS_URL, port), prefix })
      for (let i = 0; i < 2; i++) expect((await failureOf(store, 'k')).message).toMatch(REFUSED)
      await store.close()
    }
    await silent.close()
  })

  it('ready() waits for the connection, and rejects at the connect timeout when none comes', async () => {
    const store = createRedisReplayStore({ redis: REDIS_URL, prefix })
    await store.ready()
    expect(await store.remember('after-ready', LATER)).toBe(true)
    await store.close()
    const unreachable = createRedisReplayStore({
      redis: withPort(REDIS_URL, await closedPort()),
      prefix,
    })
    await expect(unreachable.ready()).rejects.toThrow(/not connected within 2000 ms/)
    await unreachable.close()
  })

  it("rejects once the app's client is disconnected", async () => {
    const redis = await connectRedis()
    const store = createRedisReplayStore({ redis, prefix })
    expect(await store.remember('before-disconnect', LATER)).toBe(true)
    redis.disconnect()
    expect((await failureOf(store, 'before-disconnect')).message).toMatch(REFUSED)
    expect((await failureOf(store, 'new')).message).toMatch(REFUSED)
  })

  it('rejects at the command timeout while paused, refused while down; a replay stays one', async () => {
    const proxy = await createTcpProxy(redisPort)
    const redis = await connectRedis(withPort(REDIS_URL, proxy.port), { commandTimeout: TIMEOUT })
    const store = createRedisReplayStore({ redis, prefix })
    await pausedThenDown(store, proxy, REDIS_COMMAND_TIMEOUT)
    redis.disconnect()
    await proxy.stop()
  })

  it('survives CLIENT KILL: rejects while reconnecting, never answers true for a replay', async () => {
    const redis = await connectRedis(REDIS_URL, { commandTimeout: TIMEOUT })
    const store = createRedisReplayStore({ redis, prefix })
    expect(await store.remember('killed', LATER)).toBe(true)
    const id = await redis.client('ID')
    await admin.client('KILL', 'ID', String(id))
    const answers: unknown[] = []
    await expect
      .poll(async () => {
        const answer = await store.remember('killed', LATER).catch(() => 'rejected')
        answers.push(answer)
        return answer
      }, POLL_RECONNECT)
      .toBe(false)
    expect(answers.filter((answer) => answer !== 'rejected' && answer !== false)).toEqual([])
    redis.disconnect()
  })
})

describe.skipIf(!pgAvailable)('PostgreSQL replay store faults (real)', () => {
  const table = uniqueName('jwtg_replay_fault')
  const pgPort = Number(new URL(POSTGRES_URL).port || 5432)
  const storeAt = (port: number, options: { table?: string; migrate?: boolean } = {}) =>
    createPostgresReplayStore({
      connectionString: withPort(POSTGRES_URL, port),
      table,
      ...options,
      poolConfig: { connectionTimeoutMillis: TIMEOUT, query_timeout: TIMEOUT },
    })
  const dropTables = [table]
  let admin: pg.Pool
  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 })
    await migratePostgresReplayStore(admin, { table })
  })
  afterAll(async () => {
    for (const name of dropTables) await admin.query(`DROP TABLE IF EXISTS "${name}"`)
    await admin.end()
  })

  it('rejects at once on a closed port: refused, not timed out', async () => {
    const store = storeAt(await closedPort())
    expect((await failureOf(store, 'k')).message).toMatch(/ECONNREFUSED/)
    await store.close()
  })

  it('rejects at the connection timeout on a server that never answers', async () => {
    const silent = await createSilentServer()
    const store = storeAt(silent.port)
    expect((await failureOf(store, 'k')).message).toMatch(PG_CONNECT_TIMEOUT)
    await store.close()
    await silent.close()
  })

  it('rejects without its table, naming it, and never creates it unasked', async () => {
    const missing = uniqueName('jwtg_replay_missing')
    const store = storeAt(pgPort, { table: missing })
    expect((await failureOf(store, 'k')).message).toMatch(/does not exist/)
    const found = await admin.query('SELECT 1 FROM pg_tables WHERE tablename = $1', [missing])
    expect(found.rowCount).toBe(0)
    await store.close()
  })

  it('retries a failed migration on the next call', async () => {
    const proxy = await createTcpProxy(pgPort)
    const late = uniqueName('jwtg_replay_late')
    dropTables.push(late)
    await proxy.stop()
    const store = storeAt(proxy.port, { table: late, migrate: true })
    expect((await failureOf(store, 'k')).message).toMatch(REFUSED)
    await proxy.start()
    expect(await store.remember('k', LATER)).toBe(true)
    expect(await store.remember('k', LATER)).toBe(false)
    await store.close()
    await proxy.stop()
  })

  it('rejects at the query timeout while paused, refused while down; a replay stays one', async () => {
    const proxy = await createTcpProxy(pgPort)
    const store = storeAt(proxy.port)
    await pausedThenDown(store, proxy, PG_QUERY_TIMEOUT)
    await store.close()
    await proxy.stop()
  })
})
