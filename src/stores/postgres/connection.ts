/**
 * How the PostgreSQL stores reach the database: a pool of the app's, or a connection string for a
 * pool the store owns, with settings that fail fast. One place for both stores, so the user and
 * the revocation store are configured, and behave when PostgreSQL is down, the same way.
 *
 * @module
 */
import pg from 'pg'
import type { Pool, PoolClient, PoolConfig } from 'pg'
import type { PostgresListenerOptions } from './listener.js'

/** Pool settings used with a connection string: fail within about two seconds, then recover. */
export const FAIL_FAST_POOL_CONFIG: Readonly<PoolConfig> = Object.freeze({
  max: 10,
  connectionTimeoutMillis: 2000,
  query_timeout: 2000,
  statement_timeout: 2000,
  idleTimeoutMillis: 30_000,
  keepAlive: true,
})

/** A pool of the app's, or a connection string for a pool the store owns; and what both share. */
export type PostgresConnectionOptions = (
  | { pool: Pool; connectionString?: never }
  | {
      connectionString: string
      pool?: never
      /**
       * Extra pool settings over {@link FAIL_FAST_POOL_CONFIG}, whose defaults fail fast:
       * `connectionTimeoutMillis: 2000`, `query_timeout: 2000`, `statement_timeout: 2000`,
       * `max: 10`.
       */
      poolConfig?: PoolConfig
    }
) & {
  /** Run the store's migration before the first query. @defaultValue false */
  migrate?: boolean
  /** Reconnect backoff and health check of the LISTEN connection. */
  listener?: Omit<PostgresListenerOptions, 'channel'>
}

/** The app's pool, or a new fail-fast pool the store owns (and must end on close). */
export function openPool(options: PostgresConnectionOptions): { pool: Pool; owned: boolean } {
  if (options.pool !== undefined) return { pool: options.pool, owned: false }
  const pool = new pg.Pool({
    ...FAIL_FAST_POOL_CONFIG,
    ...options.poolConfig,
    connectionString: options.connectionString,
  })
  // An idle connection dying (server restart) is reported here; without a listener it would
  // crash the process. The pool replaces the connection on the next query.
  pool.on('error', () => undefined)
  return { pool, owned: true }
}

/**
 * An idempotent `close()` for a store: stops listening, then ends the pool if the store owns it
 * (an app's own pool stays open for the app).
 */
export function closeOnce(
  listener: { close(): Promise<void> } | undefined,
  pool: Pool,
  owned: boolean,
): () => Promise<void> {
  let closing: Promise<void> | undefined
  return () => {
    closing ??= (async () => {
      await listener?.close()
      if (owned) await pool.end()
    })()
    return closing
  }
}

/**
 * Runs a schema change in one transaction on a pooled client, under a transaction-scoped advisory
 * lock on `lock` so that instances starting together do not race: COMMIT after `work`, ROLLBACK if
 * it throws, the client released either way.
 */
export async function inLockedTransaction(
  pool: Pool,
  lock: string,
  work: (client: PoolClient) => Promise<void>,
): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`jwt-gate:${lock}`])
    await work(client)
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  } finally {
    client.release()
  }
}
