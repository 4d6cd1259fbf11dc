/**
 * The PostgreSQL revocation store on the real server: the shared contract on a clock the test
 * moves (the store compares expiries with the app's clock, not the server's), the schema, the
 * retention it writes, NOTIFY on every revocation (late ones too), and the bounded purge.
 */
import { EventEmitter, once } from 'node:events'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthConfigError } from '../../src/errors.js'
import type { Invalidation } from '../../src/stores/invalidation.js'
import {
  createPostgresRevocationStore,
  migratePostgresRevocationStore,
} from '../../src/stores/postgres/index.js'
import { MAX_CLOCK_TOLERANCE, StoreDataError } from '../../src/stores/validate.js'
import { revocationStoreContract } from './revocation-store-contract.js'
import { POSTGRES_URL, serviceAvailable, uniqueName } from './services.js'
import { manualClock } from '../helpers/tokens.js'

const available = await serviceAvailable('postgres', 'PostgreSQL revocation store')

let admin: pg.Pool
const prefixes: string[] = []
function newPrefix(): string {
  const prefix = `${uniqueName('jwtg_rev')}_`
  prefixes.push(prefix)
  return prefix
}

beforeAll(() => {
  if (!available) return
  admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 })
})
afterAll(async () => {
  if (!available) return
  for (const prefix of prefixes) {
    await admin.query(
      `DROP TABLE IF EXISTS "${prefix}tokens", "${prefix}subjects", "${prefix}claims"`,
    )
  }
  await admin.end()
})

revocationStoreContract(
  'postgres',
  async () => {
    const time = manualClock(Date.now())
    const prefix = newPrefix()
    const store = createPostgresRevocationStore({
      connectionString: POSTGRES_URL,
      prefix,
      migrate: true,
      clock: time.clock,
    })
    const peer = () => {
      const other = createPostgresRevocationStore({ connectionString: POSTGRES_URL, prefix })
      return Promise.resolve({ store: other, invalidations: other.invalidations })
    }
    return { store, now: time.now, advance: time.advance, peer, cleanup: () => store.close() }
  },
  { skip: !available },
)

/** Resolves with the next event of `type` from `store`'s source, or rejects after 2 s. */
function nextEvent(events: EventEmitter, type: Invalidation['type']): Promise<unknown[]> {
  return once(events, type, { signal: AbortSignal.timeout(2000) })
}

