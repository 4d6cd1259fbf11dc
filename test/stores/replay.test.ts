/**
 * The replay stores (DPoP proof `jti`s, issue 24): the shared contract against memory, Redis and
 * PostgreSQL (two instances over one real server each), then what each adapter does on its own:
 * the memory store's bound, the Redis key and its expiry, the PostgreSQL schema and cleanup, and
 * every factory's option checks.
 */
import type { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthConfigError } from '../../src/errors.js'
import { createMemoryReplayStore } from '../../src/stores/memory.js'
import {
  createPostgresReplayStore,
  migratePostgresReplayStore,
} from '../../src/stores/postgres/index.js'
import { createRedisReplayStore } from '../../src/stores/redis/index.js'
import { replayDigest } from '../../src/stores/replay-key.js'
import { connectRedis, deleteKeys } from './redis-helpers.js'
import { replayStoreContract } from './replay-store-contract.js'
import { POSTGRES_URL, serviceAvailable, uniqueName } from './services.js'
import { manualClock } from '../helpers/tokens.js'

const redisAvailable = await serviceAvailable('redis', 'Redis replay store')
const pgAvailable = await serviceAvailable('postgres', 'PostgreSQL replay store')

let admin: Redis | undefined
let pool: pg.Pool | undefined
const prefixes: string[] = []
const tables: string[] = []
beforeAll(async () => {
  if (redisAvailable) admin = await connectRedis()
  if (pgAvailable) pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 })
})
afterAll(async () => {
  for (const prefix of prefixes) if (admin !== undefined) await deleteKeys(admin, prefix)
  for (const table of tables) await pool?.query(`DROP TABLE IF EXISTS "${table}"`)
  admin?.disconnect()
  await pool?.end()
})

function newPrefix(): string {
  const prefix = `${uniqueName('jwtg_replay')}:`
  prefixes.push(prefix)
  return prefix
}
function newTable(): string {
  const table = uniqueName('jwtg_replay')
  tables.push(table)
  return table
}

replayStoreContract('memory', () => {
  const time = manualClock(Date.UTC(2026, 0, 1))
  const store = createMemoryReplayStore({ clock: time.clock })
  return Promise.resolve({
    stores: [store, store],
    now: () => Promise.resolve(time.now()),
    advance: time.advance,
    cleanup: () => Promise.resolve(),
  })
})

replayStoreContract(
  'redis',
  async () => {
    const clients = [await connectRedis(), await connectRedis()]
    const prefix = newPrefix()
    const [one, two] = clients.map((redis) => createRedisReplayStore({ redis, prefix }))
    return {
      stores: [one!, two!],
      async now() {
        const [seconds, micros] = await clients[0]!.time()
        return Number(seconds) + Number(micros) / 1e6
      },
      async cleanup() {
        await one!.close()
        await two!.close()
        for (const client of clients) client.disconnect()
      },
    }
  },
  { skip: !redisAvailable, ownClock: true },
)

replayStoreContract(
  'postgres',
  async () => {
    const table = newTable()
    const stores = [1, 2].map(() =>
      createPostgresReplayStore({ connectionString: POSTGRES_URL, table, migrate: true }),
    )
    return {
      stores: [stores[0]!, stores[1]!],
      async now() {
        const result = await pool!.query<{ now: number }>(
          'SELECT extract(epoch FROM clock_timestamp())::double precision AS now',
        )
        return result.rows[0]!.now
      },
      async cleanup() {
        for (const store of stores) await store.close()
      },
    }
  },
  { skip: !pgAvailable, ownClock: true },
)

describe('memory replay store', () => {
  it('when full of live keys, rejects instead of forgetting one, and never lets a replay through', async () => {
    const time = manualClock(Date.UTC(2026, 0, 1))
    const now = time.now()
    const store = createMemoryReplayStore({ max: 3, clock: time.clock })
    for (const key of ['a', 'b', 'c'])
      expect(await store.remember(key, now + 100 + key.length)).toBe(true)
    await expect(store.remember('d', now + 100)).rejects.toThrow(/full/)
    for (const key of ['a', 'b', 'c']) expect(await store.remember(key, now + 100)).toBe(false)
    await expect(store.remember('d', now + 100)).rejects.toThrow(/full/)
    // Once a key expires, its room is free again.
    time.advance(102)
    expect(await store.remember('d', now + 300)).toBe(true)
    expect(await store.remember('d', now + 300)).toBe(false)
    expect(await store.remember('a', now + 300)).toBe(true)
  })

  it('frees the room of expired keys when full, even those remembered out of order', async () => {
    const time = manualClock(Date.UTC(2026, 0, 1))
    const now = time.now()
    const store = createMemoryReplayStore({ max: 2, clock: time.clock })
    expect(await store.remember('long', now + 1000)).toBe(true)
    expect(await store.remember('short', now + 10)).toBe(true)
    time.advance(11)
    expect(await store.remember('new', now + 1000)).toBe(true)
    expect(await store.remember('long', now + 1000)).toBe(false)
  })

  it('does not spend room on a key already expired', async () => {
    const time = manualClock(Date.UTC(2026, 0, 1))
    const store = createMemoryReplayStore({ max: 1, clock: time.clock })
    expect(await store.remember('old', time.now() - 1)).toBe(true)
    expect(await store.remember('live', time.now() + 60)).toBe(true)
  })

  it('rejects, never answers true for a replay, when its clock gives an invalid date', async () => {
    let broken = false
    const store = createMemoryReplayStore({
      clock: () => (broken ? new Date(Number.NaN) : new Date(Date.UTC(2026, 0, 1))),
    })
    expect(await store.remember('k', Date.UTC(2026, 0, 2) / 1000)).toBe(true)
    broken = true
    await expect(store.remember('k', Date.UTC(2026, 0, 2) / 1000)).rejects.toThrow(/clock/)
  })

  it('checks its options', () => {
    for (const max of [0, -1, 1.5, Number.NaN, '10'])
      expect(() => createMemoryReplayStore({ max: max as number })).toThrow(
        expect.objectContaining({ name: 'AuthConfigError', option: 'max' }),
      )
    expect(() => createMemoryReplayStore({ clock: 'now' as unknown as () => Date })).toThrow(
      AuthConfigError,
    )
  })
})

