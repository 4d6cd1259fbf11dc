import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAppConfig } from '../../example-app/app/config.js'
import { openApp } from '../../example-app/app/open.js'
import type { OpenAuthApi } from '../../example-app/auth-api/open.js'
import { rawPublicKeyBase64 } from '../../example-app/shared/ed25519.js'
import { authApiConfig, ISSUER, openSeededAuthApi, PASSWORDS, tempDir } from './helpers.js'

// A schema of its own, so that other suites using the shared `test` database cannot interfere.
const SCHEMA = `example_app_${randomBytes(4).toString('hex')}`
const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test'
const DATABASE_URL = `${ADMIN_URL}?options=${encodeURIComponent(`-c search_path=${SCHEMA}`)}`

let dir: ReturnType<typeof tempDir>
let authConfig: ReturnType<typeof authApiConfig>
let authApi: OpenAuthApi
const admin = new pg.Client({ connectionString: ADMIN_URL })

beforeAll(async () => {
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${SCHEMA}`)
  dir = tempDir()
  authConfig = authApiConfig(dir.dir)
  authApi = await openSeededAuthApi(authConfig)
})
afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`)
  await admin.end()
  authApi.close()
  dir.remove()
})

describe('user check (JWT_VALIDATE_USERS) with PostgreSQL', () => {
  it('creates the table, loads USERS_FILE and checks every token against it', async () => {
    const usersFile = join(dir.dir, 'users.json')
    writeFileSync(
      usersFile,
      JSON.stringify([
        { username: 'alice', roles: ['user', 'viewer'] },
        { username: 'admin', roles: ['admin', 'user'], disabled: true },
      ]),
    )
    const example = await openApp(
      parseAppConfig({
        JWT_ISSUER: ISSUER,
        JWT_PUBLIC_KEY: rawPublicKeyBase64(authConfig.publicKey),
        JWT_VALIDATE_USERS: 'true',
        DATABASE_URL,
        USERS_FILE: usersFile,
      }),
    )
    try {
      const rows = await admin.query(
        `SELECT username, roles, disabled FROM ${SCHEMA}.users ORDER BY username`,
      )
      expect(rows.rows).toEqual([
        { username: 'admin', roles: ['admin', 'user'], disabled: true },
        { username: 'alice', roles: ['user', 'viewer'], disabled: false },
      ])
      const login = async (username: 'alice' | 'admin') =>
        (
          await request(authApi.app)
            .post('/api/login')
            .send({ username, password: PASSWORDS[username] })
        ).body.access_token as string
      const alice = await request(example.app)
        .get('/api/me')
        .set('Authorization', `Bearer ${await login('alice')}`)
        .expect(200)
      expect(alice.body.roles).toEqual(['user', 'viewer'])
      const disabled = await request(example.app)
        .get('/api/me')
        .set('Authorization', `Bearer ${await login('admin')}`)
        .expect(401)
      expect(disabled.body.code).toBe('ERR_AUTH_USER_DISABLED')
    } finally {
      await example.close()
    }
  })
})
