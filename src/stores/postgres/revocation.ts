/**
 * PostgreSQL revocation store through `pg`, exported by `jwt-gate/stores/postgres`, with
 * invalidations through LISTEN/NOTIFY.
 *
 * Schema (created by {@link migratePostgresRevocationStore}; `prefix` defaults to
 * `'jwt_gate_revocation_'`); times are seconds since the epoch:
 *
 * ```sql
 * CREATE TABLE IF NOT EXISTS "<prefix>tokens" (
 *   jti        text PRIMARY KEY,
 *   keep_until double precision NOT NULL  -- the token's exp + MAX_CLOCK_TOLERANCE
 * );
 * CREATE TABLE IF NOT EXISTS "<prefix>subjects" (
 *   subject       text PRIMARY KEY,
 *   issued_before double precision NOT NULL,
 *   keep_until    double precision NOT NULL  -- revoked at + ttl + MAX_CLOCK_TOLERANCE
 * );
 * CREATE TABLE IF NOT EXISTS "<prefix>claims" (  -- added in 0.x: revokeClaim (sid, client_id)
 *   claim, value  text, PRIMARY KEY (claim, value),
 *   issued_before double precision NOT NULL,
 *   keep_until    double precision NOT NULL
 * );
 * ```
 *
 * plus an index on each `keep_until`. A token is accepted until its expiry plus its issuer's
 * tolerance, so rows are kept {@link MAX_CLOCK_TOLERANCE} seconds past it. `isRevoked` ignores
 * rows whose `keep_until` has passed; each write then deletes a bounded batch of them.
 *
 * Each revocation (a late one too) is written and announced by one statement: `pg_notify` on the
 * channel `<prefix>invalidations` runs in the same transaction, so listeners hear of it exactly
 * when the row becomes visible, and caches on every instance subscribed through
 * {@link PostgresRevocationStore.invalidations} drop the matching entries.
 *
 * @module
 */
import type { Pool } from 'pg'
import type { InvalidationSource } from '../invalidation.js'
import { closeOnce, inLockedTransaction, openPool } from './connection.js'
import type { PostgresConnectionOptions } from './connection.js'
import { createPostgresListener } from './listener.js'
import { decide, lookupParameters, names, readAnswer, statements } from './revocation-sql.js'
import type { RevocationQuery, RevocationStore } from '../types.js'
import { claimsBesidesSub, revocableClaims } from '../revocable-claims.js'
import { quoteIdentifier } from '../sql-identifier.js'
import {
  MAX_CLOCK_TOLERANCE,
  assertRevokeClaim,
  assertRevokeSubject,
  assertRevokeToken,
} from '../validate.js'

/** Options naming the tables and the notification channel. */
export interface PostgresRevocationTableOptions {
  /**
   * Prefix of the table names (`<prefix>tokens`, `<prefix>subjects`); use one per app sharing a
   * database. A plain identifier of at most 44 characters, so the derived names stay within
   * PostgreSQL's 63. @defaultValue `'jwt_gate_revocation_'`
   */
  prefix?: string
  /**
   * NOTIFY channel for revocations, or `false` for none.
   * @defaultValue `'<prefix>invalidations'`
   */
  channel?: string | false
}

/** Options of {@link createPostgresRevocationStore}: the tables, and how to reach the database. */
export type PostgresRevocationStoreOptions = PostgresRevocationTableOptions &
  PostgresConnectionOptions & {
    /**
     * The clock expiries are compared with. It is the app's, not the database's, because the
     * middleware decides on the app's clock how long a token is accepted; pass the middleware's
     * `clock` if you set one. @defaultValue `() => new Date()`
     */
    clock?: () => Date
    /**
     * The claims besides `sub` that `revokeClaim` may revoke by; `isRevoked` reads their marks
     * (table `<prefix>claims`) in its one query. `[]` never reads that table, for a database
     * not yet migrated. @defaultValue `['sid', 'client_id']`
     */
    claims?: readonly string[]
  }

/** The PostgreSQL revocation store. */
export interface PostgresRevocationStore extends RevocationStore {
  /** The claims besides `sub` this store checks (its `claims` option); `cacheRevocationStore` keys by them. */
  readonly claims: readonly string[]
  revokeClaim(claim: string, value: string, before: number, ttl: number): Promise<void>
  /**
   * LISTEN/NOTIFY invalidations (absent with `channel: false`). Pass it to
   * `cacheRevocationStore`'s `invalidations`. It holds one pool connection while subscribed.
   */
  invalidations?: InvalidationSource
  /** Stops listening, and ends the pool if the store created it. Idempotent. */
  close(): Promise<void>
}

/**
 * Seconds an expired row is kept before it is purged. Each instance compares expiries with its
 * own clock, so one whose clock runs ahead must not delete rows another still needs.
 */
const PURGE_GRACE = 60

/**
 * Creates the three tables and their expiry indexes. Idempotent and safe to run from several
 * instances at once (it takes a transaction-scoped advisory lock); additive, so running it again
 * upgrades a database created by an earlier version (it adds `<prefix>claims`).
 */
