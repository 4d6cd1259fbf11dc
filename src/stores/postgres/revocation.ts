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
import type { RevocationQuery, RevocationStore } from '../types.js'
import { quoteIdentifier } from '../sql-identifier.js'
import {
  MAX_CLOCK_TOLERANCE,
  StoreDataError,
  assertRevokeSubject,
  assertRevokeToken,
  isUsableKey,
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
  }

/** The PostgreSQL revocation store. */
export interface PostgresRevocationStore extends RevocationStore {
  /**
   * LISTEN/NOTIFY invalidations (absent with `channel: false`). Pass it to
   * `cacheRevocationStore`'s `invalidations`. It holds one pool connection while subscribed.
   */
  invalidations?: InvalidationSource
  /** Stops listening, and ends the pool if the store created it. Idempotent. */
  close(): Promise<void>
}

/** Expired rows deleted per table by one write; more than a write adds, so tables stay bounded. */
const PURGE_BATCH = 100

/**
 * Seconds an expired row is kept before it is purged. Each instance compares expiries with its
 * own clock, so one whose clock runs ahead must not delete rows another still needs.
 */
const PURGE_GRACE = 60

/** The longest name derived from the prefix, which must stay a valid identifier. */
const LONGEST_SUFFIX = 'subjects_keep_until'
const MAX_PREFIX_LENGTH = 63 - LONGEST_SUFFIX.length

interface Names {
  prefix: string
  tokens: string
  subjects: string
  channel: string | undefined
}

function names(options: PostgresRevocationTableOptions): Names {
  const prefix = options.prefix ?? 'jwt_gate_revocation_'
  if (typeof prefix !== 'string' || prefix.length > MAX_PREFIX_LENGTH)
    throw new TypeError(`prefix must be a string of at most ${MAX_PREFIX_LENGTH} characters`)
  const channel =
    options.channel === false ? undefined : (options.channel ?? `${prefix}invalidations`)
  if (channel !== undefined) quoteIdentifier('channel', channel)
  return {
    prefix,
    tokens: quoteIdentifier('prefix', `${prefix}tokens`),
    subjects: quoteIdentifier('prefix', `${prefix}subjects`),
    channel,
  }
}

/**
 * Creates the two tables and their expiry indexes. Idempotent and safe to run from several
 * instances at once (it takes a transaction-scoped advisory lock).
 */
export async function migratePostgresRevocationStore(
  pool: Pool,
  options: Pick<PostgresRevocationTableOptions, 'prefix'> = {},
): Promise<void> {
  const { prefix, tokens, subjects } = names({ ...options, channel: false })
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
    for (const [table, name] of [
      [tokens, `${prefix}tokens_keep_until`],
      [subjects, `${prefix}subjects_keep_until`],
    ] as const) {
      await client.query(
        `CREATE INDEX IF NOT EXISTS ${quoteIdentifier('prefix', name)} ON ${table} (keep_until)`,
      )
    }
  })
}

/** The SQL of the store, built once from checked identifiers; every value is a parameter. */
function statements({ tokens, subjects }: Names): {
  isRevoked: string
  revokeToken: string
  revokeSubject: string
  purgeTokens: string
  purgeSubjects: string
} {
  // The NOTIFY runs only when the write returned a row, and only with a channel ($n not null).
  const notify = (channel: number): string =>
    `SELECT pg_notify($${channel}, $${channel + 1}) FROM written WHERE $${channel}::text IS NOT NULL`
  const purge = (table: string, key: string): string =>
    `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE keep_until <= $1
ORDER BY keep_until LIMIT ${PURGE_BATCH} FOR UPDATE SKIP LOCKED)`
  return {
    isRevoked: `SELECT
  EXISTS (SELECT 1 FROM ${tokens} WHERE jti = $1 AND keep_until > $3) AS token,
  (SELECT issued_before FROM ${subjects} WHERE subject = $2 AND keep_until > $3) AS before`,
    // A later expiry extends a denial; an earlier one never shortens it.
    revokeToken: `WITH written AS (
  INSERT INTO ${tokens} AS t (jti, keep_until) VALUES ($1, $2)
  ON CONFLICT (jti) DO UPDATE SET keep_until = GREATEST(t.keep_until, EXCLUDED.keep_until)
  RETURNING 1
)
${notify(3)}`,
    // Marks only move forward while live; an expired one is replaced, not merged.
    revokeSubject: `WITH written AS (
  INSERT INTO ${subjects} AS s (subject, issued_before, keep_until) VALUES ($1, $2, $3)
  ON CONFLICT (subject) DO UPDATE SET
    issued_before = CASE WHEN s.keep_until > $4
      THEN GREATEST(s.issued_before, EXCLUDED.issued_before) ELSE EXCLUDED.issued_before END,
    keep_until = GREATEST(s.keep_until, EXCLUDED.keep_until)
  RETURNING 1
)
${notify(5)}`,
    purgeTokens: purge(tokens, 'jti'),
    purgeSubjects: purge(subjects, 'subject'),
  }
}

