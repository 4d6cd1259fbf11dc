/**
 * The SQL of the PostgreSQL revocation store: checked table and channel names, the statements
 * built from them, and how an `isRevoked` row is read. Every value is a bound parameter.
 *
 * @module
 */
import { AuthConfigError } from '../../errors.js'
import { quoteIdentifier } from '../sql-identifier.js'
import type { RevocationQuery } from '../types.js'
import { claimsToCheck } from '../revocable-claims.js'
import { StoreDataError, isUsableKey } from '../validate.js'

/** Expired rows deleted per table by one write; more than a write adds, so tables stay bounded. */
const PURGE_BATCH = 100

/** The longest name derived from the prefix, which must stay a valid identifier. */
const LONGEST_SUFFIX = 'subjects_keep_until'
const MAX_PREFIX_LENGTH = 63 - LONGEST_SUFFIX.length

/** The checked names of one store's tables and channel. */
export interface Names {
  prefix: string
  tokens: string
  subjects: string
  /** The marks of other claims (`revokeClaim`). */
  claims: string
  channel: string | undefined
}

/** Checks the prefix and channel options and quotes the names derived from them. */
export function names(options: { prefix?: string; channel?: string | false }): Names {
  const prefix = options.prefix ?? 'jwt_gate_revocation_'
  if (typeof prefix !== 'string' || prefix.length > MAX_PREFIX_LENGTH)
    throw new AuthConfigError(
      'prefix',
      `must be a string of at most ${MAX_PREFIX_LENGTH} characters`,
    )
  const channel =
    options.channel === false ? undefined : (options.channel ?? `${prefix}invalidations`)
  if (channel !== undefined) quoteIdentifier('channel', channel)
  return {
    prefix,
    tokens: quoteIdentifier('prefix', `${prefix}tokens`),
    subjects: quoteIdentifier('prefix', `${prefix}subjects`),
    claims: quoteIdentifier('prefix', `${prefix}claims`),
    channel,
  }
}

/** The SQL of the store, built once from checked identifiers; every value is a parameter. */
export function statements(
  { tokens, subjects, claims }: Names,
  checksClaims: boolean,
): {
  isRevoked: string
  revokeToken: string
  revokeSubject: string
  revokeClaim: string
  purgeTokens: string
  purgeSubjects: string
  purgeClaims: string
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
  (SELECT issued_before FROM ${subjects} WHERE subject = $2 AND keep_until > $3) AS before${
    // A store with no other claims never reads their table, so it runs on an unmigrated one.
    checksClaims
      ? `,
  (SELECT max(issued_before) FROM ${claims} WHERE keep_until > $3
    AND (claim, value) IN (SELECT * FROM unnest($4::text[], $5::text[]))) AS claim_before`
      : ''
  }`,
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
    revokeClaim: `WITH written AS (
  INSERT INTO ${claims} AS c (claim, value, issued_before, keep_until) VALUES ($1, $2, $3, $4)
  ON CONFLICT (claim, value) DO UPDATE SET
    issued_before = CASE WHEN c.keep_until > $5
      THEN GREATEST(c.issued_before, EXCLUDED.issued_before) ELSE EXCLUDED.issued_before END,
    keep_until = GREATEST(c.keep_until, EXCLUDED.keep_until)
  RETURNING 1
)
${notify(6)}`,
    purgeTokens: purge(tokens, 'jti'),
    purgeSubjects: purge(subjects, 'subject'),
    purgeClaims: `DELETE FROM ${claims} WHERE (claim, value) IN (SELECT claim, value FROM ${claims}
WHERE keep_until <= $1 ORDER BY keep_until LIMIT ${PURGE_BATCH} FOR UPDATE SKIP LOCKED)`,
  }
}

/** The answer of the `isRevoked` query: the token's denial and the latest applicable mark. */
export interface Answer {
  token: boolean
  before: number | null
  claimBefore: number | null
}

/** A mark read from a row: a finite number, or null for none; anything else throws. */
function markOf(value: unknown): number | null {
  if (value === null || value === undefined) return null
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new StoreDataError('postgres revocation store', 'a revocation mark is not a number')
  return value
}

/** Reads the one row of the `isRevoked` query, or throws {@link StoreDataError}. */
export function readAnswer(rows: unknown[]): Answer {
  const row = rows[0] as { token?: unknown; before?: unknown; claim_before?: unknown } | undefined
  if (rows.length !== 1 || typeof row?.token !== 'boolean')
    throw new StoreDataError('postgres revocation store', 'the lookup returned a wrong shape')
  return { token: row.token, before: markOf(row.before), claimBefore: markOf(row.claim_before) }
}

/** A token is revoked by its own denial, or by a mark (subject or claim) it cannot postdate. */
export function decide(answer: Answer, query: RevocationQuery): boolean {
  if (answer.token) return true
  const marks = [answer.before, answer.claimBefore].filter((mark) => mark !== null)
  if (marks.length === 0) return false
  // Without a numeric iat the token cannot prove it was issued after the mark.
  return typeof query.issuedAt !== 'number' || marks.some((mark) => !(query.issuedAt! >= mark))
}

/**
 * The parameters of the `isRevoked` query for `query` at `now`, or undefined when nothing in it
 * can match (then nothing is asked). With other claims than `sub`, their names and values go as
 * two arrays, so the query stays one statement whatever their number.
 */
export function lookupParameters(
  query: RevocationQuery,
  claims: ReadonlySet<string>,
  now: number,
): unknown[] | undefined {
  const jti = isUsableKey(query.jti) ? query.jti : null
  const subject = isUsableKey(query.subject) ? query.subject : null
  const pairs = claimsToCheck(query, claims)
  if (jti === null && subject === null && pairs.length === 0) return undefined
  const parameters: unknown[] = [jti, subject, now]
  if (claims.size > 1)
    parameters.push(
      pairs.map(([claim]) => claim),
      pairs.map(([, value]) => value),
    )
  return parameters
}
