/**
 * SQLite user store through better-sqlite3 (`jwt-gate/stores/sqlite`).
 *
 * Schema (created by {@link migrateSqliteUserStore}; `users` is the default table name):
 *
 * ```sql
 * CREATE TABLE IF NOT EXISTS "users" (
 *   username TEXT PRIMARY KEY NOT NULL,
 *   roles    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(roles) AND json_type(roles) = 'array'),
 *   disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
 *   name     TEXT
 * ) STRICT
 * ```
 *
 * `roles` holds a JSON array of strings, as ClusterCockpit's `user` table does. Comparisons use
 * SQLite's default BINARY collation: exact, byte for byte.
 *
 * @module
 */
import Database from 'better-sqlite3'
import type { UserRecord, UserStore } from './types.js'
import { quoteIdentifier } from './sql-identifier.js'
import { settle } from './settle.js'
import { assertUserInput, isUsableKey, rowToUser } from './validate.js'
import type { UserRow } from './validate.js'

/** A better-sqlite3 database handle. */
export type SqliteDatabase = Database.Database

/** Options naming the table. */
export interface SqliteTableOptions {
  /** Table name, a plain identifier. @defaultValue `'users'` */
  table?: string
}

/** Options of {@link createSqliteUserStore}: an open database, or a file to open. */
export type SqliteUserStoreOptions = SqliteTableOptions &
  (
    | { db: SqliteDatabase; filename?: never }
    | {
        filename: string
        db?: never
        /** How long a write waits for a lock held by another process, in ms. @defaultValue 2000 */
        busyTimeout?: number
      }
  ) & {
    /** Run {@link migrateSqliteUserStore} when the store is created. @defaultValue false */
    migrate?: boolean
  }

/** The SQLite user store: lookups plus create/update for login sync. */
export interface SqliteUserStore extends UserStore {
  createUser(user: UserRecord): Promise<void>
  updateUser(user: UserRecord): Promise<void>
  /** Closes the database if the store opened it (from `filename`); idempotent. */
  close(): Promise<void>
}

/** Creates the user table if it does not exist. Idempotent; safe to run at every start. */
export function migrateSqliteUserStore(db: SqliteDatabase, options: SqliteTableOptions = {}): void {
  const table = quoteIdentifier('table', options.table ?? 'users')
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
  username TEXT PRIMARY KEY NOT NULL,
  roles TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(roles) AND json_type(roles) = 'array'),
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  name TEXT
) STRICT`)
}

/**
 * Creates a {@link SqliteUserStore}. Every query is a prepared statement with bound parameters.
 * Statements are prepared on first use, so a missing table shows up as a failing lookup (503),
 * and starts working as soon as the table exists.
 */
export function createSqliteUserStore(options: SqliteUserStoreOptions): SqliteUserStore {
  const tableName = options.table ?? 'users'
  const table = quoteIdentifier('table', tableName)
  const owned = options.db === undefined
  const db: SqliteDatabase =
    options.db ?? new Database(options.filename, { timeout: options.busyTimeout ?? 2000 })
  if (owned) db.pragma('journal_mode = WAL')
  if (options.migrate === true) migrateSqliteUserStore(db, { table: tableName })

  const statements = new Map<string, Database.Statement>()
  const statement = (sql: string): Database.Statement => {
    let prepared = statements.get(sql)
    if (prepared === undefined) {
      prepared = db.prepare(sql)
      statements.set(sql, prepared)
    }
    return prepared
  }
  const find = `SELECT username, roles, disabled, name FROM ${table} WHERE username = ?`
  const insert = `INSERT INTO ${table} (username, roles, disabled, name) VALUES (?, ?, ?, ?)
    ON CONFLICT (username) DO NOTHING`
  const update = `UPDATE ${table} SET roles = ?, name = coalesce(?, name) WHERE username = ?`
  let closed = false

  return {
    findUser: (username) =>
      settle(() => {
        if (!isUsableKey(username)) return undefined
        const row = statement(find).get(username) as UserRow | undefined
        return row === undefined ? undefined : rowToUser('sqlite user store', row, username)
      }),
    createUser: (user) =>
      settle(() => {
        assertUserInput(user)
        statement(insert).run(
          user.username,
          JSON.stringify(user.roles),
          user.disabled === true ? 1 : 0,
          user.name ?? null,
        )
      }),
    updateUser: (user) =>
      settle(() => {
        assertUserInput(user)
        statement(update).run(JSON.stringify(user.roles), user.name ?? null, user.username)
      }),
    close: () =>
      settle(() => {
        if (owned && !closed) db.close()
        closed = true
      }),
  }
}