/** Reads the one row of the `isRevoked` query, or throws {@link StoreDataError}. */
function readAnswer(rows: unknown[]): { token: boolean; before: number | null } {
  const row = rows[0] as { token?: unknown; before?: unknown } | undefined
  if (rows.length !== 1 || typeof row?.token !== 'boolean')
    throw new StoreDataError('postgres revocation store', 'the lookup returned a wrong shape')
  if (row.before !== null && (typeof row.before !== 'number' || !Number.isFinite(row.before)))
    throw new StoreDataError('postgres revocation store', 'subject mark is not a number')
  return { token: row.token, before: row.before }
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
  const sql = statements(checked)
  const { channel } = checked
  const { pool, owned } = openPool(options)
  const clock = options.clock ?? (() => new Date())
  const nowSeconds = (): number => clock().getTime() / 1000

  let ready: Promise<void> | undefined
  const migrated = (): Promise<void> => {
    if (options.migrate !== true) return Promise.resolve()
    // A failed migration is retried on the next call rather than remembered.
    ready ??= migratePostgresRevocationStore(pool, { prefix: checked.prefix }).catch(
      (error: unknown) => {
        ready = undefined
        throw error
      },
    )
    return ready
  }
  // Housekeeping after a write: a failure leaves expired rows, which every query ignores, for
  // the next write to delete; it must not report the revocation itself as failed.
  const purge = (statement: string, now: number): Promise<void> =>
    pool.query(statement, [now - PURGE_GRACE]).then(
      () => undefined,
      () => undefined,
    )
  const listener =
    channel === undefined
      ? undefined
      : createPostgresListener(pool, { ...options.listener, channel })
  // The payload fits NOTIFY's 8000 bytes: keys are at most MAX_KEY_LENGTH (1024) UTF-16 units.
  const message = (event: object): string => JSON.stringify(event)

  const store: PostgresRevocationStore = {
    async isRevoked(query: RevocationQuery) {
      const jti = isUsableKey(query.jti) ? query.jti : null
      const subject = isUsableKey(query.subject) ? query.subject : null
      if (jti === null && subject === null) return false
      await migrated()
      const result = await pool.query(sql.isRevoked, [jti, subject, nowSeconds()])
      const { token, before } = readAnswer(result.rows)
      if (token) return true
      if (before === null) return false
      // Without a numeric iat the token cannot prove it was issued after the mark.
      return typeof query.issuedAt !== 'number' || !(query.issuedAt >= before)
    },
    async revokeToken(jti, expiresAt) {
      assertRevokeToken(jti, expiresAt)
      const now = nowSeconds()
      const keepUntil = expiresAt + MAX_CLOCK_TOLERANCE
      // Past every tolerance, verification rejects the token anyway; nothing to remember.
      if (keepUntil <= now) return
      await migrated()
      await pool.query(sql.revokeToken, [
        jti,
        keepUntil,
        channel ?? null,
        message({ type: 'token', jti }),
      ])
      await purge(sql.purgeTokens, now)
    },
    async revokeSubject(subject, before, ttl) {
      assertRevokeSubject(subject, before, ttl)
      const now = nowSeconds()
      await migrated()
      await pool.query(sql.revokeSubject, [
        subject,
        before,
        now + ttl + MAX_CLOCK_TOLERANCE,
        now,
        channel ?? null,
        message({ type: 'subject', subject }),
      ])
      await purge(sql.purgeSubjects, now)
    },
    close: closeOnce(listener, pool, owned),
  }
  if (listener !== undefined) store.invalidations = listener
  return store
}
