/**
 * Issue 21, point 20 (store part): the SQL stores on an existing user table, shaped like
 * ClusterCockpit's own `user` table (JSON roles in text, no `disabled` column). A table that lacks
 * a column the store needs is reported at start-up naming the column; the `columns` option maps
 * the store onto the table's own columns. Real SQLite and PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthConfigError } from '../../src/index.js'
import { cacheUserStore } from '../../src/stores/cache/index.js'
import { createPostgresUserStore } from '../../src/stores/postgres/index.js'
import { createSqliteUserStore } from '../../src/stores/sqlite/index.js'
import type { UserColumns } from '../../src/stores/user-columns.js'
import type { UserStore } from '../../src/stores/types.js'
import { createStoreApp, signToken } from './http-app.js'
import { POSTGRES_URL, serviceAvailable, uniqueName } from './services.js'

const pgAvailable = await serviceAvailable('postgres', 'existing user table (PostgreSQL)')

/** ClusterCockpit's `user` table: no `disabled` column. The dialects differ in one type only. */
function ccTable(table: string, dialect: 'sqlite' | 'postgres'): string {
  const ldap = dialect === 'sqlite' ? 'tinyint ' : 'smallint'
  return `CREATE TABLE "${table}" (
    username varchar(255) PRIMARY KEY NOT NULL,
    password varchar(255) DEFAULT NULL,
    ldap     ${ldap}     NOT NULL DEFAULT 0,
    name     varchar(255) DEFAULT NULL,
    roles    varchar(255) NOT NULL DEFAULT '[]',
    email    varchar(255) DEFAULT NULL,
    projects varchar(255) NOT NULL DEFAULT '[]')`
}
const CC_ROWS = [
  ['alice', '["admin","user"]', 'Alice A.'],
  ['bob', '["user"]', null],
] as const

/** A table and a way to build stores on it; `sql` runs plain SQL for setup and checks. */
interface Dialect {
  name: string
  skip: boolean
  /** Creates a ClusterCockpit-shaped table holding alice and bob; returns its name. */
  ccTable(): Promise<string>
  sql(text: string, values?: unknown[]): Promise<Record<string, unknown>[]>
  /** A store on `table`; for PostgreSQL after awaiting `checkSchema()`, as an app would. */
  store(table: string, columns?: UserColumns): Promise<UserStore>
  /** A store on a table created later, to show the lazy check (the 503's cause). */
  storeBeforeTable(table: string): UserStore
}

const dir = mkdtempSync(join(tmpdir(), 'jwt-gate-cc-'))
const db = new Database(join(dir, 'cc.db'))
let pool: pg.Pool
const pgTables: string[] = []
const closers: (() => Promise<void>)[] = []

beforeAll(() => {
  if (pgAvailable) pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 })
})
afterAll(async () => {
  for (const close of closers) await close()
  db.close()
  rmSync(dir, { recursive: true, force: true })
  if (!pgAvailable) return
  for (const table of pgTables) await pool.query(`DROP TABLE IF EXISTS "${table}"`)
  await pool.end()
})

const sqlite: Dialect = {
  name: 'SQLite',
  skip: false,
  async ccTable() {
    const table = uniqueName('user')
    db.exec(ccTable(table, 'sqlite'))
    const insert = db.prepare(`INSERT INTO "${table}" (username, roles, name) VALUES (?, ?, ?)`)
    for (const row of CC_ROWS) insert.run(...row)
    return Promise.resolve(table)
  },
  sql: (text, values = []) => {
    const statement = db.prepare(text)
    return Promise.resolve(
      statement.reader
        ? (statement.all(...values) as Record<string, unknown>[])
        : (statement.run(...values), []),
    )
  },
  // async: the synchronous start-up check becomes a rejection, as with PostgreSQL's checkSchema().
  async store(table, columns) {
    const store = createSqliteUserStore({ db, table, ...(columns ? { columns } : {}) })
    closers.push(() => store.close())
    return Promise.resolve(store)
  },
  storeBeforeTable: (table) => createSqliteUserStore({ db, table }),
}

/** A PostgreSQL user store on the shared pool, without LISTEN, closed after each test. */
function openPostgresStore(table: string, columns?: UserColumns) {
  const store = createPostgresUserStore({
    pool,
    table,
    channel: false,
    ...(columns ? { columns } : {}),
  })
  closers.push(() => store.close())
  return store
}

