/**
 * The AuthAPI's own user table in SQLite: usernames, password hashes and roles. This is the
 * issuer's database; the protected app never reads it.
 *
 * @module
 */
import Database from 'better-sqlite3'
import { hashPassword, type ScryptCost } from './password.js'

/** A user as the AuthAPI stores it. */
export interface AuthUser {
  username: string
  passwordHash: string
  roles: string[]
  name: string | undefined
  disabled: boolean
}

/** What {@link AuthUserDb.putUser} takes: a plain password, hashed on the way in. */
export interface NewAuthUser {
  username: string
  password: string
  roles: string[]
  name?: string
  disabled?: boolean
}

/** The AuthAPI user table. */
export interface AuthUserDb {
  findUser(username: string): AuthUser | undefined
  /** Creates the user or replaces its password, roles and name. */
  putUser(user: NewAuthUser, cost?: ScryptCost): Promise<void>
  close(): void
}

interface Row {
  username: string
  password_hash: string
  roles: string
  name: string | null
  disabled: number
}

/** Opens (and creates when missing) the user table in the SQLite file `filename`. */
export function openAuthUserDb(filename: string): AuthUserDb {
  const db = new Database(filename)
  db.pragma('journal_mode = WAL')
  db.exec(`CREATE TABLE IF NOT EXISTS auth_users (
    username TEXT PRIMARY KEY NOT NULL,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL DEFAULT '[]',
    name TEXT,
    disabled INTEGER NOT NULL DEFAULT 0
  )`)
  const select = db.prepare<[string], Row>(
    'SELECT username, password_hash, roles, name, disabled FROM auth_users WHERE username = ?',
  )
  const upsert = db.prepare(`INSERT INTO auth_users (username, password_hash, roles, name, disabled)
    VALUES (@username, @passwordHash, @roles, @name, @disabled)
    ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash,
      roles = excluded.roles, name = excluded.name, disabled = excluded.disabled`)

  return {
    findUser(username) {
      const row = select.get(username)
      if (row === undefined) return undefined
      const roles: unknown = JSON.parse(row.roles)
      return {
        username: row.username,
        passwordHash: row.password_hash,
        roles: Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [],
        name: row.name ?? undefined,
        disabled: row.disabled !== 0,
      }
    },
    async putUser(user, cost) {
      const passwordHash = await hashPassword(user.password, cost)
      upsert.run({
        username: user.username,
        passwordHash,
        roles: JSON.stringify(user.roles),
        name: user.name ?? null,
        disabled: user.disabled === true ? 1 : 0,
      })
    },
    close() {
      db.close()
    },
  }
}
