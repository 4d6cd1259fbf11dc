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
 * SQLite's default BINARY collation: exact, byte for byte. An existing table with other column
 * names (ClusterCockpit's `user`, which has no `disabled`) is read through the `columns` option.
 *
 * @module
 */
import Database from 'better-sqlite3'
import type { UserRecord, UserStore } from '../types.js'
import { quoteIdentifier } from '../sql-identifier.js'
import { settle } from '../settle.js'
import {
  assertColumnsPresent,
  insertValues,
  resolveColumns,
  updateValues,
  userStatements,
} from '../user-columns.js'
import type { ResolvedColumns, UserColumns } from '../user-columns.js'
import { assertUserInput, isUsableKey, rowToUser } from '../validate.js'
import type { UserRow } from '../validate.js'

export type { UserColumns } from '../user-columns.js'

/** A better-sqlite3 database handle. */
export type SqliteDatabase = Database.Database

/** Options naming the table and its columns. */
export interface SqliteTableOptions {
  /** Table name, a plain identifier. @defaultValue `'users'` */
  table?: string
  /** Column names of an existing table; see {@link UserColumns}. */
  columns?: UserColumns | undefined
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
  /**
   * Resolves when the table exists with every column the store needs; rejects naming the
   * missing table or column (an `AuthConfigError` for a column). Creating the store already
   * checks a table that exists, so this is for a table created after the store.
   */
  checkSchema(): Promise<void>
  /** Closes the database if the store opened it (from `filename`); idempotent. */
  close(): Promise<void>
}

/** Creates the user table if it does not exist. Idempotent; safe to run at every start. */
export function migrateSqliteUserStore(db: SqliteDatabase, options: SqliteTableOptions = {}): void {
  const table = quoteIdentifier('table', options.table ?? 'users')
  const { sql } = resolveColumns(options.columns)
  const definitions = [
    `${sql.username} TEXT PRIMARY KEY NOT NULL`,
    `${sql.roles} TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(${sql.roles}) AND json_type(${sql.roles}) = 'array')`,
    ...(sql.disabled === undefined
      ? []
      : [`${sql.disabled} INTEGER NOT NULL DEFAULT 0 CHECK (${sql.disabled} IN (0, 1))`]),
    ...(sql.name === undefined ? [] : [`${sql.name} TEXT`]),
  ]
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (\n  ${definitions.join(',\n  ')}\n) STRICT`)
}

/**
 * Checks the table's columns. False when the table does not exist (yet); throws an
 * `AuthConfigError` naming a column the store needs that the table lacks.
 */
function tableIsUsable(db: SqliteDatabase, table: string, columns: ResolvedColumns): boolean {
  const present = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[]
  if (present.length === 0) return false
  // SQLite compares column names without ASCII case.
  const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase()
  assertColumnsPresent('sqlite user store', table, columns, present, sameName)
  return true
}

/**
 * Creates a {@link SqliteUserStore}. Every query is a prepared statement with bound parameters.
 * An existing table that lacks a column the store needs is reported at once, by an
 * `AuthConfigError` naming the column. Statements are prepared on first use, so a missing table
 * shows up as a failing lookup (503), and starts working as soon as the table exists.
 */
export function createSqliteUserStore(options: SqliteUserStoreOptions): SqliteUserStore {
  const tableName = options.table ?? 'users'
  const table = quoteIdentifier('table', tableName)
  const columns = resolveColumns(options.columns)
  const owned = options.db === undefined
  const db: SqliteDatabase =
    options.db ?? new Database(options.filename, { timeout: options.busyTimeout ?? 2000 })
  if (owned) db.pragma('journal_mode = WAL')
  let checked: boolean
  try {
    if (options.migrate === true)
      migrateSqliteUserStore(db, { table: tableName, columns: options.columns })
    checked = tableIsUsable(db, tableName, columns)
  } catch (error) {
    if (owned) db.close()
    throw error
  }
  const ensureSchema = (): void => {
    if (checked) return
    if (!tableIsUsable(db, tableName, columns))
      throw new Error(`sqlite user store: no such table: ${tableName}`)
    checked = true
  }

  const statements = new Map<string, Database.Statement>()
  const statement = (sql: string): Database.Statement => {
    ensureSchema()
    let prepared = statements.get(sql)
    if (prepared === undefined) {
      prepared = db.prepare(sql)
      statements.set(sql, prepared)
    }
    return prepared
  }
  const { find, insert, update } = userStatements(table, columns, () => '?')
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
        statement(insert).run(...insertValues(user, columns, (disabled) => (disabled ? 1 : 0)))
      }),
    updateUser: (user) =>
      settle(() => {
        assertUserInput(user)
        statement(update).run(...updateValues(user, columns))
      }),
    checkSchema: () => settle(ensureSchema),
    close: () =>
      settle(() => {
        if (owned && !closed) db.close()
        closed = true
      }),
  }
}