const postgres: Dialect = {
  name: 'PostgreSQL',
  skip: !pgAvailable,
  async ccTable() {
    const table = uniqueName('user')
    pgTables.push(table)
    await pool.query(ccTable(table, 'postgres'))
    for (const row of CC_ROWS)
      await pool.query(`INSERT INTO "${table}" (username, roles, name) VALUES ($1, $2, $3)`, [
        ...row,
      ])
    return table
  },
  sql: async (text, values = []) => {
    let index = 0
    return (
      await pool.query(
        text.replace(/\?/g, () => `$${++index}`),
        values,
      )
    ).rows
  },
  async store(table, columns) {
    const store = openPostgresStore(table, columns)
    await store.checkSchema()
    return store
  },
  storeBeforeTable(table) {
    pgTables.push(table)
    return openPostgresStore(table)
  },
}

const CC_COLUMNS: UserColumns = { disabled: false }

for (const dialect of [sqlite, postgres]) {
  describe.skipIf(dialect.skip)(`existing user table: ${dialect.name}`, () => {
    it('reports a table without a disabled column at start-up, naming the column', async () => {
      const table = await dialect.ccTable()
      const failure = dialect.store(table)
      await expect(failure).rejects.toThrow(AuthConfigError)
      await expect(failure).rejects.toMatchObject({ option: 'columns.disabled' })
      await expect(failure).rejects.toThrow(`table "${table}" has no column "disabled"`)
    })

    it('reads the ClusterCockpit table with columns: { disabled: false }', async () => {
      const table = await dialect.ccTable()
      const store = await dialect.store(table, CC_COLUMNS)
      expect(await store.findUser('alice')).toEqual({
        username: 'alice',
        roles: ['admin', 'user'],
        disabled: false,
        name: 'Alice A.',
      })
      expect(await store.findUser('bob')).toEqual({
        username: 'bob',
        roles: ['user'],
        disabled: false,
      })
      expect(await store.findUser('Alice')).toBeUndefined()
      expect(await store.findUser('carol')).toBeUndefined()
    })

    it('creates and updates users in it, leaving its other columns to their defaults', async () => {
      const table = await dialect.ccTable()
      const store = await dialect.store(table, CC_COLUMNS)
      await store.createUser!({ username: 'carol', roles: ['user'], name: 'Carol' })
      await store.updateUser!({ username: 'bob', roles: ['support'], name: 'Bob' })
      const rows = await dialect.sql(
        `SELECT username, roles, name, ldap, projects FROM "${table}" ORDER BY username`,
      )
      expect(rows.map((row) => ({ ...row, roles: JSON.parse(row.roles as string) }))).toEqual([
        { username: 'alice', roles: ['admin', 'user'], name: 'Alice A.', ldap: 0, projects: '[]' },
        { username: 'bob', roles: ['support'], name: 'Bob', ldap: 0, projects: '[]' },
        { username: 'carol', roles: ['user'], name: 'Carol', ldap: 0, projects: '[]' },
      ])
      // Without a disabled column a disabled user cannot be stored: refused, not created enabled.
      await expect(
        store.createUser!({ username: 'dave', roles: [], disabled: true }),
      ).rejects.toThrow(/no disabled column/)
      expect(await store.findUser('dave')).toBeUndefined()
    })

    it('maps other column names, including a disabled flag', async () => {
      const table = uniqueName('accounts')
      if (dialect === postgres) pgTables.push(table)
      await dialect.sql(
        `CREATE TABLE "${table}" (login varchar(64) PRIMARY KEY, "Groups" text NOT NULL,
          locked ${dialect === postgres ? 'boolean' : 'integer'} NOT NULL, display text)`,
      )
      await dialect.sql(`INSERT INTO "${table}" VALUES (?, ?, ?, ?)`, [
        'erin',
        '["ops"]',
        dialect === postgres ? true : 1,
        'Erin',
      ])
      const columns = { username: 'login', roles: 'Groups', disabled: 'locked', name: 'display' }
      const store = await dialect.store(table, columns)
      expect(await store.findUser('erin')).toEqual({
        username: 'erin',
        roles: ['ops'],
        disabled: true,
        name: 'Erin',
      })
      await store.createUser!({ username: 'finn', roles: ['dev'] })
      expect(await store.findUser('finn')).toEqual({
        username: 'finn',
        roles: ['dev'],
        disabled: false,
      })
      await expect(dialect.store(table, { ...columns, name: 'fullname' })).rejects.toMatchObject({
        option: 'columns.name',
        message: expect.stringContaining('has no column "fullname"') as unknown,
      })
    })

    it('lets a ClusterCockpit deployment check its users over HTTP', async () => {
      const table = await dialect.ccTable()
      const users = cacheUserStore(await dialect.store(table, CC_COLUMNS))
      const server = createStoreApp({ users, createUnknown: true })
      const alice = await signToken({ sub: 'alice', roles: ['user'] })
      const res = await request(server.app).get('/me').auth(alice, { type: 'bearer' })
      expect(res.status).toBe(200)
      expect(res.body.roles).toEqual(['admin', 'user'])
      const newcomer = await signToken({ sub: 'gina', roles: ['user'] })
      expect((await request(server.app).get('/me').auth(newcomer, { type: 'bearer' })).status).toBe(
        200,
      )
      expect(
        await dialect.sql(`SELECT roles FROM "${table}" WHERE username = ?`, ['gina']),
      ).toEqual([{ roles: '["user"]' }])
      expect(server.ran()).toBe(2)
    })

    it('a table created later without the column: 503, and the cause names the column', async () => {
      const table = uniqueName('user')
      const store = dialect.storeBeforeTable(table)
      await dialect.sql(ccTable(table, dialect === postgres ? 'postgres' : 'sqlite'))
      const check = store as UserStore & { checkSchema(): Promise<void> }
      await expect(check.checkSchema()).rejects.toMatchObject({ option: 'columns.disabled' })
      const server = createStoreApp({ users: store })
      const token = await signToken({ sub: 'alice' })
      const res = await request(server.app).get('/me').auth(token, { type: 'bearer' })
      expect(res.status).toBe(503)
      expect(server.ran()).toBe(0)
      const failure = server.middleware.authenticator.authenticate({
        headers: { authorization: `Bearer ${token}` },
        cookies: {},
      })
      await expect(failure).rejects.toMatchObject({
        status: 503,
        code: 'ERR_AUTH_STORE_UNAVAILABLE',
        cause: { option: 'columns.disabled' },
      })
      await expect(failure).rejects.toHaveProperty(
        'cause.message',
        expect.stringContaining(`table "${table}" has no column "disabled"`),
      )
    })
  })
}

