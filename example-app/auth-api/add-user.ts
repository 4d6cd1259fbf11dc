/**
 * Adds or updates one AuthAPI user: `add-user.ts <username> <role,role,...> [display name]`,
 * with the password on the first line of stdin (never on the command line, where `ps` shows it)
 * and the database in `AUTH_USERS_DB`.
 *
 * @module
 */
import { createInterface } from 'node:readline'
import { readString } from '../shared/env.js'
import { openAuthUserDb } from './user-db.js'

const [username, roleList, name] = process.argv.slice(2)
const file = readString(process.env, 'AUTH_USERS_DB')
if (username === undefined || roleList === undefined || file === undefined) {
  console.error(
    'usage: AUTH_USERS_DB=<file> add-user.ts <username> <role,role,...> [name] < password',
  )
  process.exit(2)
}
const roles = roleList
  .split(',')
  .map((role) => role.trim())
  .filter((role) => role !== '')

let password: string | undefined
for await (const line of createInterface({ input: process.stdin })) {
  password = line
  break
}
if (password === undefined || password.length < 8) {
  console.error('add-user: the password (first line of stdin) must have at least 8 characters')
  process.exit(2)
}

const db = openAuthUserDb(file)
try {
  await db.putUser({ username, password, roles, ...(name === undefined ? {} : { name }) })
  console.log(`add-user: ${username} saved with roles ${roles.join(', ') || '(none)'}`)
} finally {
  db.close()
}
