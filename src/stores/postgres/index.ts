/**
 * PostgreSQL user store through `pg` (`jwt-gate/stores/postgres`), with optional change
 * notifications through LISTEN/NOTIFY.
 *
 * Schema (created by {@link migratePostgresUserStore}; `users` is the default table name):
 *
 * ```sql
 * CREATE TABLE IF NOT EXISTS "users" (
 *   username text PRIMARY KEY,
 *   roles    jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(roles) = 'array'),
 *   disabled boolean NOT NULL DEFAULT false,
 *   name     text
 * );
 * ```
 *
 * plus, unless `channel: false`, a row trigger that runs `pg_notify('<table>_changes', …)` for
 * every insert, update and delete (and a statement trigger for TRUNCATE), so that changes made
 * by any instance or by hand reach every instance's cache. An existing table with other column
 * names (ClusterCockpit's `user`, which has no `disabled`) is read through the `columns` option.
 *
 * @module
 */
import type { Pool } from 'pg'
import type { InvalidationSource } from '../invalidation.js'
import type { UserRecord, UserStore } from '../types.js'
import { closeOnce, inLockedTransaction, openPool } from './connection.js'
import type { PostgresConnectionOptions } from './connection.js'
import { createPostgresListener } from './listener.js'
import { quoteIdentifier } from '../sql-identifier.js'
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

/** Options naming the table, its columns and the notification channel. */
export interface PostgresTableOptions {
  /** Table name, a plain identifier. @defaultValue `'users'` */
  table?: string
  /** Column names of an existing table; see {@link UserColumns}. */
  columns?: UserColumns | undefined
  /**
   * NOTIFY channel for change notifications, or `false` for none.
   * @defaultValue `'<table>_changes'`
   */
  channel?: string | false
}

/** Options of {@link createPostgresUserStore}: the table, and how to reach the database. */
export type PostgresUserStoreOptions = PostgresTableOptions & PostgresConnectionOptions

/** The PostgreSQL user store. */
export interface PostgresUserStore extends UserStore {
  createUser(user: UserRecord): Promise<void>
  updateUser(user: UserRecord): Promise<void>
  /**
   * LISTEN/NOTIFY invalidations (absent with `channel: false`). Pass it to `cacheUserStore`'s
   * `invalidations`. It holds one pool connection while subscribed.
   */
  invalidations?: InvalidationSource
  /**
   * Resolves when the table exists with every column the store needs; rejects naming the
   * missing table or column (an `AuthConfigError` for a column). Await it at start-up (after
   * the migration, if any) to find a wrong table before the first request does; the first
   * query runs the same check, so until then a request gets a 503 whose cause names the column.
   */
  checkSchema(): Promise<void>
  /** Stops listening, and ends the pool if the store created it. Idempotent. */
  close(): Promise<void>
}

function names(options: PostgresTableOptions): {
  table: string
  tableName: string
  channel: string | undefined
  columns: ResolvedColumns
} {
  const tableName = options.table ?? 'users'
  const table = quoteIdentifier('table', tableName)
  const channel =
    options.channel === false ? undefined : (options.channel ?? `${tableName}_changes`)
  if (channel !== undefined) quoteIdentifier('channel', channel)
  return { table, tableName, channel, columns: resolveColumns(options.columns) }
}

/**
 * Checks the table's columns (the table as unqualified queries find it, through `search_path`).
 * False when the table does not exist (yet); throws an `AuthConfigError` naming a column the
 * store needs that the table lacks.
 */
