/**
 * Issue 21, point 1: user tables that compare names without case (SQLite `COLLATE NOCASE`,
 * PostgreSQL `citext`). A token for `Alice` must never pass on the strength of the row `alice`,
 * not even with `createUnknown`, where the create silently does nothing (`ON CONFLICT DO
 * NOTHING`). Run over HTTP against real SQLite and PostgreSQL, with the shipped adapters, the
 * cache in front of them, and a minimal third-party store that only has findUser/createUser.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import request from 'supertest'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cacheUserStore } from '../../src/stores/cache/index.js'
import { createPostgresUserStore } from '../../src/stores/postgres/index.js'
import { createSqliteUserStore } from '../../src/stores/sqlite/index.js'
import type { UserRecord, UserStore } from '../../src/stores/types.js'
import { challenge, createStoreApp, signToken } from './http-app.js'
import { POSTGRES_URL, serviceAvailable, uniqueName } from './services.js'

const pgAvailable = await serviceAvailable('postgres', 'case-insensitive PostgreSQL user table')

interface Row {
  username: string
  roles: string
  disabled: number | boolean
  name: string | null
}

/** One case-insensitive table, and plain SQL on it. */
interface Table {
  /** Rows whose name equals `username` exactly (no collation). */
  exactRows(username: string): Promise<Row[]>
  /** A store on this table that follows the old contract: inexact rows read as "not found". */
  thirdParty(): UserStore
  shipped(): UserStore
  cleanup(): Promise<void>
}

const dir = mkdtempSync(join(tmpdir(), 'jwt-gate-nocase-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function sqliteTable(): Table {
  const db = new Database(join(dir, `${uniqueName('users')}.db`))
  db.exec(`CREATE TABLE users (
    username TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
    roles TEXT NOT NULL DEFAULT '[]',
    disabled INTEGER NOT NULL DEFAULT 0,
    name TEXT)`)
  db.prepare(`INSERT INTO users VALUES ('alice', '["viewer"]', 1, NULL)`).run()
  return {
    exactRows: (username) =>
      Promise.resolve(
        db.prepare('SELECT * FROM users WHERE username = ? COLLATE BINARY').all(username) as Row[],
      ),
    thirdParty: () => ({
      findUser(username) {
        const row = db.prepare('SELECT * FROM users WHERE username = ?').get(username) as
          Row | undefined
        if (row === undefined || row.username !== username) return Promise.resolve(undefined)
        return Promise.resolve({
          username: row.username,
          roles: JSON.parse(row.roles) as string[],
          disabled: row.disabled === 1,
        })
      },
      createUser(user: UserRecord) {
        db.prepare(
          `INSERT INTO users (username, roles) VALUES (?, ?) ON CONFLICT (username) DO NOTHING`,
        ).run(user.username, JSON.stringify(user.roles))
        return Promise.resolve()
      },
    }),
    shipped: () => createSqliteUserStore({ db }),
    cleanup: () => {
      db.close()
      return Promise.resolve()
    },
  }
}

function postgresTable(admin: pg.Pool): () => Promise<Table> {
  return async () => {
    const table = uniqueName('jwtg_nocase')
    await admin.query(`CREATE TABLE "${table}" (
      username citext PRIMARY KEY,
      roles jsonb NOT NULL DEFAULT '[]'::jsonb,
      disabled boolean NOT NULL DEFAULT false,
      name text)`)
    await admin.query(`INSERT INTO "${table}" VALUES ('alice', '["viewer"]', true, NULL)`)
    const stores: UserStore[] = []
    return {
      exactRows: async (username) =>
        (await admin.query<Row>(`SELECT * FROM "${table}" WHERE username::text = $1`, [username]))
          .rows,
      thirdParty: () => ({
        async findUser(username) {
          const { rows } = await admin.query<Row>(`SELECT * FROM "${table}" WHERE username = $1`, [
            username,
          ])
          const row = rows[0]
          if (row === undefined || row.username !== username) return undefined
          return {
            username: row.username,
            roles: row.roles as unknown as string[],
            disabled: row.disabled === true,
          }
        },
        async createUser(user: UserRecord) {
          await admin.query(
            `INSERT INTO "${table}" (username, roles) VALUES ($1, $2::jsonb)
             ON CONFLICT (username) DO NOTHING`,
            [user.username, JSON.stringify(user.roles)],
          )
        },
      }),
      shipped() {
        const store = createPostgresUserStore({ pool: admin, table, channel: false })
        stores.push(store)
        return store
      },
      async cleanup() {
        for (const store of stores) await store.close?.()
        await admin.query(`DROP TABLE IF EXISTS "${table}"`)
      },
    }
  }
}

let admin: pg.Pool
beforeAll(async () => {
  if (!pgAvailable) return
  admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 })
  await admin.query('CREATE EXTENSION IF NOT EXISTS citext')
})
afterAll(async () => {
  if (pgAvailable) await admin.end()
})

const databases: { name: string; skip: boolean; table: () => Promise<Table> }[] = [
  { name: 'SQLite COLLATE NOCASE', skip: false, table: () => Promise.resolve(sqliteTable()) },
  { name: 'PostgreSQL citext', skip: !pgAvailable, table: () => postgresTable(admin)() },
]

const stores: { name: string; make: (table: Table) => UserStore }[] = [
  { name: 'shipped adapter', make: (table) => table.shipped() },
  {
    name: 'shipped adapter behind cacheUserStore',
    make: (table) => cacheUserStore(table.shipped()),
  },
  { name: 'third-party findUser/createUser store', make: (table) => table.thirdParty() },
  {
    name: 'third-party store behind cacheUserStore',
    make: (table) => cacheUserStore(table.thirdParty()),
  },
]

for (const database of databases) {
  describe.skipIf(database.skip)(`case-insensitive user table: ${database.name}`, () => {
    let table: Table
    afterEach(async () => {
      await table.cleanup()
    })

    describe.each(stores)('$name', ({ make }) => {
      it.each([true, false])(
        'refuses a token for Alice when only the disabled row alice exists (createUnknown: %s)',
        async (createUnknown) => {
          table = await database.table()
          const server = createStoreApp({ users: make(table), createUnknown })
          const token = await signToken({ sub: 'Alice', roles: ['admin'] })
          const res = await request(server.app).get('/me').auth(token, { type: 'bearer' })
          expect(res.status).toBe(401)
          expect(res.headers['www-authenticate']).toBe(challenge('unknown user'))
          expect(res.body.code).toBe('ERR_AUTH_USER_UNKNOWN')
          expect(server.ran()).toBe(0)
          // Nothing was created or changed: alice is still the only, disabled, viewer row.
          expect(await table.exactRows('Alice')).toEqual([])
          expect(await table.exactRows('alice')).toMatchObject([{ disabled: expect.anything() }])
          expect((await table.exactRows('alice'))[0]!.disabled).toBeTruthy()
          await server.middleware.close()
        },
      )

      it('still creates a user whose name no row matches in any case', async () => {
        table = await database.table()
        const server = createStoreApp({ users: make(table), createUnknown: true })
        const token = await signToken({ sub: 'Carol', roles: ['user'] })
        const res = await request(server.app).get('/me').auth(token, { type: 'bearer' })
        expect(res.status).toBe(200)
        expect(res.body.subject).toBe('Carol')
        expect(res.body.roles).toEqual(['user'])
        expect(server.ran()).toBe(1)
        expect(await table.exactRows('Carol')).toHaveLength(1)
        await server.middleware.close()
      })
    })
  })
}
