/**
 * PostgreSQL replay store through `pg` (`jwt-gate/stores/postgres`).
 *
 * Schema (created by {@link migratePostgresReplayStore}; `table` defaults to `jwt_gate_replay`):
 *
 * ```sql
 * CREATE TABLE IF NOT EXISTS "<table>" (
 *   digest     text PRIMARY KEY,           -- SHA-256 of the key, base64url
 *   expires_at double precision NOT NULL   -- seconds since the epoch
 * );
 * CREATE INDEX IF NOT EXISTS "<table>_expires_at" ON "<table>" (expires_at);
 * ```
 *
 * `remember` is one `INSERT … ON CONFLICT DO UPDATE … WHERE expires_at <= now`: a new key is
 * inserted, an expired row is taken over, a live one is left alone, and the row lock makes the
 * outcome atomic (of concurrent callers exactly one gets a row back). Expiry is judged by the
 * database's clock, one clock for every instance. Every few calls, a bounded batch of expired
 * rows is deleted in the background.
 *
 * @module
 */
import type { Pool } from 'pg'
import { AuthConfigError } from '../../errors.js'
import { assertRemember, replayDigest } from '../replay-key.js'
import { quoteIdentifier } from '../sql-identifier.js'
import type { ReplayStore } from '../types.js'
import { StoreDataError } from '../validate.js'
import { inLockedTransaction, openPool } from './connection.js'
import type { PostgresConnectionOptions } from './connection.js'

/** Options naming the table. */
export interface PostgresReplayTableOptions {
  /**
   * Table name, a plain identifier of at most 52 characters (its index adds `_expires_at`).
   * @defaultValue `'jwt_gate_replay'`
   */
  table?: string
}

/** Options of {@link createPostgresReplayStore}: the table, and how to reach the database. */
export type PostgresReplayStoreOptions = PostgresReplayTableOptions &
  PostgresConnectionOptions & { listener?: never }

/** The PostgreSQL replay store. */
export interface PostgresReplayStore extends ReplayStore {
  /** Waits for a running cleanup, then ends the pool if the store created it. Idempotent. */
  close(): Promise<void>
}

/** A cleanup runs after this many calls of one instance... */
const PURGE_EVERY = 32
/** ...and deletes at most this many rows: more than were added meanwhile, so the table stays bounded. */
const PURGE_BATCH = 64

const INDEX_SUFFIX = '_expires_at'
const DB_NOW = 'extract(epoch FROM clock_timestamp())::double precision'

/** The checked table and index names, quoted. */
function names(options: PostgresReplayTableOptions): { table: string; index: string } {
  const table = options.table ?? 'jwt_gate_replay'
  return {
    table: quoteIdentifier('table', table),
    index: quoteIdentifier('table', `${table}${INDEX_SUFFIX}`),
  }
}

/**
 * Creates the table and its expiry index. Idempotent and safe to run from several instances at
 * once (it takes a transaction-scoped advisory lock).
 */
export async function migratePostgresReplayStore(
  pool: Pool,
  options: PostgresReplayTableOptions = {},
): Promise<void> {
  const { table, index } = names(options)
  await inLockedTransaction(pool, `replay:${table}`, async (client) => {
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (
  digest text PRIMARY KEY,
  expires_at double precision NOT NULL
)`)
    await client.query(`CREATE INDEX IF NOT EXISTS ${index} ON ${table} (expires_at)`)
  })
}

/** The store's two statements; every value is a parameter. */
function statements(table: string): { remember: string; purge: string } {
  return {
    remember: `INSERT INTO ${table} AS r (digest, expires_at) VALUES ($1, $2)
ON CONFLICT (digest) DO UPDATE SET expires_at = EXCLUDED.expires_at
WHERE r.expires_at <= ${DB_NOW}
RETURNING 1`,
    // Rows locked by a concurrent takeover are skipped; a locked row is re-checked once free.
    purge: `DELETE FROM ${table} WHERE digest IN (SELECT digest FROM ${table}
WHERE expires_at <= ${DB_NOW} ORDER BY expires_at LIMIT ${PURGE_BATCH} FOR UPDATE SKIP LOCKED)`,
  }
}

/** `work` run once until it succeeds; a failure is retried by the next call. */
function retriedOnce(work: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined
  return () => {
    done ??= work().catch((error: unknown) => {
      done = undefined
      throw error
    })
    return done
  }
}

/**
 * Creates a {@link PostgresReplayStore}. With a connection string the store owns a pool
 * configured by `FAIL_FAST_POOL_CONFIG`; with a pool of yours, set `connectionTimeoutMillis` and
 * `query_timeout` on it so that a down or hung server fails fast.
 */
export function createPostgresReplayStore(
  options: PostgresReplayStoreOptions,
): PostgresReplayStore {
  const { table } = names(options)
  if (options.pool === undefined && typeof options.connectionString !== 'string')
    throw new AuthConfigError('pool', 'give a pg Pool or a connectionString')
  const sql = statements(table)
  const { pool, owned } = openPool(options)
  const migrated =
    options.migrate === true
      ? retriedOnce(() => migratePostgresReplayStore(pool, options))
      : () => Promise.resolve()
  let calls = 0
  let purging: Promise<void> | undefined
  let closing: Promise<void> | undefined

  // Housekeeping off the request path: a failure leaves expired rows, which block nothing.
  const purgeSometimes = (): void => {
    calls += 1
    if (calls % PURGE_EVERY !== 0 || purging !== undefined || closing !== undefined) return
    purging = pool
      .query(sql.purge)
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        purging = undefined
      })
  }

  return {
    async remember(key, expiresAt) {
      assertRemember(key, expiresAt)
      await migrated()
      const result = await pool.query(sql.remember, [replayDigest(key), expiresAt])
      purgeSometimes()
      if (result.rowCount === 1) return true
      if (result.rowCount === 0) return false
      throw new StoreDataError('postgres replay store', 'the insert returned a wrong row count')
    },
    close() {
      closing ??= (async () => {
        await purging
        if (owned) await pool.end()
      })()
      return closing
    },
  }
}