describe.skipIf(!redisAvailable)('redis replay store', () => {
  it('writes <prefix><SHA-256 of the key> expiring at expiresAt, by the server clock', async () => {
    const prefix = newPrefix()
    const store = createRedisReplayStore({ redis: admin!, prefix })
    const [seconds] = await admin!.time()
    const expiresAt = Number(seconds) + 90.5
    const key = 'p'.repeat(5000)
    expect(await store.remember(key, expiresAt)).toBe(true)
    const stored = `${prefix}${replayDigest(key)}`
    expect(stored).toHaveLength(prefix.length + 43)
    expect(await admin!.pexpiretime(stored)).toBe(Math.ceil(expiresAt * 1000))
    expect(await admin!.keys(`${prefix}*`)).toEqual([stored])
    await store.close()
  })

  it('owns and closes a client made from a URL', async () => {
    const store = createRedisReplayStore({ redis: 'redis://127.0.0.1:6379', prefix: newPrefix() })
    const [seconds] = await admin!.time()
    // A client of the store's own fails fast until it has connected (no offline queue).
    await expect
      .poll(() => store.remember('u', Number(seconds) + 60).catch(() => 'not yet'), {
        timeout: 3000,
        interval: 20,
      })
      .toBe(true)
    expect(await store.remember('u', Number(seconds) + 60)).toBe(false)
    await store.close()
    await store.close()
    await expect(store.remember('v', Number(seconds) + 60)).rejects.toThrow()
  })

  it('checks its options', () => {
    expect(() => createRedisReplayStore({ redis: admin!, prefix: 'x'.repeat(201) })).toThrow(
      expect.objectContaining({ name: 'AuthConfigError', option: 'prefix' }),
    )
    expect(() => createRedisReplayStore({ redis: {} as Redis })).toThrow(
      expect.objectContaining({ name: 'AuthConfigError', option: 'redis' }),
    )
  })
})

describe.skipIf(!pgAvailable)('postgres replay store', () => {
  async function count(table: string, where = 'true'): Promise<number> {
    const result = await pool!.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${table}" WHERE ${where}`,
    )
    return Number(result.rows[0]!.n)
  }

  it('stores the digest and the expiry, in the documented table, created once by several instances', async () => {
    const table = newTable()
    await Promise.all([1, 2, 3].map(() => migratePostgresReplayStore(pool!, { table })))
    const store = createPostgresReplayStore({ pool: pool!, table })
    expect(await store.remember('jti', 2_000_000_000.25)).toBe(true)
    const rows = await pool!.query(`SELECT digest, expires_at FROM "${table}"`)
    expect(rows.rows).toEqual([{ digest: replayDigest('jti'), expires_at: 2_000_000_000.25 }])
    const index = await pool!.query('SELECT 1 FROM pg_indexes WHERE indexname = $1', [
      `${table}_expires_at`,
    ])
    expect(index.rowCount).toBe(1)
    await store.close()
    // The pool is the app's: still open.
    expect((await pool!.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
  })

  it('deletes expired rows in bounded batches as it goes, never a live one', async () => {
    const table = newTable()
    await migratePostgresReplayStore(pool!, { table })
    await pool!.query(
      `INSERT INTO "${table}" SELECT 'old' || i, 1000 FROM generate_series(1, 100) AS i`,
    )
    const store = createPostgresReplayStore({ pool: pool!, table })
    for (let i = 0; i < 32; i += 1)
      expect(await store.remember(`live${i}`, 4_000_000_000)).toBe(true)
    // close() waits for the cleanup the 32nd call started.
    await store.close()
    const again = createPostgresReplayStore({ pool: pool!, table })
    expect(await count(table, 'expires_at = 1000')).toBe(100 - 64)
    for (let i = 32; i < 64; i += 1)
      expect(await again.remember(`live${i}`, 4_000_000_000)).toBe(true)
    await again.close()
    expect(await count(table, 'expires_at = 1000')).toBe(0)
    expect(await count(table, 'expires_at = 4000000000')).toBe(64)
  })

  it('checks its options', () => {
    for (const table of ['bad name', 'x"; DROP TABLE y; --', 'x'.repeat(53), ''])
      expect(() => createPostgresReplayStore({ pool: pool!, table })).toThrow(
        expect.objectContaining({ name: 'AuthConfigError', option: 'table' }),
      )
    expect(() => createPostgresReplayStore({} as never)).toThrow(
      expect.objectContaining({ name: 'AuthConfigError', option: 'pool' }),
    )
  })
})