describe.skipIf(postgres.skip)('warmUp() checks the user table (PostgreSQL)', () => {
  const gateOn = (table: string, wrap: (store: UserStore) => UserStore, columns?: UserColumns) => {
    return createStoreApp({ users: wrap(openPostgresStore(table, columns)) }).middleware
  }
  const wrappers: [string, (store: UserStore) => UserStore][] = [
    ['the store', (store) => store],
    ['the store in cacheUserStore', (store) => cacheUserStore(store)],
  ]

  it.each(wrappers)('rejects naming the missing column (%s)', async (_, wrap) => {
    const table = await postgres.ccTable()
    const gate = gateOn(table, wrap)
    for (const warmUp of [() => gate.warmUp(), () => gate.authenticator.warmUp()]) {
      const failure = warmUp()
      await expect(failure).rejects.toThrow(AuthConfigError)
      await expect(failure).rejects.toMatchObject({ option: 'columns.disabled' })
      await expect(failure).rejects.toThrow(`table "${table}" has no column "disabled"`)
    }
  })

  it.each(wrappers)('resolves with columns: { disabled: false } (%s)', async (_, wrap) => {
    const table = await postgres.ccTable()
    await expect(gateOn(table, wrap, CC_COLUMNS).warmUp()).resolves.toBeUndefined()
  })
})

describe('the columns option', () => {
  it.each([
    [{ disable: false }, 'columns.disable'],
    [{ username: 'user name' }, 'columns.username'],
    [{ roles: '' }, 'columns.roles'],
    [{ name: 'x"; DROP TABLE y; --' }, 'columns.name'],
  ])('refuses %j naming %s', (columns, option) => {
    expect(() => createSqliteUserStore({ db, columns: columns as UserColumns })).toThrow(
      expect.objectContaining({ option }) as unknown,
    )
  })
})
