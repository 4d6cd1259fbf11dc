/**
 * The user stores of the "user check" scenarios: SQLite (a temporary file) or PostgreSQL (a table
 * of its own, dropped on exit), seeded with `user-0` … `user-999` and wrapped in the per-instance
 * user cache, as an app would deploy them.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import type { CachedUserStore } from '../../src/stores/cache/index.js'
import { built } from '../built.js'
import type * as StoresCacheModule from '../../src/stores/cache/index.js'
import type * as StoresSqliteModule from '../../src/stores/sqlite/index.js'
import type * as StoresPostgresModule from '../../src/stores/postgres/index.js'

/** Number of seeded users; token subjects cycle over them. */
export const SEEDED_USERS = 1000

/** A cached store and how to remove what it created. */
export interface BenchUserStore {
  store: CachedUserStore
  dispose(): Promise<void>
}

/** Connection string of the local PostgreSQL (`BENCH_POSTGRES_URL` overrides). */
export const POSTGRES_URL =
  process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Opens and seeds the store of that kind. */
export async function openUserStore(kind: 'sqlite' | 'postgres'): Promise<BenchUserStore> {
  const cache = await built<typeof StoresCacheModule>('stores/cache/index.js')
  return kind === 'sqlite' ? openSqlite(cache) : openPostgres(cache)
}

async function openSqlite({ cacheUserStore }: typeof StoresCacheModule): Promise<BenchUserStore> {
  const { createSqliteUserStore, migrateSqliteUserStore } =
    await built<typeof StoresSqliteModule>('stores/sqlite/index.js')
  const dir = mkdtempSync(join(tmpdir(), 'jwt-gate-bench-sqlite-'))
  const db = new Database(join(dir, 'users.db'))
  db.pragma('journal_mode = WAL')
  migrateSqliteUserStore(db)
  const insert = db.prepare('INSERT INTO users (username, roles) VALUES (?, ?)')
  db.transaction(() => {
    for (let i = 0; i < SEEDED_USERS; i++) insert.run(`user-${i}`, '["user"]')
  })()
  const store = cacheUserStore(createSqliteUserStore({ db }))
  return {
    store,
    async dispose() {
      await store.close()
      db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function openPostgres({ cacheUserStore }: typeof StoresCacheModule): Promise<BenchUserStore> {
  const { createPostgresUserStore, migratePostgresUserStore } = await built<
    typeof StoresPostgresModule
  >('stores/postgres/index.js')
  const table = `bench_users_${process.pid}`
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 })
  pool.on('error', () => undefined)
  await migratePostgresUserStore(pool, { table, channel: false })
  await pool.query(
    `INSERT INTO ${table} (username, roles) SELECT 'user-' || g, '["user"]'::jsonb FROM generate_series(0, $1::int - 1) AS g`,
    [SEEDED_USERS],
  )
  const store = cacheUserStore(createPostgresUserStore({ pool, table, channel: false }))
  return {
    store,
    async dispose() {
      await store.close()
      await pool.query(`DROP TABLE IF EXISTS ${table}`)
      await pool.end()
    },
  }
}