describe.skipIf(!available)('postgres revocation store', () => {
  it('creates the documented schema, idempotently and concurrently', async () => {
    const prefix = newPrefix()
    await Promise.all([
      migratePostgresRevocationStore(admin, { prefix }),
      migratePostgresRevocationStore(admin, { prefix }),
      migratePostgresRevocationStore(admin, { prefix }),
    ])
    await migratePostgresRevocationStore(admin, { prefix })
    const columns = await admin.query(
      `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
       WHERE table_name IN ($1, $2, $3) ORDER BY table_name DESC, ordinal_position`,
      [`${prefix}tokens`, `${prefix}subjects`, `${prefix}claims`],
    )
    const notNull = (table: string, column_name: string, data_type: string) => ({
      table_name: `${prefix}${table}`,
      column_name,
      data_type,
      is_nullable: 'NO',
    })
    expect(columns.rows).toEqual([
      { table_name: `${prefix}tokens`, column_name: 'jti', data_type: 'text', is_nullable: 'NO' },
      {
        table_name: `${prefix}tokens`,
        column_name: 'keep_until',
        data_type: 'double precision',
        is_nullable: 'NO',
      },
      {
        table_name: `${prefix}subjects`,
        column_name: 'subject',
        data_type: 'text',
        is_nullable: 'NO',
      },
      {
        table_name: `${prefix}subjects`,
        column_name: 'issued_before',
        data_type: 'double precision',
        is_nullable: 'NO',
      },
      {
        table_name: `${prefix}subjects`,
        column_name: 'keep_until',
        data_type: 'double precision',
        is_nullable: 'NO',
      },
      notNull('claims', 'claim', 'text'),
      notNull('claims', 'value', 'text'),
      notNull('claims', 'issued_before', 'double precision'),
      notNull('claims', 'keep_until', 'double precision'),
    ])
  })

  /** A store on the shared pool, silent (no NOTIFY), whose clock reads `seconds()`. */
  function storeOnClock(prefix: string, seconds: () => number) {
    return createPostgresRevocationStore({
      pool: admin,
      prefix,
      migrate: true,
      channel: false,
      clock: () => new Date(seconds() * 1000),
    })
  }

  it('keeps a denial until exp plus MAX_CLOCK_TOLERANCE, a mark until ttl plus it', async () => {
    const prefix = newPrefix()
    const now = 1_800_000_000
    const store = storeOnClock(prefix, () => now)
    await store.revokeToken('j1', now - 10)
    await store.revokeSubject('alice', now, 600)
    expect((await admin.query(`SELECT jti, keep_until FROM "${prefix}tokens"`)).rows).toEqual([
      { jti: 'j1', keep_until: now - 10 + MAX_CLOCK_TOLERANCE },
    ])
    expect((await admin.query(`SELECT * FROM "${prefix}subjects"`)).rows).toEqual([
      { subject: 'alice', issued_before: now, keep_until: now + 600 + MAX_CLOCK_TOLERANCE },
    ])
    // An earlier expiry never shortens a denial; an older mark never weakens a newer one.
    await store.revokeToken('j1', now - 100)
    await store.revokeSubject('alice', now - 50, 60)
    expect((await admin.query(`SELECT keep_until FROM "${prefix}tokens"`)).rows).toEqual([
      { keep_until: now - 10 + MAX_CLOCK_TOLERANCE },
    ])
    expect((await admin.query(`SELECT * FROM "${prefix}subjects"`)).rows).toEqual([
      { subject: 'alice', issued_before: now, keep_until: now + 600 + MAX_CLOCK_TOLERANCE },
    ])
    // Past every tolerance there is nothing left to deny.
    await store.revokeToken('gone', now - MAX_CLOCK_TOLERANCE)
    expect((await admin.query(`SELECT jti FROM "${prefix}tokens"`)).rows).toEqual([{ jti: 'j1' }])
    await store.close()
  })

  it('replaces an expired subject mark instead of merging with it', async () => {
    const prefix = newPrefix()
    let now = 1_800_000_000
    const store = storeOnClock(prefix, () => now)
    await store.revokeSubject('alice', now + 3600, 1)
    now += 1 + MAX_CLOCK_TOLERANCE
    await store.revokeSubject('alice', now - 60, 600)
    expect(await store.isRevoked({ subject: 'alice', issuedAt: now - 30 })).toBe(false)
    expect(await store.isRevoked({ subject: 'alice', issuedAt: now - 90 })).toBe(true)
    await store.close()
  })

  it('publishes every revocation, a late one too, to the other instances', async () => {
    const prefix = newPrefix()
    await migratePostgresRevocationStore(admin, { prefix })
    const now = Math.floor(Date.now() / 1000)
    const writer = createPostgresRevocationStore({ connectionString: POSTGRES_URL, prefix })
    const reader = createPostgresRevocationStore({ connectionString: POSTGRES_URL, prefix })
    const events = new EventEmitter()
    const received: Invalidation[] = []
    const listening = nextEvent(events, 'all')
    const stop = reader.invalidations!.subscribe((event) => {
      received.push(event)
      events.emit(event.type)
    })
    await listening
    received.length = 0

    const token = nextEvent(events, 'token')
    await writer.revokeToken('late', now - 10)
    await token
    const subject = nextEvent(events, 'subject')
    await writer.revokeSubject('alice', now, 600)
    await subject
    const again = nextEvent(events, 'token')
    await writer.revokeToken('late', now - 20)
    await again
    expect(received).toEqual([
      { type: 'token', jti: 'late' },
      { type: 'subject', subject: 'alice' },
      { type: 'token', jti: 'late' },
    ])
    stop()
    await writer.close()
    await reader.close()
  })

  it('purges expired rows on writes, a bounded batch at a time', async () => {
    const prefix = newPrefix()
    const now = 1_800_000_000
    const store = storeOnClock(prefix, () => now)
    await store.revokeToken('live', now + 60)
    // Long expired rows, written by hand, and one that only just expired.
    await admin.query(
      `INSERT INTO "${prefix}tokens" (jti, keep_until)
       SELECT 'old' || i, $1 - i FROM generate_series(1, 250) AS i`,
      [now - 3600],
    )
    await admin.query(`INSERT INTO "${prefix}tokens" (jti, keep_until) VALUES ('recent', $1)`, [
      now - 1,
    ])
    await admin.query(
      `INSERT INTO "${prefix}subjects" (subject, issued_before, keep_until)
       SELECT 'old' || i, 0, $1 FROM generate_series(1, 150) AS i`,
      [now - 3600],
    )
    const count = async (table: string): Promise<number> =>
      Number((await admin.query(`SELECT count(*) AS n FROM "${prefix}${table}"`)).rows[0].n)

    await store.revokeToken('w1', now + 60)
    expect(await count('tokens')).toBe(2 + 250 + 1 - 100)
    await store.revokeToken('w2', now + 60)
    await store.revokeToken('w3', now + 60)
    // 'recent' is within the purge grace, kept for instances whose clocks run behind.
    const left = await admin.query(`SELECT jti FROM "${prefix}tokens" ORDER BY jti`)
    expect(left.rows.map((row: { jti: string }) => row.jti)).toEqual([
      'live',
      'recent',
      'w1',
      'w2',
      'w3',
    ])
    expect(await count('subjects')).toBe(150)
    await store.revokeSubject('bob', now, 60)
    await store.revokeSubject('carol', now, 60)
    expect(await count('subjects')).toBe(2)
    await store.close()
  })

  it('works on a pool of the app, which it does not end', async () => {
    const prefix = newPrefix()
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 })
    const store = createPostgresRevocationStore({ pool, prefix, migrate: true, channel: false })
    await store.revokeToken('j', Math.floor(Date.now() / 1000) + 60)
    await store.close()
    await store.close()
    expect((await pool.query(`SELECT jti FROM "${prefix}tokens"`)).rows).toEqual([{ jti: 'j' }])
    await pool.end()
  })

  it('fails while the tables are missing and recovers once they exist', async () => {
    const prefix = newPrefix()
    const store = createPostgresRevocationStore({ pool: admin, prefix, channel: false })
    await expect(store.isRevoked({ subject: 'alice', jti: 'j' })).rejects.toThrow(/does not exist/)
    await migratePostgresRevocationStore(admin, { prefix })
    expect(await store.isRevoked({ subject: 'alice', jti: 'j' })).toBe(false)
    await store.close()
  })

  it('throws StoreDataError for a mark that is not a number', async () => {
    const prefix = newPrefix()
    // A hand-made table with a loose type.
    await admin.query(
      `CREATE TABLE "${prefix}subjects" (subject text PRIMARY KEY, issued_before text, keep_until float8)`,
    )
    await admin.query(`CREATE TABLE "${prefix}tokens" (jti text PRIMARY KEY, keep_until float8)`)
    await admin.query(`INSERT INTO "${prefix}subjects" VALUES ('alice', 'yesterday', 1e12)`)
    // Without other claims the store never reads the claims table (absent here).
    const store = createPostgresRevocationStore({ pool: admin, prefix, channel: false, claims: [] })
    await expect(store.isRevoked({ subject: 'alice', issuedAt: 1 })).rejects.toThrow(StoreDataError)
    await store.close()
  })

  it('upgrades a database of the two-table schema additively: old rows kept, claims revocable', async () => {
    const prefix = newPrefix()
    // The schema an earlier version created, with a live subject mark in it.
    await admin.query(
      `CREATE TABLE "${prefix}subjects" (subject text PRIMARY KEY, issued_before float8 NOT NULL, keep_until float8 NOT NULL)`,
    )
    await admin.query(
      `CREATE TABLE "${prefix}tokens" (jti text PRIMARY KEY, keep_until float8 NOT NULL)`,
    )
    await admin.query(`INSERT INTO "${prefix}subjects" VALUES ('alice', 2e9, 1e12)`)
    const store = createPostgresRevocationStore({ pool: admin, prefix, channel: false })
    const query = { subject: 'alice', issuedAt: 1, claims: { sid: 's-1' } }
    // Not migrated yet: the claims table is missing, so the store fails (503), never passes.
    await expect(store.isRevoked(query)).rejects.toThrow(/does not exist/)
    await migratePostgresRevocationStore(admin, { prefix })
    expect(await store.isRevoked(query)).toBe(true)
    await store.revokeClaim('sid', 's-2', 1000, 60)
    expect(await store.isRevoked({ subject: 'bob', issuedAt: 999, claims: { sid: 's-2' } })).toBe(
      true,
    )
    await store.close()
  })

  it('reads every claim mark in one query', async () => {
    const prefix = newPrefix()
    await migratePostgresRevocationStore(admin, { prefix })
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 })
    const store = createPostgresRevocationStore({ pool, prefix, channel: false })
    await store.revokeClaim('client_id', 'app', 1000, 60)
    let queries = 0
    const query = pool.query.bind(pool)
    pool.query = ((...args: Parameters<typeof query>) => {
      queries++
      return query(...args)
    }) as typeof pool.query
    const claims = { sub: 'bob', sid: 's', client_id: 'app', jti: 'j' }
    expect(await store.isRevoked({ subject: 'bob', jti: 'j', issuedAt: 999, claims })).toBe(true)
    expect(queries).toBe(1)
    await store.close()
    await pool.end()
  })

  it('refuses names that are not plain identifiers or too long for the derived names', () => {
    for (const prefix of ['a-b', 'x"; DROP TABLE t; --', '1a', 'a'.repeat(45)]) {
      const create = (): unknown =>
        createPostgresRevocationStore({ pool: admin, prefix, channel: false })
      expect(create).toThrow(AuthConfigError)
      expect(create).toThrow(expect.objectContaining({ option: 'prefix' }))
    }
    const badChannel = (): unknown =>
      createPostgresRevocationStore({ pool: admin, prefix: 'ok_', channel: 'no-good' })
    expect(badChannel).toThrow(AuthConfigError)
    expect(badChannel).toThrow(expect.objectContaining({ option: 'channel' }))
  })
})
