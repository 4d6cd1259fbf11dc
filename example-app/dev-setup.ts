/**
 * First-run setup of the demo: a development Ed25519 key pair and the demo users, created once
 * in a git-ignored data folder and reused afterwards.
 *
 * @module
 */
import { createPrivateKey, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openAuthUserDb } from './auth-api/user-db.js'
import { generateEd25519KeyPair, rawPublicKeyBase64 } from './shared/ed25519.js'

/** A demo user with its password (for printing at start). */
export interface DemoUser {
  username: string
  roles: string[]
  name: string
  password: string
}

/** What the launcher hands to the two programs. */
export interface DevSetup {
  privateKeyFile: string
  /** `JWT_PUBLIC_KEY` format: standard base64 of the raw 32 bytes. */
  publicKeyBase64: string
  authUsersDb: string
  appUsersDb: string
  appUsersFile: string
  users: DemoUser[]
}

const DEMO_USERS: Omit<DemoUser, 'password'>[] = [
  { username: 'alice', roles: ['user'], name: 'Alice Example' },
  { username: 'admin', roles: ['admin', 'user'], name: 'Ada Admin' },
]

function writeSecret(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 })
}

function ensureKey(dir: string): { privateKeyFile: string; publicKeyBase64: string } {
  const privateKeyFile = join(dir, 'auth-private-key.pem')
  if (!existsSync(privateKeyFile)) {
    const { privateKey } = generateEd25519KeyPair()
    writeSecret(privateKeyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString())
  }
  const privateKey = createPrivateKey(readFileSync(privateKeyFile, 'utf8'))
  return { privateKeyFile, publicKeyBase64: rawPublicKeyBase64(privateKey) }
}

function ensurePasswords(dir: string): Record<string, string> {
  const file = join(dir, 'demo-passwords.json')
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>
  const passwords = Object.fromEntries(
    DEMO_USERS.map((user) => [user.username, randomBytes(9).toString('base64url')]),
  )
  writeSecret(file, JSON.stringify(passwords, null, 2))
  return passwords
}

/** Creates (once) and returns the demo key pair, users and databases under `dir`. */
export async function ensureDevSetup(dir: string): Promise<DevSetup> {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const key = ensureKey(dir)
  const passwords = ensurePasswords(dir)
  const users = DEMO_USERS.map((user) => ({ ...user, password: passwords[user.username] ?? '' }))

  const authUsersDb = join(dir, 'auth-users.sqlite')
  const db = openAuthUserDb(authUsersDb)
  try {
    // Rewritten at every start, so the printed passwords always work.
    for (const user of users) await db.putUser(user)
  } finally {
    db.close()
  }

  const appUsersFile = join(dir, 'app-users.json')
  writeFileSync(
    appUsersFile,
    JSON.stringify(
      users.map(({ username, roles, name }) => ({ username, roles, name })),
      null,
      2,
    ),
  )
  return { ...key, authUsersDb, appUsersDb: join(dir, 'app-users.sqlite'), appUsersFile, users }
}
