import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Invalidation } from '../../src/stores/invalidation.js'
import {
  createPostgresUserStore,
  migratePostgresUserStore,
} from '../../src/stores/postgres/index.js'
import { InexactUserMatchError, StoreDataError } from '../../src/stores/validate.js'
import { GARBAGE_ROWS } from './garbage.js'
import { POSTGRES_URL, serviceAvailable, uniqueName } from './services.js'
import { userStoreContract } from './user-store-contract.js'

const available = await serviceAvailable('postgres', 'PostgreSQL user store')

let admin: pg.Pool
const tables: string[] = []
function newTable(): string {
  const table = uniqueName('jwtg_users')
  tables.push(table)
  return table
}

beforeAll(() => {
  if (!available) return
  admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 })
})
afterAll(async () => {
  if (!available) return
  for (const table of tables) {
    await admin.query(`DROP TABLE IF EXISTS "${table}"`)
    await admin.query(`DROP FUNCTION IF EXISTS "${table}_notify_row"()`)
    await admin.query(`DROP FUNCTION IF EXISTS "${table}_notify_all"()`)
  }
  await admin.end()
})

userStoreContract(
  'postgres',
  async (seed) => {
    const store = createPostgresUserStore({
      connectionString: POSTGRES_URL,
      table: newTable(),
      migrate: true,
      channel: false,
    })
    for (const user of seed) await store.createUser(user)
    return { store, cleanup: () => store.close() }
  },
  { skip: !available },
)

