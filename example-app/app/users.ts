/**
 * Opens the app's user store for the user check (`JWT_VALIDATE_USERS`), creates its table, and
 * loads the `USERS_FILE` users into it. The one place that knows which store backs which setting.
 *
 * @module
 */
import Database from 'better-sqlite3'
import pg from 'pg'
import type { UserRecord, UserStore } from '../../src/index.js'
import {
  createPostgresUserStore,
  FAIL_FAST_POOL_CONFIG,
  migratePostgresUserStore,
} from '../../src/stores/postgres/index.js'
import { createSqliteUserStore, migrateSqliteUserStore } from '../../src/stores/sqlite/index.js'
import type { UserCheckConfig } from './config.js'

/** An open store and how to release it. */
export interface OpenUserStore {
  store: UserStore
  close(): Promise<void>
}

// The stores' createUser leaves existing users alone and updateUser does not touch `disabled`;
// a seed file is authoritative, so seeding upserts every column of the documented schema.
const SQLITE_UPSERT = `INSERT INTO users (username, roles, disabled, name) VALUES (?, ?, ?, ?)
  ON CONFLICT (username) DO UPDATE SET roles = excluded.roles, disabled = excluded.disabled,
  name = excluded.name`
const POSTGRES_UPSERT = `INSERT INTO users (username, roles, disabled, name) VALUES ($1, $2, $3, $4)
  ON CONFLICT (username) DO UPDATE SET roles = excluded.roles, disabled = excluded.disabled,
  name = excluded.name`

function openSqlite(file: string, seed: readonly UserRecord[]): OpenUserStore {
  const db = new Database(file, { timeout: 2000 })
  try {
    db.pragma('journal_mode = WAL')
    migrateSqliteUserStore(db)
    const upsert = db.prepare(SQLITE_UPSERT)
    db.transaction(() => {
      for (const user of seed) {
        upsert.run(
          user.username,
          JSON.stringify(user.roles),
          user.disabled === true ? 1 : 0,
          user.name ?? null,
        )
      }
    })()
  } catch (err) {
    db.close()
    throw err
  }
  const store = createSqliteUserStore({ db })
  return {
    store,
    async close() {
      await store.close()
      db.close()
    },
  }
}

async function openPostgres(url: string, seed: readonly UserRecord[]): Promise<OpenUserStore> {
  const pool = new pg.Pool({ ...FAIL_FAST_POOL_CONFIG, connectionString: url })
  // An idle connection dropped by the server must not crash the app; the next lookup reconnects
  // (or answers 503 while the database is down).
  pool.on('error', (err) => console.error(`app: user database connection lost: ${err.message}`))
  try {
    await migratePostgresUserStore(pool)
    for (const user of seed) {
      await pool.query(POSTGRES_UPSERT, [
        user.username,
        JSON.stringify(user.roles),
        user.disabled === true,
        user.name ?? null,
      ])
    }
  } catch (err) {
    await pool.end()
    throw err
  }
  const store = createPostgresUserStore({ pool })
  return {
    store,
    async close() {
      await store.close()
      await pool.end()
    },
  }
}

/** Opens the configured user database and loads the seed users. */
export async function openUserStore(config: UserCheckConfig): Promise<OpenUserStore> {
  return config.database.kind === 'sqlite'
    ? openSqlite(config.database.file, config.seed)
    : openPostgres(config.database.url, config.seed)
}