async function tableIsUsable(
  pool: Pool,
  tableName: string,
  columns: ResolvedColumns,
): Promise<boolean> {
  const result = await pool.query<{ attname: string }>(
    `SELECT attname FROM pg_attribute
     WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
    [quoteIdentifier('table', tableName)],
  )
  if (result.rows.length === 0) return false
  const present = result.rows.map((row) => row.attname)
  // Quoted identifiers: PostgreSQL compares them exactly.
  assertColumnsPresent('postgres user store', tableName, columns, present, (a, b) => a === b)
  return true
}

/**
 * Creates the user table and, unless `channel: false`, the notification trigger. Idempotent and
 * safe to run from several instances at once (it takes a transaction-scoped advisory lock).
 */
export async function migratePostgresUserStore(
  pool: Pool,
  options: PostgresTableOptions = {},
): Promise<void> {
  const { table, tableName, channel, columns } = names(options)
  const { sql } = columns
  const definitions = [
    `${sql.username} text PRIMARY KEY`,
    `${sql.roles} jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(${sql.roles}) = 'array')`,
    ...(sql.disabled === undefined ? [] : [`${sql.disabled} boolean NOT NULL DEFAULT false`]),
    ...(sql.name === undefined ? [] : [`${sql.name} text`]),
  ]
  await inLockedTransaction(pool, tableName, async (client) => {
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (\n  ${definitions.join(',\n  ')}\n)`)
    if (channel !== undefined) {
      const rowFn = quoteIdentifier('table', `${tableName}_notify_row`)
      const truncateFn = quoteIdentifier('table', `${tableName}_notify_all`)
      // The channel is a checked identifier, so it can be a literal; payloads over NOTIFY's 8000
      // byte limit degrade to "invalidate everything" instead of failing the write.
      await client.query(`CREATE OR REPLACE FUNCTION ${rowFn}() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE payload text;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    payload := json_build_object('type', 'user', 'username', OLD.${sql.username})::text;
    IF octet_length(payload) > 7900 THEN payload := '{}'; END IF;
    PERFORM pg_notify('${channel}', payload);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    payload := json_build_object('type', 'user', 'username', NEW.${sql.username})::text;
    IF octet_length(payload) > 7900 THEN payload := '{}'; END IF;
    PERFORM pg_notify('${channel}', payload);
  END IF;
  RETURN NULL;
END
$fn$`)
      await client.query(`CREATE OR REPLACE FUNCTION ${truncateFn}() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_notify('${channel}', '{"type":"all"}');
  RETURN NULL;
END
$fn$`)
      const rowTrigger = quoteIdentifier('table', `${tableName}_notify_row`)
      const truncateTrigger = quoteIdentifier('table', `${tableName}_notify_all`)
      await client.query(`DROP TRIGGER IF EXISTS ${rowTrigger} ON ${table}`)
      await client.query(`CREATE TRIGGER ${rowTrigger} AFTER INSERT OR UPDATE OR DELETE ON ${table}
FOR EACH ROW EXECUTE FUNCTION ${rowFn}()`)
      await client.query(`DROP TRIGGER IF EXISTS ${truncateTrigger} ON ${table}`)
      await client.query(`CREATE TRIGGER ${truncateTrigger} AFTER TRUNCATE ON ${table}
FOR EACH STATEMENT EXECUTE FUNCTION ${truncateFn}()`)
    }
  })
}

/**
 * Creates a {@link PostgresUserStore}. Every query is parameterised. With a connection string the
 * store owns a pool configured by {@link FAIL_FAST_POOL_CONFIG}; with a pool of yours, set
 * `connectionTimeoutMillis` and `query_timeout` on it so that a hung server fails fast (the
 * middleware's own timeout answers 503 either way), and listen for its `error` event.
 */
export function createPostgresUserStore(options: PostgresUserStoreOptions): PostgresUserStore {
  const { table, tableName, channel, columns } = names(options)
  const { pool, owned } = openPool(options)

  // Migration, then the column check, once; a failure is retried on the next call rather than
  // remembered, so a table fixed (or created) later is picked up without a restart.
  let ready: Promise<void> | undefined
  const prepare = async (): Promise<void> => {
    if (options.migrate === true) {
      await migratePostgresUserStore(pool, {
        table: tableName,
        columns: options.columns,
        channel: channel ?? false,
      })
    }
    if (!(await tableIsUsable(pool, tableName, columns)))
      throw new Error(`postgres user store: relation ${table} does not exist`)
  }
  const prepared = (): Promise<void> => {
    ready ??= prepare().catch((error: unknown) => {
      ready = undefined
      throw error
    })
    return ready
  }
  // Parameters take the column's type (`jsonb` or text for roles): one statement fits any table.
  const statements = userStatements(table, columns, (index) => `$${index}`)
  const listener =
    channel === undefined
      ? undefined
      : createPostgresListener(pool, { ...options.listener, channel })

  const store: PostgresUserStore = {
    async findUser(username) {
      if (!isUsableKey(username)) return undefined
      await prepared()
      const result = await pool.query<UserRow>(statements.find, [username])
      if (result.rows.length > 1) throw new Error('postgres user store: username is not unique')
      const row = result.rows[0]
      return row === undefined ? undefined : rowToUser('postgres user store', row, username)
    },
    async createUser(user) {
      assertUserInput(user)
      const values = insertValues(user, columns, (disabled) => disabled)
      await prepared()
      await pool.query(statements.insert, values)
    },
    async updateUser(user) {
      assertUserInput(user)
      await prepared()
      await pool.query(statements.update, updateValues(user, columns))
    },
    checkSchema: prepared,
    close: closeOnce(listener, pool, owned),
  }
  if (listener !== undefined) store.invalidations = listener
  return store
}

export { FAIL_FAST_POOL_CONFIG } from './connection.js'
export type { PostgresConnectionOptions } from './connection.js'
export * from './revocation.js'
export * from './replay.js'