export async function migratePostgresRevocationStore(
  pool: Pool,
  options: Pick<PostgresRevocationTableOptions, 'prefix'> = {},
): Promise<void> {
  const { prefix, tokens, subjects, claims } = names({ ...options, channel: false })
  await inLockedTransaction(pool, prefix, async (client) => {
    await client.query(`CREATE TABLE IF NOT EXISTS ${tokens} (
  jti text PRIMARY KEY,
  keep_until double precision NOT NULL
)`)
    await client.query(`CREATE TABLE IF NOT EXISTS ${subjects} (
  subject text PRIMARY KEY,
  issued_before double precision NOT NULL,
  keep_until double precision NOT NULL
)`)
    await client.query(`CREATE TABLE IF NOT EXISTS ${claims} (
  claim text NOT NULL,
  value text NOT NULL,
  issued_before double precision NOT NULL,
  keep_until double precision NOT NULL,
  PRIMARY KEY (claim, value)
)`)
    for (const [table, name] of [
      [tokens, `${prefix}tokens_keep_until`],
      [subjects, `${prefix}subjects_keep_until`],
      [claims, `${prefix}claims_keep_until`],
    ] as const) {
      await client.query(
        `CREATE INDEX IF NOT EXISTS ${quoteIdentifier('prefix', name)} ON ${table} (keep_until)`,
      )
    }
  })
}

/**
 * Housekeeping after a write: a failure leaves expired rows, which every query ignores, for the
 * next write to delete; it must not report the revocation itself as failed.
 */
function purgeExpired(pool: Pool, statement: string, now: number): Promise<void> {
  return pool.query(statement, [now - PURGE_GRACE]).then(
    () => undefined,
    () => undefined,
  )
}

/** Runs the migration once before the first query; a failed one is retried on the next call. */
function migrateOnce(pool: Pool, prefix: string): () => Promise<void> {
  let ready: Promise<void> | undefined
  return () => {
    ready ??= migratePostgresRevocationStore(pool, { prefix }).catch((error: unknown) => {
      ready = undefined
      throw error
    })
    return ready
  }
}

/**
 * Creates a {@link PostgresRevocationStore}. Every query is parameterised; table and channel
 * names are checked identifiers. With a connection string the store owns a pool configured by
 * `FAIL_FAST_POOL_CONFIG`; with a pool of yours, set `connectionTimeoutMillis` and
 * `query_timeout` on it so that a hung server fails fast, and listen for its `error` event.
 */
export function createPostgresRevocationStore(
  options: PostgresRevocationStoreOptions,
): PostgresRevocationStore {
  const checked = names(options)
  const claims = revocableClaims(options.claims)
  const sql = statements(checked, claims.size > 1)
  const { channel } = checked
  const { pool, owned } = openPool(options)
  const nowSeconds = (): number => (options.clock?.() ?? new Date()).getTime() / 1000
  const migrated =
    options.migrate === true ? migrateOnce(pool, checked.prefix) : () => Promise.resolve()
  const listener =
    channel === undefined
      ? undefined
      : createPostgresListener(pool, { ...options.listener, channel })
  /** Writes a revocation and its NOTIFY (one statement), then purges a batch of expired rows. */
  const write = async (
    statements: [write: string, purge: string],
    values: unknown[],
    event: object,
    now: number,
  ): Promise<void> => {
    await migrated()
    // The payload fits NOTIFY's 8000 bytes: keys are at most MAX_KEY_LENGTH (1024) UTF-16 units.
    await pool.query(statements[0], [...values, channel ?? null, JSON.stringify(event)])
    await purgeExpired(pool, statements[1], now)
  }

  const store: PostgresRevocationStore = {
    claims: claimsBesidesSub(claims),
    async isRevoked(query: RevocationQuery) {
      const parameters = lookupParameters(query, claims, nowSeconds())
      if (parameters === undefined) return false
      await migrated()
      const result = await pool.query(sql.isRevoked, parameters)
      return decide(readAnswer(result.rows), query)
    },
    async revokeToken(jti, expiresAt) {
      assertRevokeToken(jti, expiresAt)
      const now = nowSeconds()
      const keepUntil = expiresAt + MAX_CLOCK_TOLERANCE
      // Past every tolerance, verification rejects the token anyway; nothing to remember.
      if (keepUntil <= now) return
      await write([sql.revokeToken, sql.purgeTokens], [jti, keepUntil], { type: 'token', jti }, now)
    },
    async revokeSubject(subject, before, ttl) {
      assertRevokeSubject(subject, before, ttl)
      const now = nowSeconds()
      const values = [subject, before, now + ttl + MAX_CLOCK_TOLERANCE, now]
      await write([sql.revokeSubject, sql.purgeSubjects], values, { type: 'subject', subject }, now)
    },
    async revokeClaim(claim, value, before, ttl) {
      assertRevokeClaim(claim, claims)
      if (claim === 'sub') return store.revokeSubject(value, before, ttl)
      assertRevokeSubject(value, before, ttl)
      const now = nowSeconds()
      const values = [claim, value, before, now + ttl + MAX_CLOCK_TOLERANCE, now]
      await write([sql.revokeClaim, sql.purgeClaims], values, { type: 'claim', claim, value }, now)
    },
    close: closeOnce(listener, pool, owned),
  }
  if (listener !== undefined) store.invalidations = listener
  return store
}
