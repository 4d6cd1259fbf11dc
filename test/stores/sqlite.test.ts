import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { AuthConfigError } from '../../src/errors.js'
import { createSqliteUserStore, migrateSqliteUserStore } from '../../src/stores/sqlite/index.js'
import { InexactUserMatchError, StoreDataError } from '../../src/stores/validate.js'
import { GARBAGE_ROWS } from './garbage.js'
import { userStoreContract } from './user-store-contract.js'

const dir = mkdtempSync(join(tmpdir(), 'jwt-gate-sqlite-'))
let files = 0
const tempFile = (): string => join(dir, `users-${files++}.db`)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

userStoreContract('sqlite (file)', async (seed) => {
  const store = createSqliteUserStore({ filename: tempFile(), migrate: true })
  for (const user of seed) await store.createUser(user)
  return { store, cleanup: () => store.close() }
})

describe('sqlite user store', () => {
  it('creates the documented schema, idempotently', () => {
    const db = new Database(tempFile())
    migrateSqliteUserStore(db, { table: 'accounts' })
    migrateSqliteUserStore(db, { table: 'accounts' })
    const columns = db
      .prepare(`SELECT name, type, pk, "notnull" FROM pragma_table_info('accounts')`)
      .all()
    expect(columns).toEqual([
      { name: 'username', type: 'TEXT', pk: 1, notnull: 1 },
      { name: 'roles', type: 'TEXT', pk: 0, notnull: 1 },
      { name: 'disabled', type: 'INTEGER', pk: 0, notnull: 1 },
      { name: 'name', type: 'TEXT', pk: 0, notnull: 0 },
    ])
    // The constraints keep garbage out of a migrated table.
    const insert = db.prepare('INSERT INTO accounts (username, roles) VALUES (?, ?)')
    expect(() => insert.run('a', 'not json')).toThrow()
    expect(() => insert.run('b', '{"a":1}')).toThrow()
    db.close()
  })

  it('works on a database handle of the app, which it does not close', async () => {
    const db = new Database(tempFile())
    const store = createSqliteUserStore({ db, table: 'people', migrate: true })
    await store.createUser({ username: 'alice', roles: ['user'] })
    await store.close()
    expect(db.open).toBe(true)
    expect(db.prepare('SELECT roles FROM people').get()).toEqual({ roles: '["user"]' })
    db.close()
  })

  it.each(['users; DROP TABLE x', 'a"b', '1users', '', 'x'.repeat(64)])(
    'refuses the table name %j',
    (table) => {
      expect(() => createSqliteUserStore({ filename: tempFile(), table })).toThrow(
        expect.objectContaining({ name: 'AuthConfigError', option: 'table' }),
      )
      expect(() => createSqliteUserStore({ filename: tempFile(), table })).toThrow(AuthConfigError)
    },
  )

  it('fails while the table is missing and recovers once it exists, without a restart', async () => {
    const db = new Database(tempFile())
    const store = createSqliteUserStore({ db })
    await expect(store.findUser('alice')).rejects.toThrow(/no such table/)
    migrateSqliteUserStore(db)
    db.prepare(`INSERT INTO users (username, roles) VALUES ('alice', '["user"]')`).run()
    expect(await store.findUser('alice')).toEqual({
      username: 'alice',
      roles: ['user'],
      disabled: false,
    })
    db.close()
  })

  it('reports a row that matches only without case as inexact, never as "not found"', async () => {
    const db = new Database(tempFile())
    db.exec(
      `CREATE TABLE users (username TEXT PRIMARY KEY COLLATE NOCASE, roles TEXT, disabled, name)`,
    )
    db.prepare(`INSERT INTO users VALUES ('alice', '["viewer"]', 1, NULL)`).run()
    const store = createSqliteUserStore({ db })
    await expect(store.findUser('Alice')).rejects.toThrow(InexactUserMatchError)
    await expect(store.findUser('Alice')).rejects.toMatchObject({ code: 'ERR_STORE_USER_INEXACT' })
    expect(await store.findUser('bob')).toBeUndefined()
    expect((await store.findUser('alice'))?.disabled).toBe(true)
    db.close()
  })

  describe('rows of the wrong shape in a legacy table are detected', () => {
    it.each(GARBAGE_ROWS)('$label', async ({ roles, disabled, name }) => {
      const db = new Database(tempFile())
      // A hand-made table without the migration's constraints, as an older app might have.
      db.exec('CREATE TABLE users (username TEXT PRIMARY KEY, roles, disabled, name)')
      db.prepare('INSERT INTO users VALUES (?, ?, ?, ?)').run(
        'alice',
        typeof roles === 'string' || roles === null ? roles : JSON.stringify(roles),
        disabled,
        name,
      )
      const store = createSqliteUserStore({ db })
      const failure = store.findUser('alice')
      await expect(failure).rejects.toThrow(StoreDataError)
      await expect(failure).rejects.toThrow(/invalid data from the store: \w+ is not/)
      db.close()
    })
  })
})