describe.skipIf(!available)('postgres user store', () => {
  it('creates the documented schema, idempotently and concurrently', async () => {
    const table = newTable()
    await Promise.all([
      migratePostgresUserStore(admin, { table }),
      migratePostgresUserStore(admin, { table }),
      migratePostgresUserStore(admin, { table }),
    ])
    await migratePostgresUserStore(admin, { table })
    const columns = await admin.query(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns
       WHERE table_name = $1 ORDER BY ordinal_position`,
      [table],
    )
    expect(columns.rows).toEqual([
      { column_name: 'username', data_type: 'text', is_nullable: 'NO' },
      { column_name: 'roles', data_type: 'jsonb', is_nullable: 'NO' },
      { column_name: 'disabled', data_type: 'boolean', is_nullable: 'NO' },
      { column_name: 'name', data_type: 'text', is_nullable: 'YES' },
    ])
    await expect(
      admin.query(`INSERT INTO "${table}" (username, roles) VALUES ('a', '{"a":1}')`),
    ).rejects.toThrow(/check constraint/)
  })

  it('works on a pool of the app, which it does not end', async () => {
    const table = newTable()
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 })
    const store = createPostgresUserStore({ pool, table, migrate: true, channel: false })
    await store.createUser({ username: 'alice', roles: ['user'] })
    await store.close()
    expect((await pool.query(`SELECT roles FROM "${table}"`)).rows).toEqual([{ roles: ['user'] }])
    await pool.end()
  })

  it('fails while the table is missing and recovers once it exists, without a restart', async () => {
    const table = newTable()
    const store = createPostgresUserStore({
      connectionString: POSTGRES_URL,
      table,
      channel: false,
    })
    await expect(store.findUser('alice')).rejects.toThrow(/does not exist/)
    await migratePostgresUserStore(admin, { table, channel: false })
    await admin.query(`INSERT INTO "${table}" (username, roles) VALUES ('alice', '["user"]')`)
    expect(await store.findUser('alice')).toEqual({
      username: 'alice',
      roles: ['user'],
      disabled: false,
    })
    await store.close()
  })

  it('reports a citext row that matches only without case as inexact, never as "not found"', async () => {
    const table = newTable()
    await admin.query('CREATE EXTENSION IF NOT EXISTS citext')
    await admin.query(
      `CREATE TABLE "${table}" (username citext PRIMARY KEY, roles jsonb, disabled boolean, name text)`,
    )
    await admin.query(`INSERT INTO "${table}" VALUES ('alice', '["viewer"]', true, NULL)`)
    const store = createPostgresUserStore({ pool: admin, table, channel: false })
    await expect(store.findUser('ALICE')).rejects.toThrow(InexactUserMatchError)
    expect(await store.findUser('bob')).toBeUndefined()
    expect((await store.findUser('alice'))?.disabled).toBe(true)
    await store.close()
  })

  describe('rows of the wrong shape in a legacy table are detected', () => {
    it.each(GARBAGE_ROWS)('$label', async ({ roles, disabled, name }) => {
      const table = newTable()
      // A hand-made table with loose types, as an older app might have.
      await admin.query(
        `CREATE TABLE "${table}" (username text PRIMARY KEY, roles jsonb, disabled jsonb, name jsonb)`,
      )
      await admin.query(`INSERT INTO "${table}" VALUES ($1, $2, $3, $4)`, [
        'alice',
        JSON.stringify(roles),
        JSON.stringify(disabled),
        JSON.stringify(name),
      ])
      const store = createPostgresUserStore({ pool: admin, table, channel: false })
      await expect(store.findUser('alice')).rejects.toThrow(StoreDataError)
      await store.close()
    })
  })

  describe('change notifications (LISTEN/NOTIFY)', () => {
    async function twoInstances(): Promise<{
      table: string
      writer: ReturnType<typeof createPostgresUserStore>
      reader: ReturnType<typeof createPostgresUserStore>
      events: Invalidation[]
      close: () => Promise<void>
    }> {
      const table = newTable()
      await migratePostgresUserStore(admin, { table })
      const writer = createPostgresUserStore({ connectionString: POSTGRES_URL, table })
      const reader = createPostgresUserStore({ connectionString: POSTGRES_URL, table })
      const events: Invalidation[] = []
      const stop = reader.invalidations!.subscribe((event) => events.push(event))
      // The listener reports `all` once it is listening.
      await expect.poll(() => events.length, { timeout: 3000, interval: 20 }).toBeGreaterThan(0)
      events.length = 0
      return {
        table,
        writer,
        reader,
        events,
        async close() {
          stop()
          await writer.close()
          await reader.close()
        },
      }
    }

    it('tells other instances about a created or updated user within a second', async () => {
      const { writer, events, close } = await twoInstances()
      const started = Date.now()
      await writer.createUser({ username: 'alice', roles: ['user'] })
      await expect
        .poll(() => events, { timeout: 1000, interval: 10 })
        .toContainEqual({ type: 'user', username: 'alice' })
      events.length = 0
      await writer.updateUser({ username: 'alice', roles: ['admin'] })
      await expect
        .poll(() => events, { timeout: 1000, interval: 10 })
        .toContainEqual({ type: 'user', username: 'alice' })
      expect(Date.now() - started).toBeLessThan(2000)
      await close()
    })

    it('reports changes made by hand, renames, deletes and TRUNCATE', async () => {
      const { table, events, close } = await twoInstances()
      await admin.query(`INSERT INTO "${table}" (username) VALUES ('bob')`)
      await admin.query(`UPDATE "${table}" SET username = 'robert' WHERE username = 'bob'`)
      await admin.query(`UPDATE "${table}" SET disabled = true WHERE username = 'robert'`)
      await admin.query(`DELETE FROM "${table}" WHERE username = 'robert'`)
      await admin.query(`TRUNCATE "${table}"`)
      await expect
        .poll(() => events.length, { timeout: 1000, interval: 10 })
        .toBeGreaterThanOrEqual(6)
      // PostgreSQL folds identical notifications of one transaction (OLD and NEW of an update
      // that keeps the username) into one.
      expect(events).toEqual([
        { type: 'user', username: 'bob' },
        { type: 'user', username: 'bob' },
        { type: 'user', username: 'robert' },
        { type: 'user', username: 'robert' },
        { type: 'user', username: 'robert' },
        { type: 'all' },
      ])
      await close()
    })

    it('degrades an over-long username to "invalidate everything" instead of failing the write', async () => {
      const { table, events, close } = await twoInstances()
      await admin.query(`INSERT INTO "${table}" (username) VALUES ($1)`, ['u'.repeat(9000)])
      await expect
        .poll(() => events, { timeout: 1000, interval: 10 })
        .toContainEqual({ type: 'all' })
      await close()
    })

    it('reports everything as stale when the listen connection is lost, and listens again', async () => {
      const { table, writer, events, close } = await twoInstances()
      const killed = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1`,
        [`LISTEN "${table}_changes"`],
      )
      expect(killed.rowCount).toBe(1)
      // One `all` for the loss, one once listening again.
      await expect
        .poll(() => events.filter((event) => event.type === 'all').length, {
          timeout: 3000,
          interval: 20,
        })
        .toBe(2)
      await writer.createUser({ username: 'carol', roles: [] })
      await expect
        .poll(() => events, { timeout: 1000, interval: 10 })
        .toContainEqual({ type: 'user', username: 'carol' })
      await close()
    })
  })
})
