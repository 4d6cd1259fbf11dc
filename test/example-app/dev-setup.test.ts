import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { verifyPassword } from '../../example-app/auth-api/password.js'
import { openAuthUserDb } from '../../example-app/auth-api/user-db.js'
import { ensureDevSetup } from '../../example-app/dev-setup.js'
import { tempDir } from './helpers.js'

let data: ReturnType<typeof tempDir>
afterEach(() => data.remove())

describe('ensureDevSetup', () => {
  it('creates the key pair and the demo users once, and reuses them on the next start', async () => {
    data = tempDir()
    const first = await ensureDevSetup(data.dir)
    const pem = readFileSync(first.privateKeyFile, 'utf8')
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----/)
    expect(statSync(first.privateKeyFile).mode & 0o777).toBe(0o600)
    expect(statSync(join(data.dir, 'demo-passwords.json')).mode & 0o777).toBe(0o600)
    expect(Buffer.from(first.publicKeyBase64, 'base64')).toHaveLength(32)
    expect(first.users.map(({ username, roles }) => ({ username, roles }))).toEqual([
      { username: 'alice', roles: ['user'] },
      { username: 'admin', roles: ['admin', 'user'] },
    ])
    expect(JSON.parse(readFileSync(first.appUsersFile, 'utf8'))).toEqual([
      { username: 'alice', roles: ['user'], name: 'Alice Example' },
      { username: 'admin', roles: ['admin', 'user'], name: 'Ada Admin' },
    ])

    const second = await ensureDevSetup(data.dir)
    expect(second.publicKeyBase64).toBe(first.publicKeyBase64)
    expect(readFileSync(second.privateKeyFile, 'utf8')).toBe(pem)
    expect(second.users).toEqual(first.users)

    const db = openAuthUserDb(second.authUsersDb)
    try {
      for (const user of second.users) {
        const stored = db.findUser(user.username)
        expect(stored?.roles).toEqual(user.roles)
        expect(await verifyPassword(user.password, stored!.passwordHash)).toBe(true)
      }
    } finally {
      db.close()
    }
  })
})
